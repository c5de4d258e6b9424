"""承办单位: the staff screens to list, search, view, create and edit handling units. Unit liaisons and
reviewers see only their own unit. A unit is disabled (is_active False), never deleted."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _

from yizheng.core.errors import ApplicationError, ConflictError
from yizheng.core.pagination import paginate

from .. import permissions, services
from ..forms import UnitFilterForm, UnitForm, apply_errors
from ..selectors import history_of, unit_children, unit_for, unit_parent_visible, units_visible_to
from .members import is_htmx


@login_required
def unit_list(request):
    form = UnitFilterForm(request.GET or None, actor=request.user)
    page = paginate(request, units_visible_to(request.user, **form.filters()))
    context = {
        "form": form,
        "page": page,
        "can_edit": permissions.can(request.user, "unit.edit"),
        "show_council": "council" in form.fields,
    }
    template = "org/unit_list.html#results" if is_htmx(request) else "org/unit_list.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
def unit_detail(request, pk: int):
    unit = unit_for(request.user, pk)
    context = {
        "unit": unit,
        "children": unit_children(request.user, unit),
        "parent_visible": unit_parent_visible(request.user, unit),
        "can_edit": permissions.can(request.user, "unit.edit", unit.council),
        "history": history_of(request.user, unit),
    }
    return render(request, "org/unit_detail.html", context)


@login_required
def unit_create(request):
    permissions.require(request.user, "unit.edit")
    form = UnitForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            unit = services.unit_create(actor=request.user, council=form.council, data=form.unit_data())
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("承办单位已登记。"))
            return redirect("unit_detail", pk=unit.pk)
    status = 400 if form.errors else 200
    return render(request, "org/unit_form.html", {"form": form}, status=status)


@login_required
def unit_edit(request, pk: int):
    unit = unit_for(request.user, pk, action="edit")
    form = UnitForm(request.POST or None, actor=request.user, unit=unit)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.unit_update(
                actor=request.user,
                unit=unit,
                data=form.unit_data(),
                expected_updated_at=form.cleaned_data["updated_at"],
            )
        except ConflictError as exc:
            form.add_error(None, exc.message)
            status = 409
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("承办单位信息已保存。"))
            return redirect("unit_detail", pk=unit.pk)
    if form.errors and status == 200:
        status = 400
    return render(request, "org/unit_form.html", {"form": form, "unit": unit}, status=status)


urlpatterns = [
    path("", unit_list, name="unit_list"),
    path("new/", unit_create, name="unit_create"),
    path("<int:pk>/", unit_detail, name="unit_detail"),
    path("<int:pk>/edit/", unit_edit, name="unit_edit"),
]
