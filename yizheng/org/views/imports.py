"""Excel import pages: past jobs and upload forms, template download, the job page with progress and problems."""

from __future__ import annotations

import io

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from yizheng.core.errors import ApplicationError
from yizheng.core.pagination import paginate

from .. import imports
from ..models import Council, ImportJob


class ImportUploadForm(forms.Form):
    council = forms.ModelChoiceField(queryset=Council.objects.none(), label=_("导入到"), empty_label=None)
    file = forms.FileField(
        label=_("Excel文件(.xlsx)"),
        widget=forms.ClearableFileInput(
            attrs={"accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
        ),
    )

    def __init__(self, *args, councils, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["council"]
        field.queryset = councils
        default = user.council if user.council_id and user.council in councils else councils.first()
        field.initial = default.pk if default else None
        if len(councils) <= 1:
            field.widget = forms.HiddenInput()


def _forms(request: HttpRequest, bound: tuple[str, ImportUploadForm] | None = None) -> list[dict]:
    out = []
    for kind in imports.import_kinds_for(request.user):
        councils = imports.import_councils_for(request.user, kind)
        if bound and bound[0] == kind:
            form = bound[1]
        else:
            form = ImportUploadForm(councils=councils, user=request.user, prefix=kind)
        out.append(
            {
                "kind": kind,
                "label": ImportJob.Kind(kind).label,
                "form": form,
                "councils": councils,
                "default_council": form.fields["council"].initial,
            }
        )
    return out


def _list(request: HttpRequest, bound=None, status: int = 200) -> HttpResponse:
    page = paginate(request, imports.import_jobs_visible_to(request.user), per_page=20)
    uploads = _forms(request, bound)
    many = any(len(u["councils"]) > 1 for u in uploads)
    return render(
        request,
        "org/import_list.html",
        {"page": page, "uploads": uploads, "many_councils": many},
        status=status,
    )


@login_required
@require_GET
def import_list(request: HttpRequest) -> HttpResponse:
    if not imports.import_kinds_for(request.user):
        raise PermissionDenied
    return _list(request)


@login_required
@require_GET
def import_template(request: HttpRequest, kind: str) -> HttpResponse:
    councils = imports.import_councils_for(request.user, kind)
    council = (
        councils.filter(pk=request.GET["council"]).first()
        if request.GET.get("council", "").isdigit()
        else None
    )
    if council is None:
        council = request.user.council if request.user.council in councils else councils.first()
    content = imports.template_build(council=council, kind=kind)
    return FileResponse(
        io.BytesIO(content),
        as_attachment=True,
        filename=imports.template_file_name(kind),
        content_type=imports.XLSX_CONTENT_TYPE,
    )


@login_required
@require_POST
def import_upload(request: HttpRequest, kind: str) -> HttpResponse:
    councils = imports.import_councils_for(request.user, kind)
    form = ImportUploadForm(request.POST, request.FILES, councils=councils, user=request.user, prefix=kind)
    if form.is_valid():
        try:
            job = imports.import_job_create(
                actor=request.user,
                council=form.cleaned_data["council"],
                kind=kind,
                upload=form.cleaned_data["file"],
            )
        except ApplicationError as exc:
            form.add_error("file", exc.message)
        else:
            return redirect("import_detail", pk=job.pk)
    return _list(request, bound=(kind, form), status=400)


@login_required
@require_GET
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = imports.import_job_for(request.user, pk)
    problems = paginate(request, imports.problems_for_display(job.errors), per_page=100)
    context = {"job": job, "problems": problems, "page": problems}
    if request.headers.get("HX-Request"):
        return render(request, "org/import_detail.html#job-body", context)
    return render(request, "org/import_detail.html", context)


@login_required
@require_POST
def import_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    job = imports.import_job_for(request.user, pk)
    try:
        imports.import_job_confirm(actor=request.user, job=job)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("import_detail", pk=job.pk)


urlpatterns = [
    path("", import_list, name="import_list"),
    path("template/<str:kind>/", import_template, name="import_template"),
    path("upload/<str:kind>/", import_upload, name="import_upload"),
    path("<int:pk>/", import_detail, name="import_detail"),
    path("<int:pk>/confirm/", import_confirm, name="import_confirm"),
]
