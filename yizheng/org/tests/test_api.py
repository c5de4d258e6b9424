"""The organisation API: who may read what, in which council, through a session or a token."""

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from yizheng.org.models import ApiToken, Council, Membership, Role, Unit
from yizheng.org.services_tokens import api_token_issue, api_token_revoke
from yizheng.org.tests.factories import (
    CommitteeFactory,
    CouncilFactory,
    MemberFactory,
    MemberGroupFactory,
    MembershipFactory,
    SectorFactory,
    TermFactory,
    UnitFactory,
)

API = "/api/v1"


@pytest.fixture
def world(council, other_council):
    """A municipal council with a county council below it, and an unrelated council beside them."""
    county = CouncilFactory(
        name="示例县政协", short_name="示例县", level=Council.Level.COUNTY, parent=council
    )
    data = {"council": council, "county": county, "other": other_council}
    for key, c in (("", council), ("county_", county), ("other_", other_council)):
        term = TermFactory(council=c)
        sector = SectorFactory(council=c, name=f"{c.short_name or c.name}医药卫生界")
        committee = CommitteeFactory(council=c, name=f"{c.short_name or c.name}提案委员会")
        member = MemberFactory(council=c, name=f"{c.short_name or c.name}张委员")
        seat = MembershipFactory(member=member, term=term, sector=sector)
        seat.committees.add(committee)
        unit = UnitFactory(council=c, name=f"{c.short_name or c.name}教育局")
        data.update(
            {
                f"{key}term": term,
                f"{key}sector": sector,
                f"{key}committee": committee,
                f"{key}member": member,
                f"{key}unit": unit,
            }
        )
    return data


def as_user(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def with_token(key: str) -> Client:
    return Client(headers={"authorization": f"Bearer {key}"})


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["items"]]


# --- anonymous, unknown and wrong credentials --------------------------------------------------------------

ENDPOINTS = ["/councils", "/sectors", "/committees", "/members", "/units"]


@pytest.mark.parametrize("path", [*ENDPOINTS, "/councils/1", "/members/1", "/units/1"])
def test_anonymous_gets_401_with_localised_message(db, path):
    response = Client().get(API + path)
    assert response.status_code == 401
    assert response.json() == {"detail": "请先登录,或提供有效的接口令牌", "errors": {}}
    assert response["WWW-Authenticate"] == "Bearer"
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("path", ENDPOINTS)
def test_account_without_any_role_gets_403(world, path):
    from yizheng.org.tests.factories import UserFactory

    response = as_user(UserFactory(council=world["council"])).get(API + path)
    assert response.status_code == 403
    assert response.json()["detail"] == "您没有执行此操作的权限"


# --- councils ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.STAFF, Role.LEADER, Role.SUPERVISOR, Role.SYSTEM_ADMIN])
def test_councils_list_the_visible_tree(world, make_user, role):
    client = as_user(make_user(role, world["council"]))
    response = client.get(f"{API}/councils")
    assert ids(response) == [world["council"].pk, world["county"].pk]
    assert response.json()["count"] == 2
    row = response.json()["items"][1]
    assert row == {
        "id": world["county"].pk,
        "name": "示例县政协",
        "short_name": world["county"].short_name,
        "level": "county",
        "parent_id": world["council"].pk,
        "region_code": "",
    }


def test_county_staff_see_only_their_county(world, make_user):
    client = as_user(make_user(Role.STAFF, world["county"]))
    assert ids(client.get(f"{API}/councils")) == [world["county"].pk]
    assert client.get(f"{API}/councils/{world['council'].pk}").status_code == 404


def test_council_detail_allowed_other_council_404_wrong_role_403(world, make_user):
    staff = as_user(make_user(Role.STAFF, world["council"]))
    response = staff.get(f"{API}/councils/{world['county'].pk}")
    assert response.status_code == 200
    assert response.json()["name"] == "示例县政协"
    missing = staff.get(f"{API}/councils/{world['other'].pk}")
    assert missing.status_code == 404
    assert missing.json() == {"detail": "未找到该记录", "errors": {}}
    assert staff.get(f"{API}/councils/999999").status_code == 404
    for role in (Role.MEMBER, Role.UNIT_LIAISON, Role.AUDIT_ADMIN):
        client = as_user(make_user(role, world["council"]))
        assert client.get(f"{API}/councils").status_code == 403
        assert client.get(f"{API}/councils/{world['council'].pk}").status_code == 403


