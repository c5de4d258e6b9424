"""The demo council: complete, plausible, deterministic, loaded through the services (valid audit chain), fast,
and extensible by registered steps."""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction

from yizheng.audit.models import Event
from yizheng.audit.services import audit_verify
from yizheng.org import demo
from yizheng.org.models import (
    Committee,
    Council,
    Member,
    MemberGroup,
    Membership,
    Organization,
    Plenary,
    Role,
    RoleAssignment,
    Sector,
    Term,
    Unit,
    User,
)
from yizheng.org.validators import MOBILE_RE, id_number_problem

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def org_steps_only():
    """These tests are about the organisation's demo data: steps that other apps register (proposals…) are
    tested in those apps, and are set aside here so each load stays a few seconds."""
    demo.registered_steps()  # discover every app's steps first
    others = {name: fn for name, fn in demo._steps.items() if fn.__module__ != demo.__name__}
    for name in others:
        demo.unregister_step(name)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(demo, "autodiscover_modules", lambda *args: None)
        yield
    for name, fn in others.items():
        demo.register_step(name, fn)


@pytest.fixture
def loaded():
    started = time.perf_counter()
    ctx = demo.demo_load()
    ctx.elapsed = time.perf_counter() - started
    return ctx


def _fingerprint() -> str:
    rows = [
        *Member.objects.order_by("council__name", "id_number").values_list(
            "council__name", "name", "gender", "birth_date", "id_number", "phone", "work_unit", "job_title",
            "political_affiliation", "email",
        ),
        *Membership.objects.order_by("member__id_number").values_list(
            "member__id_number", "sector__name", "is_standing", "position", "card_number"
        ),
        *Unit.objects.order_by("council__name", "name").values_list(
            "name", "kind", "contact_name", "contact_phone", "address"
        ),
        *User.objects.order_by("username").values_list("username", "full_name", "council__name"),
    ]  # fmt: skip
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def test_council_tree_terms_and_plenaries(loaded):
    province, city, county, district = (Council.objects.get(name=n) for n in
                                        ("示例省政协", "示例市政协", "示例县政协", "示例区政协"))  # fmt: skip
    assert province.level == Council.Level.PROVINCIAL
    assert city.parent == province
    assert city.level == Council.Level.MUNICIPAL
    assert county.parent == city
    assert district.parent == city
    assert county.level == Council.Level.COUNTY
    assert county.path.startswith(city.path)
    assert city.path.startswith(province.path)
    term = Term.objects.get(council=city, is_current=True)
    assert (term.number, term.start_date.year, term.end_date.year) == (6, 2022, 2026)
    assert str(term) == "第六届"
    plenaries = list(Plenary.objects.filter(term=term).order_by("number"))
    assert [str(p) for p in plenaries] == [f"六届{n}次会议" for n in "一二三四五"]
    for year, plenary in zip(range(2022, 2027), plenaries, strict=True):
        assert plenary.start_date.year == year
        assert plenary.start_date.month == 1
        assert plenary.proposal_window_start < plenary.start_date
        assert plenary.start_date <= plenary.proposal_deadline.date() <= plenary.end_date
    assert Term.objects.filter(is_current=True).count() == 4


def test_sectors_committees_parties_groups(loaded):
    city = loaded.city
    assert Sector.objects.filter(council=city).count() == 34
    assert Committee.objects.filter(council=city).count() == 10
    orgs = Organization.objects.filter(council=city)
    assert orgs.filter(kind=Organization.Kind.PARTY).count() == 8
    assert orgs.filter(kind=Organization.Kind.FEDERATION).get().name == "示例市工商业联合会"
    assert orgs.filter(name="民盟示例市委员会", sector__name="中国民主同盟").exists()
    groups = MemberGroup.objects.filter(term=loaded.term)
    assert groups.count() == 12
    assert not groups.filter(convenor__isnull=True).exists()
    for group in groups:
        assert group.memberships.filter(member=group.convenor, is_standing=True).exists()


