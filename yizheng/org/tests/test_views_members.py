"""委员 screens: list, search and filters, detail, create and edit — for every role, with bad input, another
council's records and concurrent edits."""

import datetime as dt
import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from yizheng.audit.models import Event
from yizheng.core.errors import ApplicationError, ConflictError
from yizheng.org import services
from yizheng.org.models import Member, Membership, Role
from yizheng.org.tests.factories import (
    CommitteeFactory,
    CouncilFactory,
    MemberFactory,
    MemberGroupFactory,
    MembershipFactory,
    SectorFactory,
    TermFactory,
)
from yizheng.org.validators import id_number_check_digit

pytestmark = pytest.mark.django_db

LIST = reverse("member_list")
CREATE = reverse("member_create")


def id_number(birth: str = "19750308", seq: int = 123) -> str:
    """A valid ID number; an odd `seq` is a man's, an even one a woman's."""
    first17 = f"420300{birth}{seq:03d}"
    return first17 + id_number_check_digit(first17)


def as_user(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def world(council, other_council):
    term = TermFactory(council=council)
    other_term = TermFactory(council=other_council)
    health = SectorFactory(council=council, name="医药卫生界")
    economy = SectorFactory(council=council, name="经济界")
    committee = CommitteeFactory(council=council, name="教科卫体委员会")
    group = MemberGroupFactory(term=term, name="第一活动组")
    member = MemberFactory(council=council, name="张卫民", gender="male", id_number=id_number(seq=123),
                           birth_date=dt.date(1975, 3, 8), work_unit="示例市人民医院", job_title="院长",
                           phone="13907171234")  # fmt: skip
    seat = MembershipFactory(member=member, term=term, sector=health, card_number="0601001")
    seat.committees.add(committee)
    seat.groups.add(group)
    stranger = MemberFactory(council=other_council, name="外地委员")
    MembershipFactory(member=stranger, term=other_term)
    return {"term": term, "health": health, "economy": economy, "committee": committee, "group": group,
            "member": member, "seat": seat, "stranger": stranger}  # fmt: skip


@pytest.fixture
def staff(council, make_user):
    return make_user(Role.STAFF, council)


def detail(member):
    return reverse("member_detail", args=[member.pk])


def edit(member):
    return reverse("member_edit", args=[member.pk])


def edit_post(member, seat=None, **overrides):
    """What the edit form posts when nothing is changed, with overrides."""
    data = {
        "name": member.name, "gender": member.gender, "ethnicity": member.ethnicity,
        "birth_date": member.birth_date.isoformat() if member.birth_date else "", "id_number": member.id_number,
        "political_affiliation": member.political_affiliation, "education": member.education,
        "work_unit": member.work_unit, "job_title": member.job_title, "phone": member.phone, "email": member.email,
        "address": member.address, "updated_at": member.updated_at.isoformat(),
    }  # fmt: skip
    if seat is not None:
        data.update(
            {
                "sector": seat.sector_id or "",
                "committees": [c.pk for c in seat.committees.all()],
                "groups": [g.pk for g in seat.groups.all()],
                "position": seat.position,
                "status": seat.status,
                "card_number": seat.card_number,
            }
        )
        if seat.is_standing:
            data["is_standing"] = "on"
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def listed(client, **params):
    response = client.get(LIST, params)
    assert response.status_code == 200
    return {m.name for m in response.context["page"].object_list}


# --- list -------------------------------------------------------------------------------------------------


def test_list_for_staff_shows_the_columns_and_the_create_button(world, staff):
    response = as_user(staff).get(LIST)
    assert response.status_code == 200
    text = response.content.decode()
    for heading in ("姓名", "性别", "界别", "工作单位及职务", "专委会", "常委", "状态"):
        assert f"<th>{heading}</th>" in text
    assert "张卫民" in text
    assert "示例市人民医院院长" in text
    assert "教科卫体委员会" in text
    assert "外地委员" not in text
    assert 'data-testid="member-create"' in text
    assert 'hx-get="/org/members/"' in text  # htmx on the filter form
    assert 'method="get"' in text  # and a plain form without JavaScript


def test_list_for_leader_reads_without_the_create_button(world, council, make_user):
    response = as_user(make_user(Role.LEADER, council)).get(LIST)
    assert response.status_code == 200
    assert "张卫民" in response.content.decode()
    assert 'data-testid="member-create"' not in response.content.decode()


@pytest.mark.parametrize("role", [Role.MEMBER, Role.UNIT_LIAISON, Role.COLLECTIVE_AGENT, Role.AUDIT_ADMIN])
def test_list_refused_to_roles_without_member_view(world, council, make_user, role):
    response = as_user(make_user(role, council)).get(LIST)
    assert response.status_code == 403
    assert "张卫民" not in response.content.decode()


def test_list_needs_sign_in(client, world):
    response = client.get(LIST)
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_list_search_and_filters(world, council, staff):
    term = world["term"]
    li = MemberFactory(council=council, name="李经纬", work_unit="示例市发展和改革委员会", phone="13800001111",
                       id_number=id_number("19820417", 457))  # fmt: skip
    MembershipFactory(member=li, term=term, sector=world["economy"], is_standing=True,
                      position=Membership.Position.VICE_CHAIR)  # fmt: skip
    wang = MemberFactory(council=council, name="王辞任")
    MembershipFactory(member=wang, term=term, sector=world["health"], status=Membership.Status.RESIGNED)
    old_term = TermFactory(council=council, number=5, start_date=dt.date(2017, 1, 1),
                           end_date=dt.date(2021, 12, 31), is_current=False)  # fmt: skip
    former = MemberFactory(council=council, name="赵上届")
    MembershipFactory(member=former, term=old_term, sector=world["economy"])
    client = as_user(staff)

    assert listed(client) == {"张卫民", "李经纬", "王辞任"}
    assert listed(client, q="李经") == {"李经纬"}
    assert listed(client, q="发展和改革") == {"李经纬"}
    assert listed(client, q="13800001111") == {"李经纬"}
    assert listed(client, q=id_number("19820417", 457)[6:14]) == {"李经纬"}
    assert listed(client, sector=world["economy"].pk) == {"李经纬"}
    assert listed(client, committee=world["committee"].pk) == {"张卫民"}
    assert listed(client, standing="1") == {"李经纬"}
    assert listed(client, standing="0") == {"张卫民", "王辞任"}
    assert listed(client, position="vice_chair") == {"李经纬"}
    assert listed(client, status="resigned") == {"王辞任"}
    assert listed(client, term=old_term.pk) == {"赵上届"}
    assert listed(client, term="all", sector=world["economy"].pk) == {"李经纬", "赵上届"}
    assert listed(client, q="没有这个人") == set()


def test_list_filter_outside_the_tree_shows_an_error_not_the_other_councils_members(
    world, other_council, staff
):
    foreign_sector = SectorFactory(council=other_council)
    response = as_user(staff).get(LIST, {"sector": foreign_sector.pk})
    assert response.status_code == 200
    assert "外地委员" not in response.content.decode()
    assert response.context["form"].errors["sector"]


def test_list_shows_the_council_filter_only_when_the_tree_has_several(world, council, staff):
    assert 'name="council"' not in as_user(staff).get(LIST).content.decode()
    county = CouncilFactory(parent=council, level="county", name="示例县政协", short_name="示例县")
    county_term = TermFactory(council=county)
    m = MemberFactory(council=county, name="县委员")
    MembershipFactory(member=m, term=county_term)
    client = as_user(staff)
    response = client.get(LIST)
    assert 'name="council"' in response.content.decode()
    assert listed(client) == {"张卫民", "县委员"}
    assert listed(client, council=county.pk) == {"县委员"}


def test_htmx_request_gets_the_results_fragment_only(world, staff):
    client = as_user(staff)
    response = client.get(LIST, {"q": "张"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    text = response.content.decode()
    assert text.lstrip().startswith('<div id="results"')
    assert "<html" not in text
    assert "张卫民" in text
    assert "HX-Request" in response["Vary"]
    # A history restore needs the whole page.
    restore = client.get(LIST, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in restore.content.decode()


def test_list_paginates_fifty_a_page(world, council, staff):
    for _ in range(54):
        MembershipFactory(member=MemberFactory(council=council), term=world["term"], sector=world["health"])
    client = as_user(staff)
    first = client.get(LIST)
    assert len(first.context["page"].object_list) == 50
    assert first.context["page"].paginator.count == 55
    second = client.get(LIST, {"page": 2})
    assert len(second.context["page"].object_list) == 5


def test_list_query_count_does_not_grow_with_rows(world, council, staff, django_assert_max_num_queries):
    committees = [CommitteeFactory(council=council) for _ in range(3)]

    def add(count):
        for _ in range(count):
            seat = MembershipFactory(member=MemberFactory(council=council), term=world["term"],
                                     sector=world["economy"])  # fmt: skip
            seat.committees.set(committees[:2])
            seat.groups.add(world["group"])

    add(4)  # 5 members
    client = as_user(staff)
    client.get(LIST)  # warm up: session, template caches
    with django_assert_max_num_queries(20) as few:
        assert client.get(LIST).status_code == 200
    add(55)  # 60 members, more than a page
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(LIST)
    assert len(response.context["page"].object_list) == 50


# --- detail -----------------------------------------------------------------------------------------------


def test_detail_for_staff_shows_everything_with_the_full_id_number(world, staff):
    old_term = TermFactory(council=world["term"].council, number=5, start_date=dt.date(2017, 1, 1),
                           end_date=dt.date(2021, 12, 31), is_current=False)  # fmt: skip
    MembershipFactory(member=world["member"], term=old_term, sector=world["economy"], is_standing=True)
    response = as_user(staff).get(detail(world["member"]))
    assert response.status_code == 200
    text = response.content.decode()
    assert id_number(seq=123) in text
    for expected in ("示例市人民医院", "医药卫生界", "教科卫体委员会", "第一活动组", "0601001", "第六届", "第五届",
                     "经济界", 'data-testid="member-edit"', 'data-testid="history"'):  # fmt: skip
        assert expected in text, expected


def test_detail_for_leader_masks_the_id_number_and_hides_edit_and_history(world, council, make_user):
    response = as_user(make_user(Role.LEADER, council)).get(detail(world["member"]))
    assert response.status_code == 200
    text = response.content.decode()
    assert id_number(seq=123) not in text
    assert "420300********123" in text
    assert 'data-testid="member-edit"' not in text
    assert 'data-testid="history"' not in text


def test_detail_of_another_councils_member_is_404(world, other_council, make_user, staff):
    assert as_user(staff).get(detail(world["stranger"])).status_code == 404
    other_staff = make_user(Role.STAFF, other_council)
    assert as_user(other_staff).get(detail(world["member"])).status_code == 404
    assert as_user(other_staff).get(detail(world["stranger"])).status_code == 200


@pytest.mark.parametrize("role", [Role.MEMBER, Role.UNIT_LIAISON])
def test_detail_refused_to_roles_without_member_view(world, council, make_user, role):
    assert as_user(make_user(role, council)).get(detail(world["member"])).status_code == 403


def test_missing_member_is_404(world, staff):
    assert as_user(staff).get(reverse("member_detail", args=[999999])).status_code == 404


# --- create -----------------------------------------------------------------------------------------------


def create_post(world, **overrides):
    data = {
        "name": "刘春华", "gender": "female", "ethnicity": "回族", "id_number": id_number("19800512", 246),
        "political_affiliation": "民盟盟员", "education": "研究生", "work_unit": "示例市第一中学",
        "job_title": "校长", "phone": "0717-6221234", "email": "liu@example.org", "address": "示例市沿江大道1号",
        "sector": world["health"].pk, "committees": [world["committee"].pk], "groups": [world["group"].pk],
        "is_standing": "on", "position": "member", "status": "active", "card_number": "0601099",
    }  # fmt: skip
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_staff_creates_a_member_with_a_seat_in_the_current_term(world, staff):
    response = as_user(staff).post(CREATE, create_post(world))
    member = Member.objects.get(name="刘春华")
    assert response.status_code == 302
    assert response["Location"] == detail(member)
    assert member.birth_date == dt.date(1980, 5, 12)
    seat = member.memberships.get()
    assert seat.term == world["term"]
    assert seat.sector == world["health"]
    assert seat.is_standing is True
    assert list(seat.committees.all()) == [world["committee"]]
    assert list(seat.groups.all()) == [world["group"]]
    event = Event.objects.get(action="member.create", target_id=str(member.pk))
    assert event.actor == staff
    assert event.payload["after"]["name"] == "刘春华"


def test_create_form_renders_for_staff(world, staff):
    response = as_user(staff).get(CREATE)
    assert response.status_code == 200
    text = response.content.decode()
    assert "基本信息" in text
    assert "本届任职信息" in text
    assert "教科卫体委员会" in text


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("id_number", "420300198005122461", "校验位错误"),
        ("phone", "6221234", "电话号码格式不正确"),
        ("email", "liu@", "有效的 Email 地址"),
        ("gender", "male", "性别与身份证号码不一致"),
        ("name", "", "这个字段是必填项"),
    ],
)
def test_create_with_bad_input_shows_the_error_and_writes_nothing(world, staff, field, value, message):
    before = Member.objects.count()
    response = as_user(staff).post(CREATE, create_post(world, **{field: value}))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Member.objects.count() == before
    assert not Event.objects.filter(action="member.create").exists()


def test_create_with_an_id_number_taken_in_the_council_is_a_clear_error(world, staff, other_council):
    taken = world["member"].id_number
    response = as_user(staff).post(CREATE, create_post(world, id_number=taken.lower(), gender="male",
                                                       birth_date=""))  # fmt: skip
    assert response.status_code == 400
    assert "本政协已有委员登记了该身份证号码" in response.content.decode()
    assert not Member.objects.filter(name="刘春华").exists()


def test_the_same_id_number_may_sit_in_another_council(world, staff, other_council):
    MemberFactory(council=other_council, id_number=id_number("19800512", 246))
    response = as_user(staff).post(CREATE, create_post(world))
    assert response.status_code == 302


def test_create_refuses_another_councils_sector(world, staff, other_council):
    foreign = SectorFactory(council=other_council)
    response = as_user(staff).post(CREATE, create_post(world, sector=foreign.pk))
    assert response.status_code == 400
    assert not Member.objects.filter(name="刘春华").exists()


@pytest.mark.parametrize("role", [Role.LEADER, Role.MEMBER, Role.UNIT_LIAISON, Role.SUPERVISOR])
def test_create_refused_to_roles_without_member_edit(world, council, make_user, role):
    client = as_user(make_user(role, council))
    assert client.get(CREATE).status_code == 403
    assert client.post(CREATE, create_post(world)).status_code == 403
    assert not Member.objects.filter(name="刘春华").exists()


# --- edit -------------------------------------------------------------------------------------------------


def test_edit_form_shows_the_current_values(world, staff):
    response = as_user(staff).get(edit(world["member"]))
    assert response.status_code == 200
    text = response.content.decode()
    assert 'value="张卫民"' in text
    assert f'value="{world["member"].updated_at.isoformat()}"' in text
    assert "任职信息(第六届)" in text


def test_staff_edits_person_data_and_seat_and_the_history_shows_it(world, staff):
    member, seat = world["member"], world["seat"]
    client = as_user(staff)
    response = client.post(
        edit(member),
        edit_post(
            member,
            seat,
            work_unit="示例市中心医院",
            sector=world["economy"].pk,
            is_standing="on",
            committees=[],
        ),
    )
    assert response.status_code == 302
    member.refresh_from_db()
    seat.refresh_from_db()
    assert member.work_unit == "示例市中心医院"
    assert seat.sector == world["economy"]
    assert seat.is_standing is True
    assert list(seat.committees.all()) == []
    event = Event.objects.get(action="member.update", target_id=str(member.pk))
    assert event.payload["changes"]["work_unit"] == ["示例市人民医院", "示例市中心医院"]
    assert event.payload["changes"]["committees"] == [["教科卫体委员会"], []]

    page = client.get(detail(member)).content.decode()
    history = page[page.index('data-testid="history"') :]
    assert "修改" in history
    assert str(staff) in history
    assert "<del>示例市人民医院</del> → <ins>示例市中心医院</ins>" in history
    assert "<del>医药卫生界</del> → <ins>经济界</ins>" in history
    assert "<del>否</del> → <ins>是</ins>" in history


def test_edit_without_changes_records_nothing(world, staff):
    response = as_user(staff).post(edit(world["member"]), edit_post(world["member"], world["seat"]))
    assert response.status_code == 302
    assert not Event.objects.filter(action="member.update").exists()


def test_edit_creates_the_current_seat_when_the_member_has_none(world, council, staff):
    newcomer = MemberFactory(council=council, name="新委员", id_number=id_number("19900101", 135),
                             birth_date=dt.date(1990, 1, 1))  # fmt: skip
    response = as_user(staff).post(
        edit(newcomer), edit_post(newcomer, sector=world["health"].pk, position="member", status="active")
    )
    assert response.status_code == 302
    seat = newcomer.memberships.get()
    assert seat.term == world["term"]
    assert seat.sector == world["health"]


def test_edit_with_a_stale_updated_at_is_refused_and_changes_nothing(world, staff):
    member, seat = world["member"], world["seat"]
    stale = edit_post(member, seat, work_unit="我的修改")
    # Someone else saves first.
    other = as_user(staff).post(edit(member), edit_post(member, seat, job_title="副院长"))
    assert other.status_code == 302
    events = Event.objects.filter(action__startswith="member.").count()
    response = as_user(staff).post(edit(member), stale)
    assert response.status_code == 409
    assert "该记录已被他人修改,请刷新后重试" in response.content.decode()
    member.refresh_from_db()
    assert member.work_unit == "示例市人民医院"
    assert member.job_title == "副院长"
    assert Event.objects.filter(action__startswith="member.").count() == events


def test_a_seat_only_change_also_moves_updated_at(world, staff):
    member, seat = world["member"], world["seat"]
    stale = edit_post(member, seat, job_title="我的修改")
    as_user(staff).post(edit(member), edit_post(member, seat, card_number="0601777"))
    response = as_user(staff).post(edit(member), stale)
    assert response.status_code == 409


@pytest.mark.parametrize(
    ("field", "value"),
    [("id_number", "42030019750308123"), ("phone", "110"), ("birth_date", "1975-03-09"), ("updated_at", "")],
)
def test_edit_with_bad_input_changes_nothing(world, staff, field, value):
    member = world["member"]
    response = as_user(staff).post(
        edit(member), edit_post(member, world["seat"], work_unit="新单位", **{field: value})
    )
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()
    member.refresh_from_db()
    assert member.work_unit == "示例市人民医院"
    assert not Event.objects.filter(action="member.update").exists()


def test_edit_to_an_id_number_taken_by_another_member_is_refused(world, council, staff):
    other = MemberFactory(council=council, id_number=id_number("19800512", 246))
    member = world["member"]
    response = as_user(staff).post(
        edit(member),
        edit_post(member, world["seat"], id_number=other.id_number, gender="female", birth_date=""),
    )
    assert response.status_code == 400
    assert "本政协已有委员登记了该身份证号码" in response.content.decode()
    member.refresh_from_db()
    assert member.id_number == id_number(seq=123)


def test_edit_refused_to_leader_and_member_roles(world, council, make_user):
    member = world["member"]
    for role in (Role.LEADER, Role.MEMBER, Role.SUPERVISOR):
        client = as_user(make_user(role, council))
        assert client.get(edit(member)).status_code == 403
        assert client.post(edit(member), edit_post(member, world["seat"], name="改名")).status_code == 403
    member.refresh_from_db()
    assert member.name == "张卫民"


def test_edit_of_another_councils_member_is_404(world, other_council, make_user):
    member = world["member"]
    client = as_user(make_user(Role.STAFF, other_council))
    assert client.get(edit(member)).status_code == 404
    assert client.post(edit(member), edit_post(member, world["seat"], name="改名")).status_code == 404
    member.refresh_from_db()
    assert member.name == "张卫民"


# --- concurrency (PostgreSQL: SQLite serialises writers) --------------------------------------------------


def _race(*jobs):
    """Run the jobs at the same moment in threads, each on its own connection; return results or errors."""
    barrier = threading.Barrier(len(jobs))
    results = [None] * len(jobs)

    def run(i, job):
        try:
            barrier.wait()
            results[i] = job()
        except Exception as exc:  # the test inspects what each racer got
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


needs_postgres = pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrency needs PostgreSQL")


@pytest.mark.postgres
@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_two_editors_with_the_same_updated_at_one_wins_one_gets_a_conflict(world, staff):
    member = world["member"]
    seen = member.updated_at

    def save(work_unit):
        return lambda: services.member_update(
            actor=staff, member=Member.objects.get(pk=member.pk), data={"work_unit": work_unit},
            expected_updated_at=seen,
        )  # fmt: skip

    results = _race(save("甲单位"), save("乙单位"))
    assert sum(isinstance(r, Member) for r in results) == 1
    assert sum(isinstance(r, ConflictError) for r in results) == 1
    assert Event.objects.filter(action="member.update").count() == 1


@pytest.mark.postgres
@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_two_creates_with_the_same_id_number_one_wins_one_gets_a_clear_error(world, council, staff):
    def create(name):
        return lambda: services.member_create(
            actor=staff, council=council, term=world["term"],
            data={"name": name, "gender": "female", "id_number": id_number("19800512", 246)},
        )  # fmt: skip

    results = _race(*(create(f"重名{n}") for n in range(4)))
    assert sum(isinstance(r, Member) for r in results) == 1
    errors = [r for r in results if not isinstance(r, Member)]
    assert all(type(e) is ApplicationError for e in errors), errors
    assert all("身份证号码" in e.message for e in errors)
