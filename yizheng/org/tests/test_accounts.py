"""账号管理: the system administrator's screens and the account services behind them."""

import pytest
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from yizheng.audit.models import Event
from yizheng.core.errors import ApplicationError
from yizheng.org import services_accounts as services
from yizheng.org.models import Role, User
from yizheng.org.tests.factories import CouncilFactory, RoleAssignmentFactory, UserFactory

pytestmark = pytest.mark.django_db

GOOD_PASSWORD = "Chushi-Mima-2026"


@pytest.fixture
def sysadmin(make_user, council):
    return make_user(Role.SYSTEM_ADMIN, council, username="sysadmin")


@pytest.fixture
def admin_client(client, sysadmin):
    client.force_login(sysadmin)
    return client


@pytest.fixture
def client_factory():
    return Client


def _events(action):
    return Event.objects.filter(action=action)


# --- list -------------------------------------------------------------------------------------------------


def test_list_shows_the_council_tree_only(admin_client, council, other_council):
    county = CouncilFactory(parent=council, level="county", name="示例县政协")
    UserFactory(username="city_clerk", council=council)
    UserFactory(username="county_clerk", council=county)
    UserFactory(username="stranger", council=other_council)
    response = admin_client.get(reverse("account_list"))
    assert response.status_code == 200
    text = response.content.decode()
    assert "city_clerk" in text
    assert "county_clerk" in text
    assert "stranger" not in text


def test_list_search_and_filters(admin_client, council, make_user):
    county = CouncilFactory(parent=council, level="county")
    make_user(Role.STAFF, council, username="zhang_staff")
    make_user(Role.LEADER, county, username="li_leader")
    off = UserFactory(username="wang_off", council=council, full_name="王停用")
    off.is_active = False
    off.save(update_fields=["is_active"])
    url = reverse("account_list")

    def names(**params):
        page = admin_client.get(url, params).context["page"]
        return {u.username for u in page.object_list}

    assert names(q="zhang") == {"zhang_staff"}
    assert names(q="王停用") == {"wang_off"}
    assert names(role=Role.LEADER) == {"li_leader"}
    assert names(council=county.pk) == {"li_leader"}
    assert names(active="0") == {"wang_off"}
    assert "wang_off" not in names(active="1")


def test_list_filter_with_a_council_outside_the_tree_shows_an_error_not_its_accounts(
    admin_client, other_council
):
    UserFactory(username="stranger", council=other_council)
    response = admin_client.get(reverse("account_list"), {"council": other_council.pk})
    assert response.status_code == 200
    assert "stranger" not in response.content.decode()
    assert response.context["form"].errors["council"]


def test_list_query_count_does_not_grow_with_rows(
    admin_client, council, make_user, django_assert_max_num_queries
):
    for i in range(30):
        user = make_user(Role.STAFF, council, username=f"staff{i}")
        RoleAssignmentFactory(user=user, council=council, role=Role.LEADER, office="")
    with django_assert_max_num_queries(11):  # +1: unread-notifications badge
        response = admin_client.get(reverse("account_list"))
    assert response.status_code == 200
    assert len(response.context["page"].object_list) == 31


