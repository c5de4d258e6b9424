"""角色授权 and 登录锁定: the security administrator's screens."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yizheng.core.errors import ApplicationError
from yizheng.core.pagination import paginate

from .. import services_accounts as services
from ..forms_accounts import AccountFilterForm, RoleGrantForm, apply_errors
from ..selectors_accounts import (
    account_for,
    accounts_visible_to,
    cool_off,
    lockouts_visible_to,
    role_assignment_for,
)


@login_required
def role_list(request):
    form = AccountFilterForm(request.GET or None, actor=request.user, perm="role.assign")
    filters = {}
    if form.is_bound:
        form.is_valid()
        filters = form.cleaned_data
    users = accounts_visible_to(request.user, perm="role.assign", **filters)
    return render(request, "org/role_list.html", {"form": form, "page": paginate(request, users)})


@login_required
def role_user(request, pk: int):
    """One account's role assignments, with the grant form (POST grants)."""
    user = account_for(request.user, pk, perm="role.assign")
    form = RoleGrantForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            assignment = services.role_grant(
                actor=request.user,
                user=user,
                council=form.cleaned_data["council"],
                role=form.cleaned_data["role"],
                **form.scope(),
            )
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已授予“%(role)s”。") % {"role": assignment})
            return redirect("role_user", pk=user.pk)
    status = 400 if form.errors else 200
    return render(request, "org/role_user.html", {"account": user, "form": form}, status=status)


@login_required
@require_POST
def role_revoke(request, pk: int):
    assignment = role_assignment_for(request.user, pk)
    try:
        services.role_revoke(actor=request.user, assignment=assignment)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已撤销“%(role)s”。") % {"role": assignment})
    return redirect("role_user", pk=assignment.user_id)


@login_required
def lockout_list(request):
    include_unlocked = request.GET.get("all") == "1"
    lockouts = lockouts_visible_to(request.user, include_unlocked=include_unlocked)
    context = {
        "lockouts": lockouts,
        "include_unlocked": include_unlocked,
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "cooloff_minutes": int(cool_off().total_seconds() // 60),
    }
    return render(request, "org/lockout_list.html", context)


@login_required
@require_POST
def lockout_reset(request, pk: int):
    user = account_for(request.user, pk, perm="lockout.reset")
    try:
        services.lockout_reset(actor=request.user, user=user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已解除账号“%(name)s”的登录锁定。") % {"name": user})
    return redirect("lockout_list")


urlpatterns = [
    path("", role_list, name="role_list"),
    path("users/<int:pk>/", role_user, name="role_user"),
    path("assignments/<int:pk>/revoke/", role_revoke, name="role_revoke"),
    path("lockouts/", lockout_list, name="lockout_list"),
    path("lockouts/<int:pk>/unlock/", lockout_reset, name="lockout_reset"),
]
