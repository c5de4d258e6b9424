"""Accounts, role assignments and lock-outs: the system and security administrators' write operations.

三员分立 (等保2.0 level 3): the system admin creates and maintains accounts, the security admin grants and revokes
roles and lifts lock-outs, the audit admin only reads. Every function checks its permission itself, runs in one
transaction and records an audit event; passwords never reach the audit payload.
"""

from __future__ import annotations

import re
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yizheng.audit.services import diff, event_record
from yizheng.core.errors import ApplicationError

from . import permissions
from .models import (
    ADMIN_ROLES,
    UNIT_ROLES,
    Council,
    Office,
    Role,
    RoleAssignment,
    User,
)
from .validators import validate_phone

USERNAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{2,29}$")
ACCOUNT_FIELDS = ("username", "full_name", "phone", "council", "is_active")
EDITABLE_FIELDS = ("full_name", "phone", "council")
SCOPE_FIELDS = ("unit", "office", "committee", "organization", "sector")
REASON_MAX = 200


def _snapshot(user: User) -> dict[str, Any]:
    return {
        "username": user.username,
        "full_name": user.full_name,
        "phone": user.phone,
        "council": str(user.council) if user.council_id else None,
        "is_active": user.is_active,
    }


def _password_problems(password: str, user: User | None) -> list[str]:
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        return [_problem_text(error) for error in exc.error_list]
    return []


def _problem_text(error: ValidationError) -> str:
    # Django 5.2 changed this message's msgid and its Chinese catalogue has not caught up; say it ourselves.
    if error.code == "password_too_short":
        return _("密码长度太短,至少需要%(min_length)s个字符。") % (error.params or {"min_length": 10})
    return error.messages[0]


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(_("请填写原因"), errors={"reason": [_("请填写原因")]})
    if len(reason) > REASON_MAX:
        message = _("原因不能超过%(n)s个字") % {"n": REASON_MAX}
        raise ApplicationError(message, errors={"reason": [message]})
    return reason


def _require_reach(actor, perm: str, user: User) -> None:
    """The actor must hold `perm` in the council tree the account belongs to."""
    if user.council_id is None or not permissions.can(actor, perm, user.council):
        raise PermissionDenied


def _admin_roles_of(user: User) -> set[str]:
    return set(
        RoleAssignment.objects.filter(user=user, role__in=list(ADMIN_ROLES)).values_list("role", flat=True)
    )


def sessions_end(user_id: int) -> int:
    """End every open session of one account (on disable). Works for database and cached-database sessions."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    keys = [
        s.session_key
        for s in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
        if str(s.get_decoded().get("_auth_user_id")) == str(user_id)
    ]
    for key in keys:
        store(session_key=key).delete()
    return len(keys)


# --- accounts (system admin) ------------------------------------------------------------------------------


def account_create(
    *, actor, username: str, full_name: str, council: Council, password: str, phone: str = ""
) -> User:
    """A new account with an initial password that the user must change at first sign-in."""
    permissions.require(actor, "account.manage", council)
    username = (username or "").strip()
    full_name = (full_name or "").strip()
    phone = (phone or "").strip()
    errors: dict[str, list[str]] = {}
    if not USERNAME_RE.match(username):
        errors["username"] = [_("用户名须为3至30位字母、数字或 . _ - @,并以字母或数字开头")]
    elif User.objects.filter(username__iexact=username).exists():
        errors["username"] = [_("用户名“%(name)s”已被使用") % {"name": username}]
    if not full_name:
        errors["full_name"] = [_("请填写姓名")]
    if phone:
        try:
            validate_phone(phone)
        except ValidationError as exc:
            errors["phone"] = list(exc.messages)
    problems = _password_problems(password, User(username=username, full_name=full_name))
    if problems:
        errors["password"] = problems
    if errors:
        raise ApplicationError(_("账号信息有误,请修改后重新提交"), errors=errors)
    with transaction.atomic():
        user = User(username=username, full_name=full_name, council=council, phone=phone)
        user.set_password(password)
        user.must_change_password = True
        user.save()
        event_record(
            actor=actor,
            action="account.create",
            target=user,
            council=council,
            payload={"after": _snapshot(user), "must_change_password": True},
        )
    return user


def account_update(*, actor, user: User, data: dict[str, Any]) -> User:
    """Change an account's name, phone or council. Records a before/after diff."""
    _require_reach(actor, "account.manage", user)
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    if "full_name" in data:
        clean["full_name"] = (data["full_name"] or "").strip()
        if not clean["full_name"]:
            errors["full_name"] = [_("请填写姓名")]
    if "phone" in data:
        clean["phone"] = (data["phone"] or "").strip()
        if clean["phone"]:
            try:
                validate_phone(clean["phone"])
            except ValidationError as exc:
                errors["phone"] = list(exc.messages)
    if "council" in data:
        clean["council"] = data["council"]
        if clean["council"] is None:
            errors["council"] = [_("请选择所属政协")]
        elif not permissions.can(actor, "account.manage", clean["council"]):
            raise PermissionDenied
    if errors:
        raise ApplicationError(_("账号信息有误,请修改后重新提交"), errors=errors)
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        before = _snapshot(locked)
        changed = [k for k in EDITABLE_FIELDS if k in clean and getattr(locked, k) != clean[k]]
        for k in changed:
            setattr(locked, k, clean[k])
        if changed:
            locked.save(update_fields=changed)
            event_record(
                actor=actor,
                action="account.update",
                target=locked,
                council=locked.council,
                payload={"changes": diff(before, _snapshot(locked))},
            )
    return locked


