"""Account security basics (等保2.0 level 3): lock-out after failed sign-ins, idle sessions, password policy,
forced password change, and sign-in events in the audit trail."""

import datetime as dt
from unittest import mock

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from yizheng.audit.models import Event
from yizheng.org import services_accounts as services
from yizheng.org.models import Role, User
from yizheng.org.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "Yizheng-test-1"  # the factories' password
NEW_PASSWORD = "Xin-Mima-2026!"


def _login(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


def _signed_in(client) -> bool:
    return SESSION_KEY in client.session


# --- lock-out ---------------------------------------------------------------------------------------------


def test_five_wrong_passwords_lock_the_account_until_the_security_admin_unlocks_it(
    client, council, make_user
):
    user = UserFactory(council=council, username="forgetful")
    assert settings.AXES_FAILURE_LIMIT == 5
    for attempt in range(1, 5):
        response = _login(client, "forgetful", "Wrong-password-1")
        assert response.status_code == 200, attempt
        assert "forgetful" in response.content.decode()  # the login form again, with an error
        assert not _signed_in(client)
    response = _login(client, "forgetful", "Wrong-password-1")
    assert response.status_code == 429
    assert 'data-testid="locked-out"' in response.content.decode()

    # The sixth attempt, with the RIGHT password, is refused too.
    response = _login(client, "forgetful", PASSWORD)
    assert response.status_code == 429
    assert "账号已被临时锁定" in response.content.decode()
    assert not _signed_in(client)

    # Locked by account name, not by address: another office computer cannot sign in as this account either.
    elsewhere = Client(REMOTE_ADDR="10.1.2.3")
    assert _login(elsewhere, "forgetful", PASSWORD).status_code == 429

    # The security admin sees it and unlocks it.
    security = Client()
    security.force_login(make_user(Role.SECURITY_ADMIN, council))
    page = security.get(reverse("lockout_list"))
    assert [(row.user, row.locked, row.failures >= 5) for row in page.context["lockouts"]] == [
        (user, True, True)
    ]
    assert security.post(reverse("lockout_reset", args=[user.pk])).status_code == 302
    assert Event.objects.filter(action="lockout.reset", target_id=str(user.pk)).exists()

    response = _login(client, "forgetful", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert _signed_in(client)


def test_lock_out_expires_after_the_cool_off(client, council):
    UserFactory(council=council, username="patient")
    for _ in range(5):
        _login(client, "patient", "Wrong-password-1")
    assert _login(client, "patient", PASSWORD).status_code == 429
    # Thirty-one minutes pass (the failures are moved back in time).
    AccessAttempt.objects.filter(username="patient").update(
        attempt_time=timezone.now() - dt.timedelta(minutes=31)
    )
    assert _login(client, "patient", PASSWORD).status_code == 302


def test_sign_in_failure_and_sign_out_land_in_the_audit_trail(client, council):
    user = UserFactory(council=council, username="traced")
    _login(client, "traced", "Wrong-password-1")
    failed = Event.objects.get(action="auth.login_failed")
    assert (failed.target_id, failed.actor_id, failed.council) == (str(user.pk), None, council)
    assert failed.client_ip == "127.0.0.1"

    assert _login(client, "traced", PASSWORD).status_code == 302
    login = Event.objects.get(action="auth.login")
    assert (login.actor, login.council) == (user, council)

    assert client.post(reverse("logout")).status_code == 302
    logout = Event.objects.get(action="auth.logout")
    assert logout.actor == user
    assert [e.action for e in Event.objects.order_by("seq")] == [
        "auth.login_failed",
        "auth.login",
        "auth.logout",
    ]


def test_disabled_account_cannot_sign_in(client, council):
    UserFactory(council=council, username="gone", is_active=False)
    response = _login(client, "gone", PASSWORD)
    assert response.status_code == 200
    assert not _signed_in(client)


# --- idle sessions ----------------------------------------------------------------------------------------


def test_idle_session_expires_after_thirty_minutes(client, council):
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    user = UserFactory(council=council)
    client.force_login(user)
    assert client.get(reverse("home")).status_code == 200
    # Thirty minutes without a request: the server-side expiry has passed.
    Session.objects.filter(session_key=client.session.session_key).update(
        expire_date=timezone.now() - dt.timedelta(seconds=1)
    )
    cache.clear()  # the cached-database engine (scaled mode) keeps a copy in Redis
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_every_request_renews_the_idle_timeout(client, council):
    user = UserFactory(council=council)
    client.force_login(user)
    client.get(reverse("home"))
    key = client.session.session_key
    first = Session.objects.get(session_key=key).expire_date
    later = timezone.now() + dt.timedelta(minutes=20)
    with mock.patch("django.utils.timezone.now", return_value=later):
        assert client.get(reverse("home")).status_code == 200
    renewed = Session.objects.get(session_key=client.session.session_key).expire_date
    assert renewed - first >= dt.timedelta(minutes=19)


def test_the_idle_timeout_is_renewed_at_most_once_a_minute(client, council):
    """Pages in quick succession write the session once, not once each (a query and a cache write saved)."""
    assert not settings.SESSION_SAVE_EVERY_REQUEST
    user = UserFactory(council=council)
    client.force_login(user)
    client.get(reverse("home"))
    key = client.session.session_key
    first = Session.objects.get(session_key=key).expire_date
    soon = timezone.now() + dt.timedelta(seconds=30)
    with mock.patch("django.utils.timezone.now", return_value=soon):
        assert client.get(reverse("home")).status_code == 200
    assert Session.objects.get(session_key=key).expire_date == first
    later = timezone.now() + dt.timedelta(seconds=90)
    with mock.patch("django.utils.timezone.now", return_value=later):
        assert client.get(reverse("home")).status_code == 200
    assert Session.objects.get(session_key=key).expire_date > first


def test_signing_out_leaves_no_session_to_renew(client, council):
    user = UserFactory(council=council)
    client.force_login(user)
    client.get(reverse("home"))
    client.post(reverse("logout"))
    assert not Session.objects.exists()


# --- password policy and change ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "password",
    ["Ab1-short", "onlylowercaseletters", "ALLUPPER12345", "1234567890123", "password123"],
)
def test_password_policy_refuses_weak_passwords(password):
    with pytest.raises(ValidationError):
        validate_password(password, User(username="someone"))


@pytest.mark.parametrize("password", ["Yizheng-2026", "huanghe2026ZZ", "长江Abc-12345"])
def test_password_policy_accepts_long_mixed_passwords(password):
    validate_password(password, User(username="someone"))


def test_password_change_sets_the_time_and_clears_the_flag(client, council):
    user = UserFactory(council=council)
    User.objects.filter(pk=user.pk).update(must_change_password=True)
    client.force_login(user)
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert not user.must_change_password
    assert abs(user.password_changed_at - timezone.now()) < dt.timedelta(minutes=1)
    assert client.get(reverse("home")).status_code == 200  # still signed in on this device
    event = Event.objects.get(action="account.password_change")
    assert event.actor == user
    assert NEW_PASSWORD not in str(event.payload)


@pytest.mark.parametrize(
    ("old", "new1", "new2", "field", "message"),
    [
        ("Wrong-old-1", NEW_PASSWORD, NEW_PASSWORD, "old_password", "原密码不正确"),
        (PASSWORD, PASSWORD, PASSWORD, "new_password1", "不能与原密码相同"),
        (PASSWORD, "short1A!", "short1A!", "new_password1", "至少需要10个字符"),
        (PASSWORD, "lowercaseonlyxx", "lowercaseonlyxx", "new_password1", "至少三类"),
        (PASSWORD, NEW_PASSWORD, "Other-Mima-2026", "new_password2", "不一致"),
    ],
)
def test_password_change_refuses_bad_input(client, council, old, new1, new2, field, message):
    user = UserFactory(council=council)
    client.force_login(user)
    response = client.post(
        reverse("password_change"), {"old_password": old, "new_password1": new1, "new_password2": new2}
    )
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    assert user.password_changed_at is None
    assert not Event.objects.filter(action="account.password_change").exists()


def test_password_change_needs_a_signed_in_user(client):
    response = client.get(reverse("password_change"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# --- forced change at first sign-in -----------------------------------------------------------------------


def test_new_account_must_change_its_initial_password_before_anything_else(client, council, make_user):
    sysadmin = make_user(Role.SYSTEM_ADMIN, council)
    services.account_create(
        actor=sysadmin, username="newcomer", full_name="新委员", council=council, password="Chushi-Mima-2026"
    )
    response = _login(client, "newcomer", "Chushi-Mima-2026")
    assert response.status_code == 302
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("password_change") + "?next=%2F"
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "请先设置自己的新密码" in page.content.decode()

    response = client.post(
        reverse("password_change"),
        {"old_password": "Chushi-Mima-2026", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD,
         "next": "/"},
    )  # fmt: skip
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get(reverse("home")).status_code == 200


def test_forced_change_blocks_other_pages_htmx_and_api_but_not_sign_out(client, council):
    user = UserFactory(council=council)
    User.objects.filter(pk=user.pk).update(must_change_password=True)
    client.force_login(user)
    response = client.get(reverse("account_list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("password_change"))
    response = client.get(reverse("home"), headers={"HX-Request": "true"})
    assert response["HX-Redirect"].startswith(reverse("password_change"))
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 403
    response = client.post(reverse("account_create"), {})
    assert response.status_code == 302
    assert response["Location"] == reverse("password_change")
    assert client.post(reverse("logout")).status_code == 302
    assert not _signed_in(client)


def test_unsafe_next_is_ignored_after_password_change(client, council):
    user = UserFactory(council=council)
    client.force_login(user)
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD,
         "next": "https://evil.example/"},
    )  # fmt: skip
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
