"""角色授权 and 登录锁定: the security administrator's screens and the role services behind them."""

import pytest
from axes.models import AccessAttempt
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from yizheng.audit.models import Event
from yizheng.core.errors import ApplicationError
from yizheng.org import services_accounts as services
from yizheng.org.models import Role, RoleAssignment
from yizheng.org.services import role_grant as role_grant_via_services
from yizheng.org.tests.factories import (
    CommitteeFactory,
    CouncilFactory,
    OrganizationFactory,
    SectorFactory,
    UnitFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def secadmin(make_user, council):
    return make_user(Role.SECURITY_ADMIN, council, username="secadmin")


@pytest.fixture
def sec_client(client, secadmin):
    client.force_login(secadmin)
    return client


def _grant(client, user, **data):
    return client.post(reverse("role_user", args=[user.pk]), data)


def _lock(username, failures=5, when=None):
    """What django-axes stores after `failures` wrong passwords for one account."""
    return AccessAttempt.objects.create(
        username=username, ip_address="10.0.0.8", user_agent="test", http_accept="*/*", path_info="/login/",
        get_data="", post_data="", failures_since_start=failures,
    )  # fmt: skip


# --- list -------------------------------------------------------------------------------------------------


def test_role_list_shows_accounts_of_the_tree_with_their_roles(sec_client, council, other_council, make_user):
    make_user(Role.STAFF, council, username="staff_city")
    make_user(Role.STAFF, other_council, username="staff_other")
    response = sec_client.get(reverse("role_list"))
    assert response.status_code == 200
    text = response.content.decode()
    assert "staff_city" in text
    assert "机关工作人员" in text
    assert "staff_other" not in text


def test_role_list_query_count(sec_client, council, make_user, django_assert_max_num_queries):
    unit = UnitFactory(council=council)
    for i in range(25):
        make_user(Role.UNIT_LIAISON, council, username=f"liaison{i}", unit=unit)
    with django_assert_max_num_queries(11):  # +1: unread-notifications badge
        response = sec_client.get(reverse("role_list"))
    assert response.status_code == 200


@pytest.mark.parametrize("role", [Role.SYSTEM_ADMIN, Role.AUDIT_ADMIN, Role.STAFF, Role.LEADER])
def test_other_roles_get_403_on_every_security_screen(client, council, make_user, role):
    target = make_user(Role.STAFF, council)
    assignment = target.role_assignments.get()
    client.force_login(make_user(role, council))
    assert client.get(reverse("role_list")).status_code == 403
    assert client.get(reverse("role_user", args=[target.pk])).status_code == 403
    assert client.get(reverse("lockout_list")).status_code == 403
    response = client.post(
        reverse("role_user", args=[target.pk]), {"role": Role.LEADER, "council": council.pk}
    )
    assert response.status_code == 403
    assert client.post(reverse("role_revoke", args=[assignment.pk])).status_code == 403
    _lock(target.username)
    assert client.post(reverse("lockout_reset", args=[target.pk])).status_code == 403
    assert RoleAssignment.objects.filter(user=target).count() == 1
    assert AccessAttempt.objects.filter(username=target.username).exists()


def test_another_councils_user_and_assignment_are_404(sec_client, other_council, make_user):
    stranger = make_user(Role.STAFF, other_council)
    assignment = stranger.role_assignments.get()
    _lock(stranger.username)
    assert sec_client.get(reverse("role_user", args=[stranger.pk])).status_code == 404
    assert sec_client.post(reverse("role_revoke", args=[assignment.pk])).status_code == 404
    assert sec_client.post(reverse("lockout_reset", args=[stranger.pk])).status_code == 404
    assert RoleAssignment.objects.filter(pk=assignment.pk).exists()
    assert AccessAttempt.objects.filter(username=stranger.username).exists()


# --- grant ------------------------------------------------------------------------------------------------


def test_grant_a_unit_role_with_its_unit(sec_client, council):
    user = UserFactory(council=council)
    unit = UnitFactory(council=council, name="市教育局")
    response = _grant(sec_client, user, role=Role.UNIT_LIAISON, council=council.pk, unit=unit.pk)
    assert response.status_code == 302
    assignment = RoleAssignment.objects.get(user=user)
    assert (assignment.role, assignment.unit) == (Role.UNIT_LIAISON, unit)
    event = Event.objects.get(action="role.grant")
    assert event.payload["role"] == Role.UNIT_LIAISON
    assert "市教育局" in event.payload["scope"]


def test_grant_staff_with_office_or_committee_and_agent_with_a_collective(sec_client, council):
    user = UserFactory(council=council)
    committee = CommitteeFactory(council=council)
    organization = OrganizationFactory(council=council)
    sector = SectorFactory(council=council)
    assert _grant(sec_client, user, role=Role.STAFF, council=council.pk, office="proposal").status_code == 302
    assert (
        _grant(sec_client, user, role=Role.STAFF, council=council.pk, committee=committee.pk).status_code
        == 302
    )
    assert (
        _grant(sec_client, user, role=Role.COLLECTIVE_AGENT, council=council.pk, organization=organization.pk)
    ).status_code == 302
    assert (
        _grant(sec_client, user, role=Role.COLLECTIVE_AGENT, council=council.pk, sector=sector.pk).status_code
        == 302
    )
    assert _grant(sec_client, user, role=Role.LEADER, council=council.pk).status_code == 302
    assert RoleAssignment.objects.filter(user=user).count() == 5


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"role": Role.UNIT_LIAISON}, "unit", "须指定所属单位"),
        ({"role": Role.UNIT_REVIEWER}, "unit", "须指定所属单位"),
        ({"role": Role.STAFF}, "office", "须指定处室或专委会"),
        ({"role": Role.COLLECTIVE_AGENT}, "organization", "须指定党派团体、专委会或界别之一"),
        (
            {"role": Role.COLLECTIVE_AGENT, "organization": "ORG", "sector": "SECTOR"},
            "organization",
            "只能指定",
        ),
        ({"role": Role.LEADER, "unit": "UNIT"}, "unit", "不需要指定单位"),
        ({"role": Role.STAFF, "office": "general", "unit": "UNIT"}, "unit", "不需要指定单位"),
        ({"role": Role.MEMBER, "office": "general"}, "office", "不需要指定处室"),
        ({"role": Role.UNIT_LIAISON, "unit": "OTHER_UNIT"}, "unit", "选择一个有效的选项"),
        ({"role": ""}, "role", "这个字段是必填项"),
    ],
)
def test_grant_form_checks_the_scope_rules_with_clear_messages(
    sec_client, council, other_council, data, field, message
):
    user = UserFactory(council=council)
    values = {
        "UNIT": UnitFactory(council=council).pk,
        "OTHER_UNIT": UnitFactory(council=other_council).pk,
        "ORG": OrganizationFactory(council=council).pk,
        "SECTOR": SectorFactory(council=council).pk,
    }
    post = {"council": council.pk, **{k: values.get(v, v) for k, v in data.items()}}
    before = Event.objects.count()
    response = _grant(sec_client, user, **post)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert message in " ".join(errors.get(field, [])), errors
    assert not RoleAssignment.objects.filter(user=user).exists()
    assert Event.objects.count() == before


