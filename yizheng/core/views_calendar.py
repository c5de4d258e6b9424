"""工作日历: the system administrator's screens for the official working-day calendar — the years and where their
days come from, one year as a month grid, and entering a year's holiday notice (preview, then save)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from . import calendar
from .errors import ApplicationError
from .forms_calendar import CalendarNoticeForm, CalendarYearJumpForm, apply_errors
from .selectors_calendar import (
    calendar_entry_authorise,
    calendar_notice_initial,
    calendar_preview,
    calendar_year_for,
    calendar_years_overview,
)
from .services_calendar import calendar_year_set


@login_required
def calendar_year_list(request):
    rows = calendar_years_overview(request.user)
    form = CalendarYearJumpForm(request.GET or None)
    if form.is_bound and form.is_valid():
        return redirect("calendar_year_detail", year=form.cleaned_data["year"])
    status = 400 if form.errors else 200
    return render(request, "core/calendar_year_list.html", {"rows": rows, "form": form}, status=status)


@login_required
def calendar_year_detail(request, year: int):
    view = calendar_year_for(request.user, year)
    return render(request, "core/calendar_year_detail.html", _context(view))


def _context(view, **extra):
    return {"view": view, "weekdays": calendar.WEEKDAY_SHORT, **extra}


@login_required
def calendar_year_edit(request, year: int):
    if request.method != "POST":
        form = CalendarNoticeForm(initial=calendar_notice_initial(request.user, year), year=year)
        return render(request, "core/calendar_year_form.html", {"form": form, "year": year})
    calendar_entry_authorise(request.user, year)
    if request.POST.get("action") == "edit":  # back from the preview to the text
        initial = {k: request.POST.get(k, "") for k in ("source", "notice")}
        form = CalendarNoticeForm(initial=initial, year=year)
        return render(request, "core/calendar_year_form.html", {"form": form, "year": year})
    form = CalendarNoticeForm(request.POST, year=year)
    if form.is_valid():
        if request.POST.get("action") == "save":
            try:
                calendar_year_set(
                    actor=request.user,
                    year=year,
                    days=[(d.date, d.kind, d.name) for d in form.days],
                    source=form.cleaned_data["source"],
                    notice=form.cleaned_data["notice"],
                )
            except ApplicationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(
                    request, _("%(year)s年放假安排已保存,相关截止日期已按新安排重新计算。") % {"year": year}
                )
                return redirect("calendar_year_detail", year=year)
        else:
            preview = calendar_preview(year, [(d.date, d.kind, d.name) for d in form.days])
            holidays = sum(1 for d in form.days if d.kind == calendar.HOLIDAY)
            context = _context(preview, form=form, year=year, preview=True, holiday_days=holidays,
                               makeup_days=len(form.days) - holidays)  # fmt: skip
            return render(request, "core/calendar_year_form.html", context)
    return render(request, "core/calendar_year_form.html", {"form": form, "year": year}, status=400)
