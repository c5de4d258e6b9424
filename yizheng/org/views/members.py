"""委员: the staff screens to list, search, filter, view, create and edit members.

Thin: parse the form, call one selector or service, render. The list answers htmx requests with the results
fragment only and works as a plain GET form without JavaScript."""

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
from ..forms import MemberFilterForm, MemberForm, apply_errors
from ..selectors import (
    current_seat,
    current_term,
    history_of,
    mask_id_number,
    member_for,
    members_visible_to,
)


def is_htmx(request) -> bool:
    """An htmx swap (not a history restore, which needs the whole page)."""
    return bool(request.headers.get("HX-Request")) and not request.headers.get("HX-History-Restore-Request")


@login_required
def member_list(request):
    form = MemberFilterForm(request.GET or None, actor=request.user)
    page = paginate(request, members_visible_to(request.user, **form.filters()))
    context = {
        "form": form,
        "page": page,
        "can_edit": permissions.can(request.user, "member.edit"),
        "show_council": "council" in form.fields,
    }
    template = "org/member_list.html#results" if is_htmx(request) else "org/member_list.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
def member_detail(request, pk: int):
    member = member_for(request.user, pk)
    can_edit = permissions.can(request.user, "member.edit", member.council)
    context = {
        "member": member,
        "id_number": member.id_number if can_edit else mask_id_number(member.id_number),
        "can_edit": can_edit,
        "history": history_of(request.user, member),
    }
    return render(request, "org/member_detail.html", context)


@login_required
def member_create(request):
    permissions.require(request.user, "member.edit")
    form = MemberForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            member = services.member_create(
                actor=request.user,
                council=form.council,
                term=form.term,
                data=form.person_data(),
                membership=form.seat_data(),
                committees=list(form.cleaned_data["committees"]),
                groups=list(form.cleaned_data["groups"]),
            )
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("委员信息已登记。"))
            return redirect("member_detail", pk=member.pk)
    status = 400 if form.errors else 200
    return render(request, "org/member_form.html", {"form": form}, status=status)


@login_required
def member_edit(request, pk: int):
    member = member_for(request.user, pk, action="edit")
    term = current_term(member.council)
    seat = current_seat(member, term)
    form = MemberForm(request.POST or None, actor=request.user, member=member, seat=seat, term=term)
    status = 200
    if request.method == "POST" and form.is_valid():
        seat_kwargs = {}
        if form.has_seat:
            seat_kwargs = {
                "membership": seat,
                "term": term if seat is None else None,
                "membership_data": form.seat_data(),
                "committees": list(form.cleaned_data["committees"]),
                "groups": list(form.cleaned_data["groups"]),
            }
        try:
            services.member_update(
                actor=request.user,
                member=member,
                data=form.person_data(),
                expected_updated_at=form.cleaned_data["updated_at"],
                **seat_kwargs,
            )
        except ConflictError as exc:
            form.add_error(None, exc.message)
            status = 409
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("委员信息已保存。"))
            return redirect("member_detail", pk=member.pk)
    if form.errors and status == 200:
        status = 400
    context = {"form": form, "member": member, "term": term}
    return render(request, "org/member_form.html", context, status=status)


urlpatterns = [
    path("", member_list, name="member_list"),
    path("new/", member_create, name="member_create"),
    path("<int:pk>/", member_detail, name="member_detail"),
    path("<int:pk>/edit/", member_edit, name="member_edit"),
]
