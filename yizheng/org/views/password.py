"""修改密码: every signed-in user; forced at first sign-in and after a reset (see PasswordChangeRequiredMiddleware)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from yizheng.core.errors import ApplicationError

from ..forms_accounts import PasswordChangeForm, apply_errors
from ..services_accounts import account_password_change


@login_required
def password_change(request):
    form = PasswordChangeForm(request.POST or None)
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, require_https=request.is_secure()):
        next_url = ""
    if request.method == "POST" and form.is_valid():
        try:
            user = account_password_change(
                actor=request.user,
                old_password=form.cleaned_data["old_password"],
                new_password=form.cleaned_data["new_password1"],
            )
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            update_session_auth_hash(request, user)  # stay signed in on this device
            messages.success(request, _("密码已修改。"))
            return redirect(next_url or "home")
    status = 400 if form.errors else 200
    return render(
        request,
        "org/account_password_change.html",
        {"form": form, "next": next_url, "forced": request.user.must_change_password},
        status=status,
    )


urlpatterns = [path("", password_change, name="password_change")]