# --- sectors and committees -------------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "key"), [("/sectors", "sector"), ("/committees", "committee")])
def test_sectors_and_committees_for_staff_cover_the_tree(world, make_user, path, key):
    client = as_user(make_user(Role.STAFF, world["council"]))
    assert ids(client.get(API + path)) == [world[key].pk, world[f"county_{key}"].pk]
    filtered = client.get(API + path, {"council": world["county"].pk})
    assert ids(filtered) == [world[f"county_{key}"].pk]
    # another council's id as a filter finds nothing rather than leaking its rows
    assert ids(client.get(API + path, {"council": world["other"].pk})) == []


@pytest.mark.parametrize(("path", "key"), [("/sectors", "sector"), ("/committees", "committee")])
@pytest.mark.parametrize("role", [Role.MEMBER, Role.UNIT_LIAISON, Role.COLLECTIVE_AGENT, Role.AUDIT_ADMIN])
def test_every_role_reads_its_own_councils_sectors_and_committees(world, make_user, path, key, role):
    client = as_user(make_user(role, world["council"]))
    assert ids(client.get(API + path)) == [world[key].pk]


def test_committee_fields(world, make_user):
    client = as_user(make_user(Role.MEMBER, world["council"]))
    row = client.get(f"{API}/committees").json()["items"][0]
    assert row == {
        "id": world["committee"].pk,
        "council_id": world["council"].pk,
        "name": "示例市提案委员会",
        "kind": "other",
        "order": 0,
        "is_active": True,
    }


# --- members ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.STAFF, Role.LEADER, Role.SUPERVISOR])
def test_members_list_for_allowed_roles(world, make_user, role):
    client = as_user(make_user(role, world["council"]))
    response = client.get(f"{API}/members")
    assert ids(response) == [world["member"].pk, world["county_member"].pk]
    row = response.json()["items"][0]
    assert row["name"] == "示例市张委员"
    assert row["council"] == {"id": world["council"].pk, "name": "示例市政协"}
    seat = row["memberships"][0]
    assert seat["term"]["id"] == world["term"].pk
    assert seat["sector"] == {"id": world["sector"].pk, "name": "示例市医药卫生界"}
    assert seat["committees"] == [{"id": world["committee"].pk, "name": "示例市提案委员会"}]
    assert seat["status"] == "active"


@pytest.mark.parametrize("role", [Role.MEMBER, Role.UNIT_LIAISON, Role.UNIT_REVIEWER, Role.SYSTEM_ADMIN])
def test_members_wrong_role_403(world, make_user, role):
    client = as_user(make_user(role, world["council"]))
    assert client.get(f"{API}/members").status_code == 403
    assert client.get(f"{API}/members/{world['member'].pk}").status_code == 403


def test_member_detail_and_other_council_404(world, make_user):
    client = as_user(make_user(Role.LEADER, world["council"]))
    response = client.get(f"{API}/members/{world['county_member'].pk}")
    assert response.status_code == 200
    assert response.json()["name"] == "示例县张委员"
    assert client.get(f"{API}/members/{world['other_member'].pk}").status_code == 404
    outsider = as_user(make_user(Role.STAFF, world["other"]))
    assert outsider.get(f"{API}/members/{world['member'].pk}").status_code == 404
    assert ids(outsider.get(f"{API}/members")) == [world["other_member"].pk]


def test_id_number_masked_unless_caller_may_edit_members(world, make_user):
    full = world["member"].id_number
    masked = full[:6] + "********" + full[-4:]
    leader = as_user(make_user(Role.LEADER, world["council"]))
    assert leader.get(f"{API}/members/{world['member'].pk}").json()["id_number"] == masked
    assert leader.get(f"{API}/members").json()["items"][0]["id_number"] == masked
    staff = as_user(make_user(Role.STAFF, world["council"]))
    assert staff.get(f"{API}/members/{world['member'].pk}").json()["id_number"] == full
    # member.edit in the county does not unmask the city's members for a city leader
    both = make_user(Role.LEADER, world["council"])
    from yizheng.org.tests.factories import RoleAssignmentFactory

    RoleAssignmentFactory(user=both, council=world["county"], role=Role.STAFF, office="general")
    client = as_user(both)
    rows = {r["id"]: r["id_number"] for r in client.get(f"{API}/members").json()["items"]}
    assert rows[world["member"].pk] == masked
    assert rows[world["county_member"].pk] == world["county_member"].id_number


