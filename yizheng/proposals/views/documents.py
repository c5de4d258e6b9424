"""Documents and statistics of proposal work: the printable proposal form and the reply letter (.docx), the
year summary with charts and .xlsx exports, and the proposal-work settings page for the proposal office."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from yizheng.core.errors import ApplicationError, ConflictError
from yizheng.reports.xlsx import XLSX_CONTENT_TYPE, table_xlsx

from .. import documents, services
from .. import selectors_documents as sel
from ..forms_settings import CategoryForm, SettingsForm, SummaryFilterForm, apply_errors
from ..selectors import proposal_for, proposal_year_summary


def _download(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "no-store, private"
    return response


# --- documents ----------------------------------------------------------------------------------------------


@login_required
def proposal_form_docx(request, pk: int):
    proposal = proposal_for(request.user, pk)
    data = sel.proposal_form_data(request.user, proposal)
    name = _("提案表-%(case)s.docx") % {"case": data["case_label"] or proposal.pk}
    return _download(documents.proposal_form_docx(data), documents.DOCX_CONTENT_TYPE, name)


@login_required
def reply_letter_docx(request, pk: int):
    reply = sel.reply_letter_for(request.user, pk)
    data = sel.reply_letter_data(reply)
    name = _("答复函-%(case)s-%(unit)s.docx") % {"case": data["case_label"], "unit": data["unit"].name}
    return _download(documents.reply_letter_docx(data), documents.DOCX_CONTENT_TYPE, name)


# --- the year summary ---------------------------------------------------------------------------------------


def _summary(request):
    """(form, council, year, summary) for the query string; summary None when the input is bad."""
    councils = sel.stats_councils(request.user)
    form = SummaryFilterForm(request.GET or None, councils=councils)
    council = sel.stats_council_for(request.user, request.GET.get("council") or None)
    if request.GET and not form.is_valid():
        return form, council, None, None
    year = form.year_value() if form.is_bound else timezone.localdate().year
    return form, council, year, proposal_year_summary(request.user, council, year)


@login_required
def proposal_summary(request):
    form, council, year, summary = _summary(request)
    context = {"form": form, "council": council, "year": year, "summary": summary}
    if summary is None:
        return render(request, "proposals/summary.html", context, status=400)
    context["tables"] = documents.summary_tables(summary)
    context["charts"] = documents.summary_charts(summary)
    context["export_query"] = f"year={year}&council={council.pk}"
    return render(request, "proposals/summary.html", context)


@login_required
def proposal_summary_xlsx(request):
    form, council, year, summary = _summary(request)
    tables = {t["key"]: t for t in documents.summary_tables(summary)} if summary else {}
    table = tables.get(request.GET.get("table", "total"))
    if table is None:
        context = {"form": form, "council": council, "year": year, "summary": None}
        context["bad_table"] = _("没有这张统计表,请从统计页面选择要导出的表格")
        return render(request, "proposals/summary.html", context, status=400)
    title = _("%(council)s%(year)s年提案工作统计 · %(table)s") % {
        "council": council.name,
        "year": year,
        "table": table["title"],
    }
    content = table_xlsx(title=title, columns=table["columns"], rows=table["rows"], sheet=table["title"])
    return _download(content, XLSX_CONTENT_TYPE, f"{title}.xlsx")


# --- settings -----------------------------------------------------------------------------------------------


def _settings_page(request, council, form=None, category_form=None, status=200):
    config = services.proposal_settings_get(council)
    context = {
        "council": council,
        "councils": sel.settings_councils(request.user),
        "form": form or SettingsForm(settings_obj=config),
        "category_form": category_form or CategoryForm(),
        "categories": services.categories_ensure(council),
    }
    return render(request, "proposals/settings.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def proposal_settings(request):
    council = sel.settings_council_for(request.user, request.GET.get("council") or None)
    if request.method != "POST":
        return _settings_page(request, council)
    form = SettingsForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            services.proposal_settings_update(
                actor=request.user,
                council=council,
                data=form.settings_data(),
                expected_updated_at=form.expected_updated_at(),
            )
        except ConflictError as exc:
            apply_errors(form, exc)
            status = 409
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("提案工作设置已保存。"))
            return redirect(f"{reverse('proposal_settings')}?council={council.pk}")
    return _settings_page(request, council, form=form, status=status)


@login_required
@require_POST
def category_create(request):
    council = sel.settings_council_for(request.user, request.GET.get("council") or None)
    form = CategoryForm(request.POST)
    if form.is_valid():
        try:
            services.category_create(
                actor=request.user,
                council=council,
                name=form.cleaned_data["name"],
                order=form.cleaned_data["order"] or 0,
            )
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("提案分类已添加。"))
            return redirect(f"{reverse('proposal_settings')}?council={council.pk}")
    return _settings_page(request, council, category_form=form, status=400)


@login_required
@require_POST
def category_update(request, pk: int):
    category = sel.category_for(request.user, pk)
    form = CategoryForm(request.POST)
    if form.is_valid():
        try:
            services.category_update(
                actor=request.user,
                category=category,
                data={**form.cleaned_data, "order": form.cleaned_data["order"] or 0},
            )
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("提案分类已保存。"))
            return redirect(f"{reverse('proposal_settings')}?council={category.council_id}")
    return _settings_page(request, category.council, category_form=form, status=400)


urlpatterns = [
    path("<int:pk>/form.docx", proposal_form_docx, name="proposal_form_docx"),
    path("replies/<int:pk>/letter.docx", reply_letter_docx, name="reply_letter_docx"),
    path("summary/", proposal_summary, name="proposal_summary"),
    path("summary/export.xlsx", proposal_summary_xlsx, name="proposal_summary_xlsx"),
    path("settings/", proposal_settings, name="proposal_settings"),
    path("settings/categories/", category_create, name="proposal_category_create"),
    path("settings/categories/<int:pk>/", category_update, name="proposal_category_update"),
]
