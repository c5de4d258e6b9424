"""Member and unit selectors: what each role reaches, how filters combine, and the record history rows."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from yizheng.org import selectors, services
from yizheng.org.models import Council, Membership, Role
from yizheng.org.tests.factories import (
    CommitteeFactory,
    CouncilFactory,
    MemberFactory,
    MembershipFactory,
    RoleAssignmentFactory,
    SectorFactory,
    TermFactory,
    UnitFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree(council, other_council):
    county = CouncilFactory(
        name="示例县政协", short_name="示例县", level=Council.Level.COUNTY, parent=council
    )
    out = {"county": county}
    for key, c in (("city", council), ("county", county), ("other", other_council)):
        term = TermFactory(council=c)
        member = MemberFactory(council=c, name=f"{c.short_name}委员", work_unit=f"{c.short_name}医院")
        MembershipFactory(member=member, term=term)
        out[f"{key}_term"] = term
        out[f"{key}_member"] = member
        out[f"{key}_unit"] = UnitFactory(council=c, name=f"{c.short_name}教育局")
    return out


def names(rows):
    return {r.name for r in rows}


# --- members ----------------------------------------------------------------------------------------------


def test_members_reach_the_council_tree_only(tree, council, make_user):
    staff = make_user(Role.STAFF, council)
    assert names(selectors.members_visible_to(staff)) == {"示例市委员", "示例县委员"}
    county_leader = make_user(Role.LEADER, tree["county"])
    assert names(selectors.members_visible_to(county_leader)) == {"示例县委员"}


@pytest.mark.parametrize("role", [Role.MEMBER, Role.UNIT_LIAISON, Role.UNIT_REVIEWER, Role.SYSTEM_ADMIN])
def test_members_refused_to_roles_without_member_view(tree, council, make_user, role):
    user = make_user(role, council)
    with pytest.raises(PermissionDenied):
        selectors.members_visible_to(user)
    with pytest.raises(PermissionDenied):
        selectors.member_for(user, tree["city_member"].pk)


def test_member_for_is_404_outside_the_tree_and_403_for_edit_without_the_role(tree, council, make_user):
    staff = make_user(Role.STAFF, council)
    leader = make_user(Role.LEADER, council)
    assert selectors.member_for(staff, tree["county_member"].pk, "edit") == tree["county_member"]
    assert selectors.member_for(leader, tree["city_member"].pk) == tree["city_member"]
    with pytest.raises(Http404):
        selectors.member_for(staff, tree["other_member"].pk)
    with pytest.raises(Http404):
        selectors.member_for(staff, tree["other_member"].pk, "edit")
    with pytest.raises(PermissionDenied):
        selectors.member_for(leader, tree["city_member"].pk, "edit")


def test_member_for_edit_needs_the_edit_role_in_that_council(tree, council, make_user):
    """Staff in the county but leader in the city: may edit county members, only view city ones."""
    user = make_user(Role.STAFF, tree["county"])
    RoleAssignmentFactory(user=user, council=council, role=Role.LEADER, office="")
    assert selectors.member_for(user, tree["city_member"].pk) == tree["city_member"]
    assert selectors.member_for(user, tree["county_member"].pk, "edit") == tree["county_member"]
    with pytest.raises(PermissionDenied):
        selectors.member_for(user, tree["city_member"].pk, "edit")


def test_member_seats_are_prefetched_newest_first(tree, council, make_user):
    staff = make_user(Role.STAFF, council)
    old = TermFactory(
        council=council,
        number=5,
        start_date=dt.date(2017, 1, 1),
        end_date=dt.date(2021, 12, 31),
        is_current=False,
    )
    MembershipFactory(member=tree["city_member"], term=old)
    member = selectors.member_for(staff, tree["city_member"].pk)
    assert [s.term.number for s in member.seats] == [6, 5]
    assert selectors.current_seat(member, tree["city_term"]).term == tree["city_term"]
    assert selectors.current_seat(member, None) is None


def test_member_filters_default_to_the_current_term(tree, council, make_user):
    staff = make_user(Role.STAFF, council)
    old = TermFactory(
        council=council,
        number=5,
        start_date=dt.date(2017, 1, 1),
        end_date=dt.date(2021, 12, 31),
        is_current=False,
    )
    former = MemberFactory(council=council, name="上届委员")
    MembershipFactory(member=former, term=old)
    assert "上届委员" not in names(selectors.members_visible_to(staff))
    assert "上届委员" in names(selectors.members_visible_to(staff, all_terms=True))
    assert names(selectors.members_visible_to(staff, term=old)) == {"上届委员"}
    rows = list(selectors.members_visible_to(staff, term=old))
    assert [s.term for s in rows[0].seats] == [old]


def test_member_seat_conditions_hold_in_one_seat(council, make_user):
    staff = make_user(Role.STAFF, council)
    current = TermFactory(council=council)
    old = TermFactory(
        council=council,
        number=5,
        start_date=dt.date(2017, 1, 1),
        end_date=dt.date(2021, 12, 31),
        is_current=False,
    )
    health = SectorFactory(council=council, name="医药卫生界")
    economy = SectorFactory(council=council, name="经济界")
    committee = CommitteeFactory(council=council, name="提案委员会")
    a = MemberFactory(council=council, name="甲")
    MembershipFactory(member=a, term=current, sector=health, is_standing=False)
    MembershipFactory(member=a, term=old, sector=economy, is_standing=True)
    b = MemberFactory(council=council, name="乙")
    seat = MembershipFactory(member=b, term=current, sector=economy, is_standing=True,
                             position=Membership.Position.VICE_CHAIR)  # fmt: skip
    seat.committees.add(committee)
    c = MemberFactory(council=council, name="丙")
    MembershipFactory(member=c, term=current, sector=health, status=Membership.Status.RESIGNED)

    def find(**kw):
        return names(selectors.members_visible_to(staff, **kw))

    assert find(sector=economy) == {"乙"}
    assert find(sector=economy, all_terms=True) == {"甲", "乙"}
    assert find(sector=economy, standing=True, all_terms=True) == {"甲", "乙"}
    assert find(sector=health, standing=True, all_terms=True) == set()
    assert find(standing=False) == {"甲", "丙"}
    assert find(committee=committee) == {"乙"}
    assert find(position=Membership.Position.VICE_CHAIR) == {"乙"}
    assert find(status=Membership.Status.RESIGNED) == {"丙"}
    assert find(status=Membership.Status.ACTIVE) == {"甲", "乙"}
    # The row shows the seat that met the conditions.
    row = next(iter(selectors.members_visible_to(staff, sector=economy, all_terms=True).filter(name="甲")))
    assert [s.term for s in row.seats] == [old]


def test_member_search_by_name_work_unit_phone_and_id_fragment(tree, council, make_user):
    staff = make_user(Role.STAFF, council)
    leader = make_user(Role.LEADER, council)
    m = MemberFactory(council=council, name="欧阳明", work_unit="示例市第一中学", job_title="校长",
                      phone="13712345678", id_number="42030019800101123X")  # fmt: skip
    MembershipFactory(member=m, term=tree["city_term"])
    for text in ("欧阳", "第一中学", "校长", "1371234", "0101123x"):
        assert names(selectors.members_visible_to(staff, q=text)) == {"欧阳明"}, text
    # Someone who sees ID numbers masked cannot probe them by searching.
    assert names(selectors.members_visible_to(leader, q="0101123X")) == set()
    assert names(selectors.members_visible_to(leader, q="欧阳")) == {"欧阳明"}


def test_mask_id_number():
    assert selectors.mask_id_number("42030019800101123X") == "420300********123X"
    assert selectors.mask_id_number("") == ""
    assert selectors.mask_id_number("12345") == "*****"


# --- units ------------------------------------------------------------------------------------------------


def test_units_reach_the_tree_and_unit_roles_only_their_unit(tree, council, make_user):
    staff = make_user(Role.STAFF, council)
    assert names(selectors.units_visible_to(staff)) == {"示例市教育局", "示例县教育局"}
    liaison = make_user(Role.UNIT_LIAISON, council, unit=tree["city_unit"])
    assert names(selectors.units_visible_to(liaison)) == {"示例市教育局"}
    assert selectors.unit_for(liaison, tree["city_unit"].pk) == tree["city_unit"]
    with pytest.raises(Http404):
        selectors.unit_for(liaison, tree["county_unit"].pk)
    with pytest.raises(PermissionDenied):
        selectors.unit_for(liaison, tree["city_unit"].pk, "edit")
    with pytest.raises(Http404):
        selectors.unit_for(staff, tree["other_unit"].pk)
    leader = make_user(Role.LEADER, council)
    with pytest.raises(PermissionDenied):
        selectors.unit_for(leader, tree["city_unit"].pk, "edit")
    member = make_user(Role.MEMBER, council)
    with pytest.raises(PermissionDenied):
        selectors.units_visible_to(member)


def test_unit_filters_and_search(council, make_user):
    staff = make_user(Role.STAFF, council)
    UnitFactory(council=council, name="示例市财政局", short_name="财政局", contact_name="李会计")
    UnitFactory(council=council, name="示例市中级人民法院", kind="court", contact_phone="0717-6221234")
    UnitFactory(council=council, name="示例市粮食局", is_active=False)

    def find(**kw):
        return names(selectors.units_visible_to(staff, **kw))

    assert find(q="财政") == {"示例市财政局"}
    assert find(q="李会计") == {"示例市财政局"}
    assert find(q="6221234") == {"示例市中级人民法院"}
    assert find(kind="court") == {"示例市中级人民法院"}
    assert find(active=False) == {"示例市粮食局"}
    assert "示例市粮食局" not in find(active=True)


def test_unit_children_show_only_visible_ones(council, make_user):
    parent = UnitFactory(council=council, name="示例市人民政府")
    child = UnitFactory(council=council, name="示例市政府办公室", parent=parent)
    staff = make_user(Role.STAFF, council)
    assert list(selectors.unit_children(staff, parent)) == [child]
    # A unit liaison reaches their own unit only: not its sub-units, not its parent.
    parent_liaison = make_user(Role.UNIT_LIAISON, council, unit=parent)
    assert list(selectors.unit_children(parent_liaison, parent)) == []
    child_liaison = make_user(Role.UNIT_LIAISON, council, unit=child)
    assert selectors.unit_parent_visible(staff, child) is True
    assert selectors.unit_parent_visible(child_liaison, child) is False


# --- record history ---------------------------------------------------------------------------------------


def test_history_lists_changes_with_labels_and_names(tree, council, make_user):
    staff = make_user(Role.STAFF, council)
    member = tree["city_member"]
    seat = member.memberships.get()
    economy = SectorFactory(council=council, name="经济界")
    services.member_update(
        actor=staff,
        member=member,
        data={"work_unit": "示例市第二医院", "gender": "female"},
        membership=seat,
        membership_data={"sector": economy, "is_standing": True},
    )
    history = selectors.history_of(staff, member)
    assert len(history) == 1
    entry = history[0]
    assert entry.action == "修改"
    assert entry.actor == str(staff)
    changes = {c.label: (c.old, c.new) for c in entry.changes}
    assert changes["工作单位"] == ("示例市医院", "示例市第二医院")
    assert changes["性别"] == ("男", "女")
    assert changes["常委"] == ("否", "是")
    assert changes["界别"][1] == "经济界"


def test_history_hidden_from_roles_without_record_history(tree, council, make_user):
    leader = make_user(Role.LEADER, council)
    assert selectors.history_of(leader, tree["city_member"]) is None
    liaison = make_user(Role.UNIT_LIAISON, council, unit=tree["city_unit"])
    assert selectors.history_of(liaison, tree["city_unit"]) is None


def test_history_masks_id_numbers_for_users_who_may_not_edit(tree, council, make_user):
    staff = make_user(Role.STAFF, council)
    member = tree["city_member"]
    services.member_update(actor=staff, member=member, data={"id_number": "42030019800101123X"})
    auditor = make_user(Role.AUDIT_ADMIN, council)
    (entry,) = selectors.history_of(auditor, member)
    (change,) = entry.changes
    assert "0101" not in change.new
    assert change.new.endswith("123X")
    (entry,) = selectors.history_of(staff, member)
    assert entry.changes[0].new == "42030019800101123X"