def _guard_other_admins(actor, user: User, what: str) -> None:
    """A system admin may not silence or take over the other two administrators (三员分立)."""
    if user.pk == actor.pk:
        raise ApplicationError(_("不能对自己的账号执行此操作"))
    others = _admin_roles_of(user) & {Role.SECURITY_ADMIN, Role.AUDIT_ADMIN}
    if others:
        raise ApplicationError(
            _("三员分立:系统管理员不能%(what)s安全管理员或审计管理员的账号") % {"what": what}
        )


def account_disable(*, actor, user: User, reason: str) -> User:
    """Disable (never delete) an account: its history stays, its sessions end at once."""
    _require_reach(actor, "account.manage", user)
    reason = _reason(reason)
    _guard_other_admins(actor, user, _("停用"))
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if not locked.is_active:
            raise ApplicationError(_("该账号已是停用状态"))
        locked.is_active = False
        locked.save(update_fields=["is_active"])
        event_record(
            actor=actor,
            action="account.disable",
            target=locked,
            council=locked.council,
            payload={"reason": reason, "changes": {"is_active": [True, False]}},
        )
        transaction.on_commit(lambda: sessions_end(locked.pk))
    permissions.forget_roles(user)
    return locked


def account_enable(*, actor, user: User, reason: str) -> User:
    _require_reach(actor, "account.manage", user)
    reason = _reason(reason)
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if locked.is_active:
            raise ApplicationError(_("该账号已是启用状态"))
        locked.is_active = True
        locked.save(update_fields=["is_active"])
        event_record(
            actor=actor,
            action="account.enable",
            target=locked,
            council=locked.council,
            payload={"reason": reason, "changes": {"is_active": [False, True]}},
        )
    permissions.forget_roles(user)
    return locked


def account_password_reset(*, actor, user: User, password: str) -> User:
    """Set a new initial password; the user must change it at the next sign-in. Open sessions end (the session
    hash no longer matches)."""
    _require_reach(actor, "account.manage", user)
    _guard_other_admins(actor, user, _("重置密码于"))
    problems = _password_problems(password, user)
    if problems:
        raise ApplicationError(_("密码不符合要求"), errors={"password": problems})
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        locked.set_password(password)
        locked.must_change_password = True
        locked.save(update_fields=["password", "must_change_password"])
        event_record(
            actor=actor,
            action="account.password_reset",
            target=locked,
            council=locked.council,
            payload={"must_change_password": True},
        )
    return locked


def account_password_change(*, actor, old_password: str, new_password: str) -> User:
    """The signed-in user changes their own password."""
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        raise PermissionDenied
    errors: dict[str, list[str]] = {}
    if not actor.check_password(old_password or ""):
        errors["old_password"] = [_("原密码不正确")]
    elif new_password == old_password:
        errors["new_password1"] = [_("新密码不能与原密码相同")]
    else:
        problems = _password_problems(new_password, actor)
        if problems:
            errors["new_password1"] = problems
    if errors:
        raise ApplicationError(_("密码修改失败"), errors=errors)
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=actor.pk)
        locked.set_password(new_password)
        locked.password_changed_at = timezone.now()
        locked.must_change_password = False
        locked.save(update_fields=["password", "password_changed_at", "must_change_password"])
        event_record(actor=actor, action="account.password_change", target=locked, council=locked.council)
    return locked


# --- roles (security admin) -------------------------------------------------------------------------------

_SCOPE_LABELS = {
    "unit": _("单位"),
    "office": _("处室"),
    "committee": _("专委会"),
    "organization": _("党派团体"),
    "sector": _("界别"),
}