def test_member_filters(world, make_user):
    c = world["council"]
    old_term = TermFactory(council=c, number=5, is_current=False, start_date=dt.date(2017, 1, 1),
                           end_date=dt.date(2021, 12, 31))  # fmt: skip
    other_sector = SectorFactory(council=c, name="教育界")
    standing = MemberFactory(council=c, name="李常委", work_unit="示例大学")
    MembershipFactory(member=standing, term=world["term"], sector=other_sector, is_standing=True)
    MembershipFactory(member=standing, term=old_term, sector=world["sector"])
    resigned = MemberFactory(council=c, name="王委员", work_unit="示例医院")
    MembershipFactory(member=resigned, term=world["term"], sector=world["sector"], status="resigned")
    client = as_user(make_user(Role.STAFF, c))
    member = world["member"]

    def find(**params):
        return set(ids(client.get(f"{API}/members", params)))

    assert find(council=c.pk) == {member.pk, standing.pk, resigned.pk}
    assert find(term=world["term"].pk) == {member.pk, standing.pk, resigned.pk}
    assert find(term=old_term.pk) == {standing.pk}
    assert find(sector=other_sector.pk) == {standing.pk}
    assert find(committee=world["committee"].pk) == {member.pk}
    assert find(is_standing="true") == {standing.pk}
    assert find(is_standing="false", council=c.pk) == {member.pk, standing.pk, resigned.pk}
    assert find(status="resigned") == {resigned.pk}
    assert find(q="大学") == {standing.pk}
    assert find(q="王") == {resigned.pk}
    assert find(q="  ") == {member.pk, standing.pk, resigned.pk, world["county_member"].pk}
    # seat conditions hold in one and the same term: standing in the current term, the sector only in the old
    assert find(term=old_term.pk, is_standing="true") == set()
    assert find(term=world["term"].pk, sector=world["sector"].pk) == {member.pk, resigned.pk}
    # a member with two seats appears once
    assert find(council=c.pk, is_standing="false") == {member.pk, standing.pk, resigned.pk}
    response = client.get(f"{API}/members", {"council": c.pk, "is_standing": "false"})
    assert response.json()["count"] == 3


def test_member_groups_and_seats_newest_term_first(world, make_user):
    c = world["council"]
    old_term = TermFactory(council=c, number=5, is_current=False, start_date=dt.date(2017, 1, 1),
                           end_date=dt.date(2021, 12, 31))  # fmt: skip
    MembershipFactory(member=world["member"], term=old_term, sector=None)
    group = MemberGroupFactory(term=world["term"], name="第一委员组")
    Membership.objects.get(member=world["member"], term=world["term"]).groups.add(group)
    client = as_user(make_user(Role.STAFF, c))
    seats = client.get(f"{API}/members/{world['member'].pk}").json()["memberships"]
    assert [s["term"]["number"] for s in seats] == [6, 5]
    assert seats[0]["groups"] == [{"id": group.pk, "name": "第一委员组"}]
    assert seats[1]["sector"] is None


def test_members_list_runs_a_constant_number_of_queries(world, make_user, django_assert_max_num_queries):
    c = world["council"]
    client = as_user(make_user(Role.STAFF, c))
    group = MemberGroupFactory(term=world["term"])

    def add(n):
        for _ in range(n):
            seat = MembershipFactory(
                member=MemberFactory(council=c), term=world["term"], sector=world["sector"]
            )
            seat.committees.add(world["committee"])
            seat.groups.add(group)

    def run() -> list[str]:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(f"{API}/members", {"limit": 200})
        assert response.status_code == 200
        return [q["sql"] for q in ctx.captured_queries]

    add(3)  # with the world's two members: 5 rows
    run()  # the first request renews the session's idle timeout (a write the next ones skip)
    few = run()
    add(55)  # 60 rows
    run()  # the new rows renewed the cached roles (with Redis): read once more
    with django_assert_max_num_queries(len(few)):
        response = client.get(f"{API}/members", {"limit": 200})
    assert response.json()["count"] == 60
    assert len(response.json()["items"]) == 60
    many = run()
    assert len(many) == len(few), "\n".join(["5 rows:", *few, "60 rows:", *many])