@pytest.mark.parametrize(
    "role", [Role.SECURITY_ADMIN, Role.AUDIT_ADMIN, Role.STAFF, Role.LEADER, Role.MEMBER]
)
def test_other_roles_get_403_on_every_account_screen(client, council, make_user, role):
    target = UserFactory(council=council)
    client.force_login(make_user(role, council))
    for name, args in [
        ("account_list", []),
        ("account_create", []),
        ("account_detail", [target.pk]),
        ("account_edit", [target.pk]),
    ]:
        assert client.get(reverse(name, args=args)).status_code == 403, name
    for name in ("account_edit", "account_disable", "account_enable", "account_password_reset"):
        response = client.post(
            reverse(name, args=[target.pk]),
            {"reason": "x", "password": GOOD_PASSWORD, "password2": GOOD_PASSWORD, "full_name": "改名",
             "council": council.pk},
        )  # fmt: skip
        assert response.status_code == 403, name
    response = client.post(
        reverse("account_create"),
        {"username": "newbie", "full_name": "新人", "council": council.pk,
         "password": GOOD_PASSWORD, "password2": GOOD_PASSWORD},
    )  # fmt: skip
    assert response.status_code == 403
    target.refresh_from_db()
    assert target.is_active
    assert target.full_name != "改名"
    assert not User.objects.filter(username="newbie").exists()


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("account_list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_another_councils_account_is_404_everywhere(admin_client, other_council):
    stranger = UserFactory(council=other_council)
    for name in ("account_detail", "account_edit"):
        assert admin_client.get(reverse(name, args=[stranger.pk])).status_code == 404
    for name in ("account_edit", "account_disable", "account_enable", "account_password_reset"):
        assert admin_client.post(reverse(name, args=[stranger.pk]), {"reason": "x"}).status_code == 404
    stranger.refresh_from_db()
    assert stranger.is_active


# --- create -----------------------------------------------------------------------------------------------


def test_create_account_with_initial_password_that_must_be_changed(admin_client, council):
    response = admin_client.post(
        reverse("account_create"),
        {"username": "liu_clerk", "full_name": "刘文书", "council": council.pk, "phone": "13912345678",
         "password": GOOD_PASSWORD, "password2": GOOD_PASSWORD},
    )  # fmt: skip
    user = User.objects.get(username="liu_clerk")
    assert response.status_code == 302
    assert response["Location"] == reverse("account_detail", args=[user.pk])
    assert user.must_change_password
    assert user.check_password(GOOD_PASSWORD)
    assert user.council == council
    assert user.full_name == "刘文书"
    event = _events("account.create").get(target_id=str(user.pk))
    assert event.payload["after"]["username"] == "liu_clerk"
    assert GOOD_PASSWORD not in str(event.payload)
    assert not user.role_assignments.exists()  # roles come from the security admin


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"password": "short1A"}, "password", "至少需要10个字符"),
        ({"password": "alllowercaseletters"}, "password", "至少三类"),
        ({"password2": "Something-Else-99"}, "password2", "两次输入的密码不一致"),
        ({"username": "a b"}, "username", "用户名须为"),
        ({"username": "SYSADMIN"}, "username", "已被使用"),
        ({"phone": "12345"}, "phone", "电话号码格式不正确"),
        ({"full_name": ""}, "full_name", ""),
    ],
)
def test_create_refuses_bad_input_and_changes_nothing(admin_client, council, data, field, message):
    before = (User.objects.count(), Event.objects.count())
    post = {"username": "liu_clerk", "full_name": "刘文书", "council": council.pk, "phone": "",
            "password": GOOD_PASSWORD, "password2": GOOD_PASSWORD, **data}  # fmt: skip
    if "password" in data and "password2" not in data:
        post["password2"] = data["password"]
    response = admin_client.post(reverse("account_create"), post)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert field in errors
    assert message in " ".join(errors[field])
    assert (User.objects.count(), Event.objects.count()) == before


def test_create_in_a_council_outside_the_tree_is_refused(admin_client, other_council):
    response = admin_client.post(
        reverse("account_create"),
        {"username": "liu_clerk", "full_name": "刘文书", "council": other_council.pk,
         "password": GOOD_PASSWORD, "password2": GOOD_PASSWORD},
    )  # fmt: skip
    assert response.status_code == 400
    assert not User.objects.filter(username="liu_clerk").exists()
    with pytest.raises(PermissionDenied):
        services.account_create(
            actor=admin_client.get(reverse("home")).wsgi_request.user,
            username="liu_clerk",
            full_name="刘文书",
            council=other_council,
            password=GOOD_PASSWORD,
        )


@pytest.mark.parametrize("role", [Role.SECURITY_ADMIN, Role.AUDIT_ADMIN, Role.STAFF])
def test_every_account_service_enforces_its_permission(make_user, council, role):
    actor = make_user(role, council)
    target = UserFactory(council=council)
    with pytest.raises(PermissionDenied):
        services.account_create(actor=actor, username="x_user", full_name="某", council=council,
                                password=GOOD_PASSWORD)  # fmt: skip
    with pytest.raises(PermissionDenied):
        services.account_update(actor=actor, user=target, data={"full_name": "新名"})
    with pytest.raises(PermissionDenied):
        services.account_disable(actor=actor, user=target, reason="调离")
    with pytest.raises(PermissionDenied):
        services.account_enable(actor=actor, user=target, reason="返岗")
    with pytest.raises(PermissionDenied):
        services.account_password_reset(actor=actor, user=target, password=GOOD_PASSWORD)


# --- edit -------------------------------------------------------------------------------------------------


def test_edit_records_a_diff(admin_client, council):
    county = CouncilFactory(parent=council, level="county")
    target = UserFactory(council=council, full_name="赵某", phone="")
    response = admin_client.post(
        reverse("account_edit", args=[target.pk]),
        {"full_name": "赵某某", "council": county.pk, "phone": "13800001111"},
    )
    assert response.status_code == 302
    target.refresh_from_db()
    assert (target.full_name, target.council, target.phone) == ("赵某某", county, "13800001111")
    event = _events("account.update").get(target_id=str(target.pk))
    assert event.payload["changes"]["full_name"] == ["赵某", "赵某某"]
    assert event.payload["changes"]["council"] == [str(council), str(county)]


def test_edit_with_bad_phone_changes_nothing(admin_client, council):
    target = UserFactory(council=council, full_name="赵某")
    response = admin_client.post(
        reverse("account_edit", args=[target.pk]),
        {"full_name": "赵某某", "council": council.pk, "phone": "abc"},
    )
    assert response.status_code == 400
    target.refresh_from_db()
    assert target.full_name == "赵某"
    assert not _events("account.update").exists()


