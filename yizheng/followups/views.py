"""跟踪落实 (回头看): the follow-up list (staff: everything in their councils; units: their own) and the detail
page where the owner starts an item and closes it (销号) with the evidence of what was done — a text, and
optionally a file kept beside the item."""

from __future__ import annotations

from pathlib import PurePath

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from yizheng.core.errors import ApplicationError, ConflictError
from yizheng.core.pagination import paginate
from yizheng.core.uploads import download_response
from yizheng.org import permissions as org_permissions

from . import permissions as perms
from . import selectors, services
from . import workflow as wf
from .workflow import Status


class FollowUpFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=gettext_lazy("状态"), required=False, choices=[("", gettext_lazy("全部状态")), *Status.choices]
    )
    unit = forms.IntegerField(label=gettext_lazy("责任单位"), required=False)
    overdue = forms.BooleanField(label=gettext_lazy("只看逾期"), required=False)
    q = forms.CharField(label=gettext_lazy("事项"), required=False, max_length=50)


class StartForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    note = forms.CharField(
        label=gettext_lazy("说明"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class CompleteForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    evidence = forms.CharField(
        label=gettext_lazy("落实情况(佐证材料)"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    file = forms.FileField(label=gettext_lazy("佐证文件(可选)"), required=False)


def _evidence_dir(followup) -> str:
    return f"followups/{followup.pk}"


def _legacy_files(followup) -> list[str]:
    """Files kept in the item's folder by earlier versions, which named them in the evidence text only."""
    current = PurePath(followup.evidence_file.name).name if followup.evidence_file else None
    try:
        names = default_storage.listdir(_evidence_dir(followup))[1]
    except (FileNotFoundError, NotADirectoryError):
        return []
    return sorted(n for n in names if n != current)


def _display_name(stored: str) -> str:
    return stored.split("_", 1)[-1]


@login_required
def followup_list(request):
    if not org_permissions.grants(request.user, "followup.view") and not perms.unit_ids(request.user):
        raise PermissionDenied
    form = FollowUpFilterForm(request.GET or None)
    qs = selectors.followups_visible_to(request.user)
    if form.is_valid():
        d = form.cleaned_data
        if d.get("status"):
            qs = qs.filter(status=d["status"])
        if d.get("unit"):
            qs = qs.filter(owner_unit_id=d["unit"])
        if d.get("overdue"):
            qs = qs.filter(is_overdue=True)
        if d.get("q"):
            qs = qs.filter(title__icontains=d["q"])
    page = paginate(request, qs.order_by("due_date", "pk"))
    today = timezone.localdate()
    rows = list(page.object_list)
    for f in rows:
        f.days_over = (today - f.due_date).days if f.is_overdue and f.due_date < today else 0
    units = sorted(
        {
            (u, n)
            for u, n in selectors.followups_visible_to(request.user).values_list(
                "owner_unit_id", "owner_unit__name"
            )
            if u
        },
        key=lambda x: x[1],
    )
    context = {
        "form": form,
        "page": page,
        "rows": rows,
        "units": units,
        "unit_id": form.cleaned_data.get("unit") if form.is_bound and form.is_valid() else None,
        "is_staff_view": bool(org_permissions.grants(request.user, "followup.manage")),
    }
    return render(request, "followups/followup_list.html", context)


def _detail(request, followup, forms_=None, status: int = 200):
    today = timezone.localdate()
    forms_ = forms_ or {}
    forms_.setdefault("start", StartForm(initial={"version": followup.version}))
    forms_.setdefault("complete", CompleteForm(initial={"version": followup.version}))
    context = {
        "followup": followup,
        "actions": wf.allowed(followup.status, perms.actor_kinds(request.user, followup)),
        "forms": forms_,
        "days_over": (today - followup.due_date).days
        if followup.is_overdue and followup.due_date < today
        else 0,
        "files": [(name, _display_name(name)) for name in _legacy_files(followup)],
        "history": services_history(followup),
    }
    return render(request, "followups/followup_detail.html", context, status=status)


def services_history(followup):
    from yizheng.audit.selectors import history_for

    events = list(history_for(followup)[:20])
    for e in events:
        t = wf.TRANSITIONS.get(e.action.split(".", 1)[-1])
        e.label = t.label if t else _("登记")
    return events


@login_required
def followup_detail(request, pk: int):
    return _detail(request, selectors.followup_for(request.user, pk))


def _refuse(form, exc) -> None:
    for field, errors in (exc.errors or {}).items():
        for message in [m for m in errors if m] or [exc.message]:
            form.add_error(field if field in form.fields else None, message)
    if not form.errors:
        form.add_error(None, exc.message)


@login_required
@require_POST
def followup_start(request, pk: int):
    followup = selectors.followup_for(request.user, pk, "start")
    form = StartForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            services.followup_start(
                actor=request.user,
                followup=followup,
                note=form.cleaned_data["note"],
                expected_version=form.cleaned_data["version"],
            )
        except ConflictError as exc:
            _refuse(form, exc)
            status = 409
        except ApplicationError as exc:
            _refuse(form, exc)
        else:
            messages.success(request, _("已开始办理。"))
            return redirect("followup_detail", pk=followup.pk)
    return _detail(request, followup, {"start": form}, status)


@login_required
@require_POST
def followup_complete(request, pk: int):
    followup = selectors.followup_for(request.user, pk, "complete")
    form = CompleteForm(request.POST, request.FILES)
    status = 400
    if form.is_valid():
        try:
            services.followup_complete(
                actor=request.user,
                followup=followup,
                evidence=form.cleaned_data["evidence"],
                evidence_file=form.cleaned_data.get("file") or None,
                expected_version=form.cleaned_data["version"],
            )
        except ApplicationError as exc:
            _refuse(form, exc)
            status = 409 if isinstance(exc, ConflictError) else 400
        else:
            messages.success(request, _("已销号。"))
            return redirect("followup_detail", pk=followup.pk)
    return _detail(request, followup, {"complete": form}, status)


@login_required
def followup_evidence_file(request, pk: int):
    """The item's evidence file, for everyone who may see the item (404 otherwise, or when there is none)."""
    followup = selectors.followup_for(request.user, pk)
    if not followup.evidence_file:
        raise Http404
    return download_response(followup.evidence_file, followup.evidence_file_name, followup.evidence_file_type)


@login_required
def followup_file(request, pk: int, name: str):
    """Files stored beside an item before it had an evidence_file field (named in its evidence text)."""
    followup = selectors.followup_for(request.user, pk)
    if name not in _legacy_files(followup) or PurePath(name).name != name:
        raise Http404
    return download_response(
        default_storage.open(f"{_evidence_dir(followup)}/{name}", "rb"), _display_name(name)
    )