def role_scope_errors(*, council: Council, role: str, scope: dict[str, Any]) -> dict[str, list[str]]:
    """The scope rules of RoleAssignment's check constraints, as field errors a person can act on."""
    errors: dict[str, list[str]] = {}
    if role not in Role.values:
        return {"role": [_("请选择有效的角色")]}
    given = {k for k in SCOPE_FIELDS if scope.get(k)}
    if role in UNIT_ROLES:
        allowed = {"unit"}
        if not scope.get("unit"):
            errors["unit"] = [_("承办单位联络员和审核人须指定所属单位")]
    elif role == Role.STAFF:
        allowed = {"office", "committee"}
        if not (scope.get("office") or scope.get("committee")):
            errors["office"] = [_("机关工作人员须指定处室或专委会")]
    elif role == Role.COLLECTIVE_AGENT:
        allowed = {"organization", "committee", "sector"}
        chosen = given & allowed
        if not chosen:
            errors["organization"] = [_("集体提案经办人须指定党派团体、专委会或界别之一")]
        elif len(chosen) > 1:
            errors["organization"] = [_("集体提案经办人只能指定党派团体、专委会、界别中的一项")]
    else:
        allowed = set()
    for field in sorted(given - allowed):
        errors.setdefault(field, []).append(
            _("“%(role)s”角色不需要指定%(field)s,请留空")
            % {"role": Role(role).label, "field": _SCOPE_LABELS[field]}
        )
    office = scope.get("office")
    if office and "office" in allowed and office not in Office.values:
        errors.setdefault("office", []).append(_("请选择有效的处室"))
    for field in ("unit", "committee", "organization", "sector"):
        obj = scope.get(field)
        if obj and field in allowed and obj.council_id != council.pk:
            errors.setdefault(field, []).append(
                _("所选%(field)s不属于%(council)s") % {"field": _SCOPE_LABELS[field], "council": council}
            )
    return errors


def role_grant(*, actor, user: User, council: Council, role: str, **scope) -> RoleAssignment:
    """Give an account a role in a council with its scope (unit, office/committee, or collective).

    `actor=None` is the bootstrap path (creating the first administrators from the command line): permission
    checks are skipped, the scope and 三员分立 rules still hold."""
    scope = {k: scope.get(k) or ("" if k == "office" else None) for k in SCOPE_FIELDS}
    if actor is not None:
        permissions.require(actor, "role.assign", council)
        _require_reach(actor, "role.assign", user)
    errors = role_scope_errors(council=council, role=role, scope=scope)
    if errors:
        raise ApplicationError(_("授权范围不符合要求,请修改后重新提交"), errors=errors)
    if actor is not None and user.pk == actor.pk:
        # Admin roles to oneself break 三员分立; any other role to oneself is a self-escalation.
        message = _("三员分立:安全管理员不能给自己授予角色")
        raise ApplicationError(message, errors={"role": [message]})
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if not locked.is_active:
            raise ApplicationError(_("该账号已停用,不能授予角色"))
        if role in ADMIN_ROLES:
            held = _admin_roles_of(locked) - {role}
            if held:
                names = "、".join(str(Role(r).label) for r in sorted(held))
                message = _(
                    "三员分立:同一账号不能同时担任系统管理员、安全管理员、审计管理员中的两个角色(该账号已是%(roles)s)"
                ) % {"roles": names}
                raise ApplicationError(message, errors={"role": [message]})
        if RoleAssignment.objects.filter(user=locked, council=council, role=role, **scope).exists():
            message = _("该账号在%(council)s已有相同范围的此角色") % {"council": council}
            raise ApplicationError(message, errors={"role": [message]})
        assignment = RoleAssignment.objects.create(user=locked, council=council, role=role, **scope)
        event_record(
            actor=actor,
            action="role.grant",
            target=locked,
            council=council,
            payload={"role": role, "scope": str(assignment), "council": str(council)},
        )
    permissions.forget_roles(user)
    return assignment


def role_revoke(*, actor, assignment: RoleAssignment) -> None:
    """Take a role away. The assignment row goes; the audit trail keeps what it was."""
    permissions.require(actor, "role.assign", assignment.council)
    if assignment.role in ADMIN_ROLES and assignment.user_id == actor.pk:
        raise ApplicationError(_("三员分立:不能撤销自己的管理员角色"))
    with transaction.atomic():
        locked = RoleAssignment.objects.select_for_update().filter(pk=assignment.pk).first()
        if locked is None:
            raise ApplicationError(_("该授权已被撤销"))
        user = User.objects.get(pk=locked.user_id)
        payload = {"role": locked.role, "scope": str(locked), "council": str(assignment.council)}
        locked.delete()
        event_record(
            actor=actor, action="role.revoke", target=user, council=assignment.council, payload=payload
        )
    permissions.forget_roles(assignment.user)


# --- lock-outs (security admin) ---------------------------------------------------------------------------


def lockout_reset(*, actor, user: User) -> int:
    """Lift django-axes' lock-out of one account; returns how many attempt records were cleared."""
    from axes.utils import reset

    _require_reach(actor, "lockout.reset", user)
    with transaction.atomic():
        cleared = reset(username=user.username)
        if not cleared:
            raise ApplicationError(_("该账号当前没有登录失败记录,无需解锁"))
        event_record(
            actor=actor,
            action="lockout.reset",
            target=user,
            council=user.council,
            payload={"username": user.username, "attempts_cleared": cleared},
        )
    return cleared
