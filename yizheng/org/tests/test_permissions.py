import pytest

from yizheng.org import permissions
from yizheng.org.models import Member, Role
from yizheng.org.tests.factories import CouncilFactory, MemberFactory

pytestmark = pytest.mark.django_db


def test_role_reaches_own_council_and_those_below_not_above_or_beside(make_user):
    city = CouncilFactory()
    county = CouncilFactory(parent=city, level="county")
    other = CouncilFactory()
    staff = make_user(Role.STAFF, city)
    county_staff = make_user(Role.STAFF, county)
    assert permissions.can(staff, "member.edit", city)
    assert permissions.can(staff, "member.edit", county)
    assert not permissions.can(staff, "member.edit", other)
    assert permissions.can(county_staff, "member.edit", county)
    assert not permissions.can(county_staff, "member.edit", city)


def test_council_q_scopes_rows(make_user):
    city = CouncilFactory()
    county = CouncilFactory(parent=city, level="county")
    other = CouncilFactory()
    a, b, c = MemberFactory(council=city), MemberFactory(council=county), MemberFactory(council=other)
    staff = make_user(Role.STAFF, city)
    visible = set(Member.objects.filter(permissions.council_q(staff, "member.view")))
    assert visible == {a, b}
    assert c not in visible


@pytest.mark.parametrize(
    ("role", "perm", "allowed"),
    [
        (Role.SYSTEM_ADMIN, "account.manage", True),
        (Role.SYSTEM_ADMIN, "role.assign", False),
        (Role.SYSTEM_ADMIN, "audit.view", False),
        (Role.SECURITY_ADMIN, "role.assign", True),
        (Role.SECURITY_ADMIN, "account.manage", False),
        (Role.SECURITY_ADMIN, "audit.view", False),
        (Role.AUDIT_ADMIN, "audit.view", True),
        (Role.AUDIT_ADMIN, "account.manage", False),
        (Role.AUDIT_ADMIN, "role.assign", False),
        (Role.AUDIT_ADMIN, "member.edit", False),
        (Role.MEMBER, "member.view", False),
        (Role.UNIT_LIAISON, "member.edit", False),
    ],
)
def test_three_administrators_stay_in_their_domain(make_user, council, role, perm, allowed):
    user = make_user(role, council)
    assert permissions.can(user, perm, council) is allowed


def test_disabled_account_has_no_rights(make_user, council):
    staff = make_user(Role.STAFF, council)
    staff.is_active = False
    permissions.forget_roles(staff)
    assert not permissions.can(staff, "member.view", council)