def test_members_are_plausible_valid_and_unique(loaded):
    seats = Membership.objects.filter(term=loaded.term).select_related("member", "sector")
    assert 380 <= seats.count() <= 420
    assert seats.filter(is_standing=True).count() == 40
    positions = Counter(seats.values_list("position", flat=True))
    assert positions[Membership.Position.CHAIR] == 1
    assert positions[Membership.Position.VICE_CHAIR] == 6
    assert positions[Membership.Position.SECRETARY_GENERAL] == 1
    assert not seats.exclude(position=Membership.Position.MEMBER).filter(is_standing=False).exists()
    members = [seat.member for seat in seats]
    assert len({m.id_number for m in members}) == len(members)
    assert len({m.name for m in members}) == len(members)
    for member in Member.objects.all():
        assert id_number_problem(member.id_number) is None, member.id_number
        assert member.id_number[6:14] == member.birth_date.strftime("%Y%m%d")
        assert int(member.id_number[16]) % 2 == (1 if member.gender == Member.Gender.MALE else 0)
        assert member.id_number.startswith("99")  # no real region: never a real person's number
        assert MOBILE_RE.match(member.phone)
        assert member.work_unit
        assert member.job_title
    assert Counter(m.gender for m in members)[Member.Gender.FEMALE] > len(members) // 5
    # Work units match the sector.
    for seat in seats.filter(sector__name="医药卫生界", position=Membership.Position.MEMBER):
        assert any(word in seat.member.work_unit for word in ("医院", "疾病预防控制中心")), (
            seat.member.work_unit
        )
    # Every member sits in a committee and in one activity group.
    assert not seats.filter(committees__isnull=True).exists()
    assert seats.filter(groups__isnull=False).distinct().count() == seats.count()
    # A head post has one holder per work unit.
    heads = Counter((m.work_unit, m.job_title) for m in members if m.job_title in demo.UNIQUE_TITLES)
    assert max(heads.values()) == 1


def test_units_and_county_data(loaded):
    city = loaded.city
    units = Unit.objects.filter(council=city)
    assert units.count() >= 50
    for name in ("市发展和改革委员会", "市教育局", "市公安局", "市财政局", "市水利和湖泊局", "市卫生健康委员会",
                 "市数据局", "市中级人民法院", "市人民检察院", "示例县人民政府", "国网示例供电公司", "示例水务集团"):  # fmt: skip
        unit = units.get(name=name)
        assert unit.contact_name
        assert MOBILE_RE.match(unit.contact_phone)
    assert units.get(name="市中级人民法院").kind == Unit.Kind.COURT
    assert units.get(name="市人民检察院").kind == Unit.Kind.PROCURATORATE
    assert units.get(name="市公安局交通管理局").parent.name == "市公安局"
    for name in ("示例县政协", "示例区政协"):
        assert Member.objects.filter(council__name=name).count() >= 10
        assert Unit.objects.filter(council__name=name).count() >= 5
    assert Unit.objects.filter(council__name="示例县政协", name="示例县教育局").exists()


EXPECTED_ACCOUNTS = {
    "member": ("示例市政协", Role.MEMBER, {}),
    "agent": ("示例市政协", Role.COLLECTIVE_AGENT, {"organization__name": "民盟示例市委员会"}),
    "staff": ("示例市政协", Role.STAFF, {"office": "proposal"}),
    "liaison": ("示例市政协", Role.UNIT_LIAISON, {"unit__name": "市教育局"}),
    "reviewer": ("示例市政协", Role.UNIT_REVIEWER, {"unit__name": "市教育局"}),
    "supervisor": ("示例市政协", Role.SUPERVISOR, {}),
    "leader": ("示例市政协", Role.LEADER, {}),
    "sysadmin": ("示例市政协", Role.SYSTEM_ADMIN, {}),
    "secadmin": ("示例市政协", Role.SECURITY_ADMIN, {}),
    "auditor": ("示例市政协", Role.AUDIT_ADMIN, {}),
    "county_staff": ("示例县政协", Role.STAFF, {"office": "proposal"}),
}


def test_one_account_per_role_with_the_demo_password(loaded):
    assert set(User.objects.values_list("username", flat=True)) == set(EXPECTED_ACCOUNTS)
    for username, (council, role, scope) in EXPECTED_ACCOUNTS.items():
        user = User.objects.get(username=username)
        assert user.check_password("Yizheng@2026")
        assert user.is_active
        assert not user.must_change_password
        assert user.council.name == council
        [assignment] = RoleAssignment.objects.filter(user=user)
        assert assignment.council.name == council
        assert assignment.role == role
        assert RoleAssignment.objects.filter(pk=assignment.pk, **scope).exists(), (username, scope)
    member_user = User.objects.get(username="member")
    assert member_user.member.council.name == "示例市政协"
    assert member_user.full_name == member_user.member.name
    assert [row[2] for row in demo.demo_logins()] == list(EXPECTED_ACCOUNTS)


