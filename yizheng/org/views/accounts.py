"""账号管理: the system administrator's screens. Accounts are created, edited, disabled or enabled with a reason,
and get new initial passwords; they are never deleted."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yizheng.core.errors import ApplicationError
from yizheng.core.pagination import paginate

from .. import permissions
from .. import services_accounts as services
from ..forms_accounts import (
    AccountCreateForm,
    AccountEditForm,
    AccountFilterForm,
    PasswordResetForm,
    ReasonForm,
    apply_errors,
)
from ..selectors_accounts import account_for, accounts_visible_to


@login_required
def account_list(request):
    form = AccountFilterForm(request.GET or None, actor=request.user, perm="account.manage")
    filters = {}
    if form.is_bound:
        form.is_valid()  # a bad filter value shows its error; the valid ones still apply
        filters = form.cleaned_data
    accounts = accounts_visible_to(request.user, **filters)
    return render(request, "org/account_list.html", {"form": form, "page": paginate(request, accounts)})


@login_required
def account_create(request):
    permissions.require(request.user, "account.manage")
    form = AccountCreateForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.account_create(
                actor=request.user,
                username=data["username"],
                full_name=data["full_name"],
                council=data["council"],
                phone=data["phone"],
                password=data["password"],
            )
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("账号已创建。用户首次登录时须修改初始密码。"))
            return redirect("account_detail", pk=user.pk)
    status = 400 if form.errors else 200
    return render(request, "org/account_form.html", {"form": form, "creating": True}, status=status)


def _detail(request, user, *, status=200, **forms):
    context = {
        "account": user,
        "reason_form": forms.get("reason_form") or ReasonForm(),
        "reset_form": forms.get("reset_form") or PasswordResetForm(),
    }
    return render(request, "org/account_detail.html", context, status=status)


@login_required
def account_detail(request, pk: int):
    return _detail(request, account_for(request.user, pk))


@login_required
def account_edit(request, pk: int):
    user = account_for(request.user, pk)
    initial = {"full_name": user.full_name, "council": user.council, "phone": user.phone}
    form = AccountEditForm(request.POST or None, initial=initial, actor=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.account_update(actor=request.user, user=user, data=form.cleaned_data)
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("账号信息已保存。"))
            return redirect("account_detail", pk=user.pk)
    status = 400 if form.errors else 200
    return render(request, "org/account_form.html", {"form": form, "account": user}, status=status)


def _status_change(request, pk: int, service, done: str):
    user = account_for(request.user, pk)
    form = ReasonForm(request.POST)
    if form.is_valid():
        try:
            service(actor=request.user, user=user, reason=form.cleaned_data["reason"])
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, done)
            return redirect("account_detail", pk=user.pk)
    return _detail(request, user, status=400, reason_form=form)


@login_required
@require_POST
def account_disable(request, pk: int):
    return _status_change(request, pk, services.account_disable, _("账号已停用,其登录会话已全部结束。"))


@login_required
@require_POST
def account_enable(request, pk: int):
    return _status_change(request, pk, services.account_enable, _("账号已启用。"))


@login_required
@require_POST
def account_password_reset(request, pk: int):
    user = account_for(request.user, pk)
    form = PasswordResetForm(request.POST)
    if form.is_valid():
        try:
            services.account_password_reset(
                actor=request.user, user=user, password=form.cleaned_data["password"]
            )
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("密码已重置。用户下次登录时须修改密码。"))
            return redirect("account_detail", pk=user.pk)
    return _detail(request, user, status=400, reset_form=form)


urlpatterns = [
    path("", account_list, name="account_list"),
    path("new/", account_create, name="account_create"),
    path("<int:pk>/", account_detail, name="account_detail"),
    path("<int:pk>/edit/", account_edit, name="account_edit"),
    path("<int:pk>/disable/", account_disable, name="account_disable"),
    path("<int:pk>/enable/", account_enable, name="account_enable"),
    path("<int:pk>/reset-password/", account_password_reset, name="account_password_reset"),
]