def test_scope_must_belong_to_the_granted_council(sec_client, council):
    county = CouncilFactory(parent=council, level="county", name="示例县政协")
    user = UserFactory(council=county)
    city_unit = UnitFactory(council=council)
    response = _grant(sec_client, user, role=Role.UNIT_LIAISON, council=county.pk, unit=city_unit.pk)
    assert response.status_code == 400
    assert "不属于示例县政协" in " ".join(response.context["form"].errors["unit"])
    assert not RoleAssignment.objects.filter(user=user).exists()


def test_duplicate_grant_is_refused(sec_client, council):
    user = UserFactory(council=council)
    assert _grant(sec_client, user, role=Role.LEADER, council=council.pk).status_code == 302
    response = _grant(sec_client, user, role=Role.LEADER, council=council.pk)
    assert response.status_code == 400
    assert "已有相同范围的此角色" in response.content.decode()
    assert RoleAssignment.objects.filter(user=user).count() == 1


@pytest.mark.parametrize("role", [Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN, Role.LEADER])
def test_security_admin_cannot_grant_itself_any_role(sec_client, secadmin, council, role):
    response = _grant(sec_client, secadmin, role=role, council=council.pk)
    assert response.status_code == 400
    assert "不能给自己授予" in response.content.decode()
    assert list(RoleAssignment.objects.filter(user=secadmin).values_list("role", flat=True)) == [
        Role.SECURITY_ADMIN
    ]


def test_security_admin_cannot_revoke_its_own_admin_role(sec_client, secadmin):
    assignment = secadmin.role_assignments.get()
    response = sec_client.post(reverse("role_revoke", args=[assignment.pk]), follow=True)
    assert "不能撤销自己的管理员角色" in response.content.decode()
    assert RoleAssignment.objects.filter(pk=assignment.pk).exists()
    assert not Event.objects.filter(action="role.revoke").exists()


