"""Issuing and revoking API tokens: who may, what is stored, what is audited."""

import hashlib
import io

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.test import Client

from yizheng.audit.models import Event
from yizheng.core.errors import ApplicationError, ConflictError
from yizheng.org.models import ApiToken, Role
from yizheng.org.services_tokens import api_token_issue, api_token_revoke
from yizheng.org.tests.factories import CouncilFactory, UserFactory


@pytest.fixture
def owner(council, make_user):
    return make_user(Role.STAFF, council, username="oa-bridge")


def test_issue_stores_only_the_hash_and_audits_without_the_key(owner):
    token, key = api_token_issue(actor=None, user=owner, name="  OA 系统对接 ")
    assert key.startswith("yz_")
    assert len(key) > 40
    assert token.name == "OA 系统对接"
    assert token.prefix == key[:8]
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key not in str(ApiToken.objects.filter(pk=token.pk).values().get())
    event = Event.objects.get(action="api_token.issue")
    assert event.target_id == str(token.pk)
    assert event.council_id == owner.council_id
    assert event.payload == {"after": {"user": "oa-bridge", "name": "OA 系统对接", "prefix": token.prefix}}
    assert key not in event.canonical()


def test_each_issue_gives_a_new_key(owner):
    _, first = api_token_issue(actor=None, user=owner, name="一")
    _, second = api_token_issue(actor=None, user=owner, name="二")
    assert first != second


def test_system_admin_of_the_council_tree_may_issue(council, owner, make_user):
    admin = make_user(Role.SYSTEM_ADMIN, council)
    token, _ = api_token_issue(actor=admin, user=owner, name="对接")
    assert Event.objects.get(action="api_token.issue").actor_id == admin.pk
    assert token.user_id == owner.pk


@pytest.mark.parametrize("role", [Role.STAFF, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN, Role.LEADER])
def test_other_roles_may_not_issue(council, owner, make_user, role):
    actor = make_user(role, council)
    with pytest.raises(PermissionDenied):
        api_token_issue(actor=actor, user=owner, name="对接")
    assert not ApiToken.objects.exists()


def test_system_admin_of_another_council_may_not_issue(owner, other_council, make_user):
    with pytest.raises(PermissionDenied):
        api_token_issue(actor=make_user(Role.SYSTEM_ADMIN, other_council), user=owner, name="对接")
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize(
    ("name", "message"),
    [("", "请填写令牌用途"), ("  ", "请填写令牌用途"), ("长" * 81, "令牌用途不能超过 80 个字符")],
)
def test_bad_name_is_refused_and_nothing_is_written(owner, name, message):
    with pytest.raises(ApplicationError) as caught:
        api_token_issue(actor=None, user=owner, name=name)
    assert caught.value.message == message
    assert "name" in caught.value.errors
    assert not ApiToken.objects.exists()
    assert not Event.objects.filter(action="api_token.issue").exists()


def test_disabled_account_gets_no_token(owner):
    owner.is_active = False
    owner.save(update_fields=["is_active"])
    with pytest.raises(ApplicationError, match="账号已停用"):
        api_token_issue(actor=None, user=owner, name="对接")
    assert not ApiToken.objects.exists()


def test_owner_revokes_and_it_is_audited(owner):
    token, _ = api_token_issue(actor=None, user=owner, name="对接")
    revoked = api_token_revoke(actor=owner, token=token)
    assert revoked.revoked_at is not None
    assert token.revoked_at == revoked.revoked_at
    event = Event.objects.get(action="api_token.revoke")
    assert event.actor_id == owner.pk
    assert event.payload["changes"]["revoked_at"][0] is None


def test_revoking_twice_is_a_conflict_and_changes_nothing(owner):
    token, _ = api_token_issue(actor=None, user=owner, name="对接")
    first = api_token_revoke(actor=owner, token=token).revoked_at
    with pytest.raises(ConflictError, match="该接口令牌已撤销"):
        api_token_revoke(actor=owner, token=token)
    token.refresh_from_db()
    assert token.revoked_at == first
    assert Event.objects.filter(action="api_token.revoke").count() == 1


def test_only_owner_or_account_manager_may_revoke(council, other_council, owner, make_user):
    token, _ = api_token_issue(actor=None, user=owner, name="对接")
    for actor in (make_user(Role.STAFF, council), make_user(Role.SYSTEM_ADMIN, other_council)):
        with pytest.raises(PermissionDenied):
            api_token_revoke(actor=actor, token=token)
    token.refresh_from_db()
    assert token.revoked_at is None
    api_token_revoke(actor=make_user(Role.SYSTEM_ADMIN, council), token=token)
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_account_without_council_needs_the_platform_to_issue(db):
    user = UserFactory(council=None)
    admin = UserFactory(council=CouncilFactory())
    with pytest.raises(PermissionDenied):
        api_token_issue(actor=admin, user=user, name="对接")
    token, _ = api_token_issue(actor=None, user=user, name="对接")
    assert token.user_id == user.pk


# --- manage.py api_token_issue ----------------------------------------------------------------------------


def test_command_prints_the_key_once_and_it_works(owner):
    out, err = io.StringIO(), io.StringIO()
    call_command("api_token_issue", "oa-bridge", "OA 系统对接", stdout=out, stderr=err)
    key = out.getvalue().strip()
    token = ApiToken.objects.get()
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert token.prefix in err.getvalue()
    assert key not in err.getvalue()
    response = Client(headers={"authorization": f"Bearer {key}"}).get("/api/v1/units")
    assert response.status_code == 200


def test_command_refuses_unknown_account_and_bad_name(owner):
    with pytest.raises(CommandError, match="不存在"):
        call_command("api_token_issue", "nobody", "对接", stdout=io.StringIO(), stderr=io.StringIO())
    with pytest.raises(CommandError, match="请填写令牌用途"):
        call_command("api_token_issue", "oa-bridge", " ", stdout=io.StringIO(), stderr=io.StringIO())
    assert not ApiToken.objects.exists()
