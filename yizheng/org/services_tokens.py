"""Issuing and revoking API tokens for integrations. Only the SHA-256 of a key is stored; the key itself is
returned once, when the token is issued, and never written anywhere."""

from __future__ import annotations

import secrets

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yizheng.audit.services import event_record
from yizheng.core.api import KEY_PREFIX_LENGTH, hash_key
from yizheng.core.errors import ApplicationError, ConflictError

from . import permissions
from .models import ApiToken, User

KEY_SCHEME = "yz_"  # recognisable in logs and by secret scanners
NAME_MAX_LENGTH = ApiToken._meta.get_field("name").max_length


def api_token_issue(*, actor, user: User, name: str) -> tuple[ApiToken, str]:
    """A new token for `user`; returns the token and its plaintext key (show it once, then forget it).

    `actor` None means the platform itself (the management command run by the operator)."""
    if actor is not None:
        if user.council is None:
            raise PermissionDenied
        permissions.require(actor, "account.manage", user.council)
    name = (name or "").strip()
    if not name:
        raise ApplicationError(_("请填写令牌用途"), errors={"name": [_("此项为必填项")]})
    if len(name) > NAME_MAX_LENGTH:
        message = _("令牌用途不能超过 %(n)s 个字符") % {"n": NAME_MAX_LENGTH}
        raise ApplicationError(message, errors={"name": [message]})
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if not locked.is_active:
            raise ApplicationError(_("账号已停用,不能签发接口令牌"), errors={"user": [_("账号已停用")]})
        key = KEY_SCHEME + secrets.token_urlsafe(32)
        token = ApiToken.objects.create(
            user=locked, name=name, prefix=key[:KEY_PREFIX_LENGTH], key_hash=hash_key(key)
        )
        event_record(
            actor=actor,
            action="api_token.issue",
            target=token,
            council=locked.council,
            payload={"after": {"user": locked.username, "name": name, "prefix": token.prefix}},
        )
    return token, key


def api_token_revoke(*, actor, token: ApiToken) -> ApiToken:
    """Refuse the token from now on. Its owner may revoke it; so may an account manager of the owner's council."""
    owner = token.user
    if actor is not None and actor.pk != owner.pk:
        if owner.council is None:
            raise PermissionDenied
        permissions.require(actor, "account.manage", owner.council)
    with transaction.atomic():
        locked = ApiToken.objects.select_for_update().get(pk=token.pk)
        if locked.revoked_at is not None:
            raise ConflictError(_("该接口令牌已撤销"))
        locked.revoked_at = timezone.now()
        locked.save(update_fields=["revoked_at"])
        event_record(
            actor=actor,
            action="api_token.revoke",
            target=locked,
            council=owner.council,
            payload={"changes": {"revoked_at": [None, locked.revoked_at.isoformat()]}},
        )
    token.revoked_at = locked.revoked_at
    return locked