# --- units ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.STAFF, Role.LEADER, Role.SUPERVISOR])
def test_units_for_council_wide_roles(world, make_user, role):
    client = as_user(make_user(role, world["council"]))
    response = client.get(f"{API}/units")
    assert ids(response) == [world["unit"].pk, world["county_unit"].pk]
    row = response.json()["items"][0]
    assert row["name"] == "示例市教育局"
    assert row["council"] == {"id": world["council"].pk, "name": "示例市政协"}
    assert row["kind"] == "government_department"
    assert row["contact_name"] == "王联络"


@pytest.mark.parametrize("role", [Role.UNIT_LIAISON, Role.UNIT_REVIEWER])
def test_unit_roles_see_only_their_own_unit(world, make_user, role):
    client = as_user(make_user(role, world["council"], unit=world["unit"]))
    assert ids(client.get(f"{API}/units")) == [world["unit"].pk]
    assert client.get(f"{API}/units/{world['unit'].pk}").status_code == 200
    sibling = UnitFactory(council=world["council"])
    assert client.get(f"{API}/units/{sibling.pk}").status_code == 404
    assert client.get(f"{API}/units/{world['county_unit'].pk}").status_code == 404


@pytest.mark.parametrize("role", [Role.MEMBER, Role.SYSTEM_ADMIN, Role.AUDIT_ADMIN])
def test_units_wrong_role_403(world, make_user, role):
    client = as_user(make_user(role, world["council"]))
    assert client.get(f"{API}/units").status_code == 403
    assert client.get(f"{API}/units/{world['unit'].pk}").status_code == 403


def test_unit_detail_other_council_404(world, make_user):
    client = as_user(make_user(Role.STAFF, world["council"]))
    assert client.get(f"{API}/units/{world['county_unit'].pk}").json()["name"] == "示例县教育局"
    assert client.get(f"{API}/units/{world['other_unit'].pk}").status_code == 404


def test_unit_filters(world, make_user):
    c = world["council"]
    court = UnitFactory(council=c, name="示例市中级人民法院", short_name="市中院", kind=Unit.Kind.COURT)
    closed = UnitFactory(council=c, name="示例市撤并局", is_active=False, contact_name="赵主任")
    client = as_user(make_user(Role.STAFF, c))

    def find(**params):
        return set(ids(client.get(f"{API}/units", params)))

    assert find(kind="court") == {court.pk}
    assert find(is_active="false") == {closed.pk}
    assert find(council=world["county"].pk) == {world["county_unit"].pk}
    assert find(q="中院") == {court.pk}
    assert find(q="赵主任") == {closed.pk}
    assert find(q="教育", is_active="true") == {world["unit"].pk, world["county_unit"].pk}


# --- pagination and bad parameters ------------------------------------------------------------------------


def test_limit_offset_pagination_with_total(world, make_user):
    c = world["council"]
    extra = [UnitFactory(council=c, order=i + 1) for i in range(4)]
    client = as_user(make_user(Role.STAFF, c))
    everything = ids(client.get(f"{API}/units", {"limit": 200}))
    assert len(everything) == 6
    page = client.get(f"{API}/units", {"limit": 2, "offset": 2}).json()
    assert page["count"] == 6
    assert (page["limit"], page["offset"]) == (2, 2)
    assert [r["id"] for r in page["items"]] == everything[2:4]
    assert client.get(f"{API}/units", {"offset": 100}).json() == {
        "count": 6, "limit": 50, "offset": 100, "items": []
    }  # fmt: skip
    assert extra[0].pk in everything


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"limit": 0}, "limit", "不能小于 1"),
        ({"limit": 500}, "limit", "不能大于 200"),
        ({"offset": -1}, "offset", "不能小于 0"),
        ({"council": "abc"}, "council", "请输入整数"),
        ({"is_standing": "maybe"}, "is_standing", "请输入 true 或 false"),
        ({"status": "retired"}, "status", "取值无效"),
        ({"q": "长" * 51}, "q", "长度不能超过 50 个字符"),
    ],
)
def test_bad_parameters_get_a_localised_400(world, make_user, params, field, message):
    client = as_user(make_user(Role.STAFF, world["council"]))
    response = client.get(f"{API}/members", params)
    assert response.status_code == 400
    body = response.json()
    assert body["detail"] == "请求参数有误"
    assert list(body["errors"]) == [field]
    assert body["errors"][field][0].startswith(message)


def test_bad_path_parameter_400(world, make_user):
    client = as_user(make_user(Role.STAFF, world["council"]))
    response = client.get(f"{API}/members/abc")
    assert response.status_code in (400, 404)  # Django's URL converter may refuse it before the API


# --- token authentication ---------------------------------------------------------------------------------