# --- disable / enable -------------------------------------------------------------------------------------


def test_disable_needs_a_reason(admin_client, council):
    target = UserFactory(council=council)
    response = admin_client.post(reverse("account_disable", args=[target.pk]), {"reason": "  "})
    assert response.status_code == 400
    assert "reason" in response.context["reason_form"].errors
    target.refresh_from_db()
    assert target.is_active
    assert not _events("account.disable").exists()


def test_disable_keeps_the_account_and_ends_its_sessions_at_once(
    admin_client, client_factory, council, django_capture_on_commit_callbacks
):
    target = UserFactory(council=council, username="leaving")
    other = client_factory()
    other.force_login(target)
    assert other.get(reverse("home")).status_code == 200
    assert Session.objects.count() == 2

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("account_disable", args=[target.pk]), {"reason": "调离岗位"})
    assert response.status_code == 302

    target.refresh_from_db()
    assert not target.is_active
    assert User.objects.filter(pk=target.pk).exists()  # never deleted
    followup = other.get(reverse("home"))
    assert followup.status_code == 302
    assert followup["Location"].startswith(reverse("login"))
    assert Session.objects.count() == 1  # only the administrator's
    event = _events("account.disable").get(target_id=str(target.pk))
    assert event.payload["reason"] == "调离岗位"
    assert event.payload["changes"] == {"is_active": [True, False]}

    response = admin_client.post(reverse("account_enable", args=[target.pk]), {"reason": "返岗"})
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.is_active
    assert _events("account.enable").get().payload["reason"] == "返岗"


def test_disabling_twice_is_a_clear_error(admin_client, council):
    target = UserFactory(council=council)
    admin_client.post(reverse("account_disable", args=[target.pk]), {"reason": "调离"})
    response = admin_client.post(reverse("account_disable", args=[target.pk]), {"reason": "调离"})
    assert response.status_code == 400
    assert "已是停用状态" in response.content.decode()
    assert _events("account.disable").count() == 1


def test_system_admin_cannot_disable_itself_or_the_other_two_administrators(
    admin_client, sysadmin, council, make_user
):
    security = make_user(Role.SECURITY_ADMIN, council)
    auditor = make_user(Role.AUDIT_ADMIN, council)
    for target, text in [(sysadmin, "不能对自己的账号"), (security, "三员分立"), (auditor, "三员分立")]:
        response = admin_client.post(reverse("account_disable", args=[target.pk]), {"reason": "测试"})
        assert response.status_code == 400
        assert text in response.content.decode()
        response = admin_client.post(
            reverse("account_password_reset", args=[target.pk]),
            {"password": GOOD_PASSWORD, "password2": GOOD_PASSWORD},
        )
        assert response.status_code == 400
        target.refresh_from_db()
        assert target.is_active
        assert not target.must_change_password
    assert not _events("account.disable").exists()
    assert not _events("account.password_reset").exists()


# --- reset password ---------------------------------------------------------------------------------------


def test_reset_password_forces_a_change_at_next_login(admin_client, client_factory, council):
    target = UserFactory(council=council)
    other = client_factory()
    other.force_login(target)
    response = admin_client.post(
        reverse("account_password_reset", args=[target.pk]),
        {"password": GOOD_PASSWORD, "password2": GOOD_PASSWORD},
    )
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.check_password(GOOD_PASSWORD)
    assert target.must_change_password
    assert other.get(reverse("home")).status_code == 302  # the old session no longer matches
    event = _events("account.password_reset").get()
    assert GOOD_PASSWORD not in str(event.payload)


def test_reset_password_refuses_a_weak_one(admin_client, council):
    target = UserFactory(council=council)
    response = admin_client.post(
        reverse("account_password_reset", args=[target.pk]), {"password": "12345678", "password2": "12345678"}
    )
    assert response.status_code == 400
    assert response.context["reset_form"].errors["password"]
    target.refresh_from_db()
    assert target.check_password("Yizheng-test-1")
    assert not target.must_change_password


def test_detail_page_shows_the_account(admin_client, council, make_user):
    target = make_user(Role.STAFF, council, username="detail_me")
    response = admin_client.get(reverse("account_detail", args=[target.pk]))
    assert response.status_code == 200
    text = response.content.decode()
    assert "detail_me" in text
    assert "机关工作人员" in text


def test_service_refuses_other_council_account_even_when_called_directly(sysadmin, other_council):
    stranger = UserFactory(council=other_council)
    with pytest.raises(PermissionDenied):
        services.account_disable(actor=sysadmin, user=stranger, reason="x")
    with pytest.raises(ApplicationError):
        services.account_disable(actor=sysadmin, user=sysadmin, reason="x")