@pytest.mark.parametrize(
    ("held", "wanted"),
    [
        (Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN),
        (Role.SYSTEM_ADMIN, Role.AUDIT_ADMIN),
        (Role.AUDIT_ADMIN, Role.SECURITY_ADMIN),
        (Role.SECURITY_ADMIN, Role.SYSTEM_ADMIN),
    ],
)
def test_nobody_holds_two_of_the_three_admin_roles(sec_client, council, make_user, held, wanted):
    user = make_user(held, council)
    response = _grant(sec_client, user, role=wanted, council=council.pk)
    assert response.status_code == 400
    assert "三员分立" in response.content.decode()
    assert set(RoleAssignment.objects.filter(user=user).values_list("role", flat=True)) == {held}
    # the rule holds on the bootstrap path too (command line, no actor)
    with pytest.raises(ApplicationError):
        role_grant_via_services(actor=None, user=user, council=council, role=wanted)


def test_security_admin_may_grant_an_admin_role_to_someone_else(sec_client, council):
    user = UserFactory(council=council)
    assert _grant(sec_client, user, role=Role.AUDIT_ADMIN, council=council.pk).status_code == 302
    assert RoleAssignment.objects.get(user=user).role == Role.AUDIT_ADMIN


def test_disabled_account_gets_no_roles(sec_client, council):
    user = UserFactory(council=council, is_active=False)
    response = _grant(sec_client, user, role=Role.LEADER, council=council.pk)
    assert response.status_code == 400
    assert "已停用" in response.content.decode()


def test_revoke_removes_the_assignment_and_records_it(sec_client, council, make_user):
    user = make_user(Role.STAFF, council)
    assignment = user.role_assignments.get()
    response = sec_client.post(reverse("role_revoke", args=[assignment.pk]))
    assert response.status_code == 302
    assert not RoleAssignment.objects.filter(pk=assignment.pk).exists()
    event = Event.objects.get(action="role.revoke")
    assert event.payload["role"] == Role.STAFF
    assert event.target_id == str(user.pk)


def test_revoke_needs_post(sec_client, council, make_user):
    assignment = make_user(Role.STAFF, council).role_assignments.get()
    assert sec_client.get(reverse("role_revoke", args=[assignment.pk])).status_code == 405


@pytest.mark.parametrize("role", [Role.SYSTEM_ADMIN, Role.AUDIT_ADMIN, Role.STAFF])
def test_role_services_enforce_their_permission(make_user, council, role):
    actor = make_user(role, council)
    user = UserFactory(council=council)
    with pytest.raises(PermissionDenied):
        services.role_grant(actor=actor, user=user, council=council, role=Role.LEADER)
    with pytest.raises(PermissionDenied):
        services.role_revoke(actor=actor, assignment=actor.role_assignments.get())
    with pytest.raises(PermissionDenied):
        services.lockout_reset(actor=actor, user=user)


def test_grant_service_refuses_a_council_outside_the_tree(secadmin, other_council):
    user = UserFactory(council=other_council)
    with pytest.raises(PermissionDenied):
        services.role_grant(actor=secadmin, user=user, council=other_council, role=Role.LEADER)


# --- lock-outs --------------------------------------------------------------------------------------------


def test_lockout_list_shows_locked_accounts_of_the_tree(sec_client, council, other_council):
    locked = UserFactory(council=council, username="locked_one")
    almost = UserFactory(council=council, username="almost_one")
    stranger = UserFactory(council=other_council, username="locked_stranger")
    _lock(locked.username, failures=5)
    _lock(almost.username, failures=2)
    _lock(stranger.username, failures=5)
    response = sec_client.get(reverse("lockout_list"))
    assert response.status_code == 200
    rows = response.context["lockouts"]
    assert [(r.user.username, r.failures, r.locked) for r in rows] == [("locked_one", 5, True)]
    all_rows = sec_client.get(reverse("lockout_list"), {"all": "1"}).context["lockouts"]
    assert {r.user.username for r in all_rows} == {"locked_one", "almost_one"}


def test_expired_failures_are_not_a_lockout(sec_client, council):
    user = UserFactory(council=council)
    attempt = _lock(user.username)
    AccessAttempt.objects.filter(pk=attempt.pk).update(
        attempt_time=timezone.now() - timezone.timedelta(hours=1)
    )
    assert sec_client.get(reverse("lockout_list")).context["lockouts"] == []


def test_unlock_clears_the_attempts_and_is_audited(sec_client, council):
    user = UserFactory(council=council, username="locked_one")
    _lock(user.username)
    response = sec_client.post(reverse("lockout_reset", args=[user.pk]))
    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(username="locked_one").exists()
    event = Event.objects.get(action="lockout.reset")
    assert event.payload == {"username": "locked_one", "attempts_cleared": 1}


def test_unlock_without_failures_is_a_clear_error(sec_client, council):
    user = UserFactory(council=council)
    response = sec_client.post(reverse("lockout_reset", args=[user.pk]), follow=True)
    assert "无需解锁" in response.content.decode()
    assert not Event.objects.filter(action="lockout.reset").exists()