def test_every_demo_account_can_sign_in(loaded, client):
    for username in EXPECTED_ACCOUNTS:
        response = client.post("/login/", {"username": username, "password": "Yizheng@2026"})
        assert response.status_code == 302, username
        assert client.session["_auth_user_id"] == str(User.objects.get(username=username).pk)
        client.post("/logout/")


def test_loaded_through_services_with_a_valid_audit_chain(loaded):
    result = audit_verify()
    assert result.ok, result.problem
    actions = Counter(Event.objects.values_list("action", flat=True))
    assert actions["member.create"] == Member.objects.count()
    assert actions["unit.create"] == Unit.objects.count()
    assert actions["account.create"] == actions["role.grant"] == len(EXPECTED_ACCOUNTS)
    assert actions["council.create"] == 4
    assert actions["member.link_account"] == 1
    # Rows written in bulk are summarised by one event per step.
    assert actions["demo.terms"] == 4
    assert actions["demo.organizations"] == 1
    assert actions["demo.member_groups"] == 1


def test_fast_enough(loaded):
    assert loaded.elapsed < 60
    assert [name for name, _seconds in loaded.timings][:7] == [
        "councils", "terms", "organizations", "units", "members", "county_members", "accounts",
    ]  # fmt: skip


def test_same_data_every_run():
    fingerprints = []
    for _run in range(2):
        with transaction.atomic():
            demo.demo_load()
            fingerprints.append(_fingerprint())
            transaction.set_rollback(True)
    assert not Council.objects.exists()
    assert fingerprints[0] == fingerprints[1]


def test_a_registered_step_runs_after_the_core_steps_with_their_data():
    seen = {}

    def proposals_step(ctx):
        seen["members"] = len(ctx.members)
        seen["plenary"] = str(ctx.plenaries[-1])
        seen["staff"] = ctx.users["staff"].username
        seen["draw"] = ctx.rng.random()
        ctx.record_bulk("proposals", ctx.city, count=0)

    demo.register_step("test_proposals", proposals_step)
    try:
        assert demo.registered_steps()[-1] == "test_proposals"
        demo.demo_load()
    finally:
        demo.unregister_step("test_proposals")
    assert seen["members"] == Membership.objects.filter(term__council__name="示例市政协").count()
    assert seen["plenary"] == "六届五次会议"
    assert seen["staff"] == "staff"
    assert Event.objects.filter(action="demo.proposals").count() == 1
    # Each step draws from its own generator: the same numbers whatever other steps exist.
    import random

    assert seen["draw"] == random.Random(f"{demo.SEED}:test_proposals").random()
    assert "test_proposals" not in demo.registered_steps()


def test_register_step_works_as_a_decorator_and_replaces_by_name():
    calls = []

    @demo.register_step("test_twice")
    def first(ctx):
        calls.append("first")

    demo.register_step("test_twice", lambda ctx: calls.append("second"))
    try:
        assert demo.registered_steps().count("test_twice") == 1
        demo.demo_load()
    finally:
        demo.unregister_step("test_twice")
    assert calls == ["second"]


def test_a_failing_step_leaves_nothing_behind():
    def broken(ctx):
        raise RuntimeError("boom")

    demo.register_step("test_broken", broken)
    try:
        with pytest.raises(RuntimeError):
            demo.demo_load()
    finally:
        demo.unregister_step("test_broken")
    assert not Council.objects.exists()
    assert not Event.objects.exists()


def test_command_loads_prints_logins_and_refuses_a_non_empty_database():
    out = StringIO()
    call_command("demo_load", stdout=out)
    text = out.getvalue()
    assert "演示数据加载完成" in text
    for username in EXPECTED_ACCOUNTS:
        assert username in text
    assert "系统管理员" in text
    assert "Yizheng@2026" in text
    with pytest.raises(CommandError, match="已有数据"):
        call_command("demo_load", stdout=StringIO())
    out = StringIO()
    call_command("demo_load", "--if-empty", stdout=out)
    assert "演示数据已存在" in out.getvalue()
    assert Council.objects.count() == 4


def test_command_if_empty_leaves_other_data_alone(council):
    out = StringIO()
    call_command("demo_load", "--if-empty", stdout=out)
    assert "未加载演示数据" in out.getvalue()
    assert "Yizheng@2026" not in out.getvalue()
    assert list(Council.objects.all()) == [council]