@pytest.fixture
def staff_token(world, make_user):
    user = make_user(Role.STAFF, world["council"])
    token, key = api_token_issue(actor=None, user=user, name="OA 系统对接")
    return token, key


def test_token_auth_reads_with_the_owners_scope(world, staff_token):
    token, key = staff_token
    client = with_token(key)
    assert ids(client.get(f"{API}/members")) == [world["member"].pk, world["county_member"].pk]
    assert client.get(f"{API}/members/{world['other_member'].pk}").status_code == 404
    assert client.get(f"{API}/members/{world['member'].pk}").json()["id_number"] == world["member"].id_number
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_token_last_used_is_written_at_most_once_a_minute(world, staff_token):
    token, key = staff_token
    client = with_token(key)
    recent = timezone.now() - dt.timedelta(seconds=30)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=recent)
    assert client.get(f"{API}/units").status_code == 200
    token.refresh_from_db()
    assert token.last_used_at == recent
    stale = timezone.now() - dt.timedelta(minutes=2)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=stale)
    assert client.get(f"{API}/units").status_code == 200
    token.refresh_from_db()
    assert token.last_used_at > stale + dt.timedelta(minutes=1)


def test_token_role_limits_apply(world, make_user):
    user = make_user(Role.UNIT_LIAISON, world["council"], unit=world["unit"])
    _, key = api_token_issue(actor=None, user=user, name="单位系统")
    client = with_token(key)
    assert ids(client.get(f"{API}/units")) == [world["unit"].pk]
    assert client.get(f"{API}/members").status_code == 403


def test_revoked_token_gets_401(world, staff_token):
    token, key = staff_token
    api_token_revoke(actor=token.user, token=token)
    response = with_token(key).get(f"{API}/members")
    assert response.status_code == 401
    assert response.json()["detail"] == "请先登录,或提供有效的接口令牌"


def test_disabled_users_token_gets_401(world, staff_token):
    token, key = staff_token
    token.user.is_active = False
    token.user.save(update_fields=["is_active"])
    assert with_token(key).get(f"{API}/members").status_code == 401


@pytest.mark.parametrize("header", ["Bearer ", "Bearer nonsense", "Bearer yz_wrongwrongwrong", "bearer  "])
def test_bad_tokens_get_401(world, staff_token, header):
    assert Client(headers={"authorization": header}).get(f"{API}/members").status_code == 401


def test_right_prefix_wrong_key_gets_401(world, staff_token):
    _, key = staff_token
    assert with_token(key[:8] + "x" * (len(key) - 8)).get(f"{API}/members").status_code == 401


def test_a_bad_token_does_not_fall_back_to_the_session(world, make_user):
    client = as_user(make_user(Role.STAFF, world["council"]))
    response = client.get(f"{API}/members", headers={"authorization": "Bearer nonsense"})
    assert response.status_code == 401


def test_disabled_users_session_gets_401(world, make_user):
    user = make_user(Role.STAFF, world["council"])
    client = as_user(user)
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert client.get(f"{API}/members").status_code == 401


def test_list_shows_the_seats_meeting_the_filter_detail_shows_all(world, make_user):
    c = world["council"]
    old_term = TermFactory(council=c, number=5, is_current=False, start_date=dt.date(2017, 1, 1),
                           end_date=dt.date(2021, 12, 31))  # fmt: skip
    MembershipFactory(member=world["member"], term=old_term, sector=world["sector"])
    client = as_user(make_user(Role.STAFF, c))
    row = client.get(f"{API}/members", {"term": old_term.pk}).json()["items"][0]
    assert [s["term"]["number"] for s in row["memberships"]] == [5]
    row = client.get(f"{API}/members", {"council": c.pk}).json()["items"][0]
    assert [s["term"]["number"] for s in row["memberships"]] == [6, 5]
    detail = client.get(f"{API}/members/{world['member'].pk}").json()
    assert [s["term"]["number"] for s in detail["memberships"]] == [6, 5]


def test_id_number_search_only_for_those_who_see_it_whole(world, make_user):
    fragment = world["member"].id_number[8:14]  # inside the masked middle
    staff = as_user(make_user(Role.STAFF, world["council"]))
    assert ids(staff.get(f"{API}/members", {"q": fragment})) == [world["member"].pk]
    leader = as_user(make_user(Role.LEADER, world["council"]))
    assert ids(leader.get(f"{API}/members", {"q": fragment})) == []
