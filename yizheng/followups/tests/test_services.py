"""Follow-ups: created for a source record with one owner; started and completed (with evidence) by the owner or
staff; marked overdue by the daily job; every change an event; refusals write nothing. Reading is scoped."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from yizheng.audit.models import Event
from yizheng.core.errors import ApplicationError, ConflictError, TransitionNotAllowed
from yizheng.followups import selectors as sel
from yizheng.followups import services as s
from yizheng.followups.models import FollowUp
from yizheng.org.models import Office, Role
from yizheng.org.tests.factories import UnitFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def setting(council, other_council, make_user):
    unit = UnitFactory(council=council, name="市教育局")
    other_unit = UnitFactory(council=council, name="市财政局")
    return {
        "council": council,
        "unit": unit,
        "staff": make_user(Role.STAFF, council, office=Office.PROPOSAL),
        "leader": make_user(Role.LEADER, council),
        "liaison": make_user(Role.UNIT_LIAISON, council, unit=unit),
        "other_liaison": make_user(Role.UNIT_LIAISON, council, unit=other_unit),
        "member": make_user(Role.MEMBER, council),
        "foreign_staff": make_user(Role.STAFF, other_council),
        "person": make_user(Role.STAFF, council),
    }


def snapshot():
    return list(FollowUp.objects.order_by("pk").values()), Event.objects.count()


def refused(fn, exc=PermissionDenied, match=None):
    before = snapshot()
    with pytest.raises(exc, match=match):
        fn()
    assert snapshot() == before


def make(x, **kw):
    data = {"actor": x["staff"], "council": x["council"], "source": x["unit"], "title": "新增托位2000个",
            "due_date": dt.date(2026, 12, 31), "owner_unit": x["unit"]}  # fmt: skip
    data.update(kw)
    return s.followup_create(**data)


def test_create_points_at_its_source_and_records_an_event(setting):
    f = make(setting, source_label="第0001号提案答复")
    assert (f.status, f.source_type, f.source_id, f.source_label) == (
        "open", "org.unit", str(setting["unit"].pk), "第0001号提案答复")  # fmt: skip
    event = Event.objects.get(action="followup.create")
    assert event.payload["owner"] == "市教育局"
    assert event.to_state == "open"


def test_create_checks_owner_and_input(setting, make_user):
    x = setting
    refused(lambda: make(x, owner_user=x["person"]), ApplicationError, match="有且只有一个")
    refused(lambda: make(x, owner_unit=None), ApplicationError, match="有且只有一个")
    refused(lambda: make(x, title=" "), ApplicationError, match="事项内容")
    refused(lambda: make(x, due_date=None), ApplicationError, match="完成时限")
    refused(lambda: make(x, actor=x["liaison"]))
    refused(lambda: make(x, actor=x["foreign_staff"]))
    assert make(x, owner_unit=None, owner_user=x["person"]).owner_label == str(x["person"])


def test_owner_starts_and_completes_with_evidence(setting):
    x = setting
    f = make(x)
    f = s.followup_start(actor=x["liaison"], followup=f, expected_version=1)
    assert (f.status, f.version) == ("in_progress", 2)
    refused(lambda: s.followup_complete(actor=x["liaison"], followup=f, evidence="  "), ApplicationError,
            match="落实情况")  # fmt: skip
    f = s.followup_complete(actor=x["liaison"], followup=f, evidence="已新增托位2100个,见局发文")
    assert (f.status, f.closed_by, f.evidence) == ("done", x["liaison"], "已新增托位2100个,见局发文")
    assert f.closed_at is not None
    assert [e.action for e in Event.objects.filter(target_id=str(f.pk), target_type="followups.followup")] == [
        "followup.create", "followup.start", "followup.complete"]  # fmt: skip


def test_refused_for_wrong_role_other_unit_other_council_wrong_state_and_stale_version(setting):
    x = setting
    f = make(x)
    for user in (x["other_liaison"], x["member"], x["leader"], x["foreign_staff"]):
        refused(lambda user=user: s.followup_start(actor=user, followup=f))
        refused(lambda user=user: s.followup_complete(actor=user, followup=f, evidence="完成"))
    refused(lambda: s.followup_start(actor=x["liaison"], followup=f, expected_version=7), ConflictError)
    s.followup_start(actor=x["liaison"], followup=f)
    refused(lambda: s.followup_start(actor=x["liaison"], followup=f), TransitionNotAllowed)  # twice
    s.followup_complete(actor=x["staff"], followup=f, evidence="已核实")
    refused(
        lambda: s.followup_complete(actor=x["staff"], followup=f, evidence="已核实"), TransitionNotAllowed
    )


def test_a_person_owns_their_own_follow_up(setting):
    x = setting
    f = make(x, owner_unit=None, owner_user=x["person"])
    assert s.followup_start(actor=x["person"], followup=f).status == "in_progress"
    refused(lambda: s.followup_complete(actor=x["liaison"], followup=f, evidence="x"))


def test_daily_job_marks_overdue_once(setting):
    x = setting
    due_today = make(x, due_date=dt.date(2026, 5, 10))
    late = make(x, due_date=dt.date(2026, 5, 9))
    done = make(x, due_date=dt.date(2026, 5, 1))
    s.followup_complete(actor=x["liaison"], followup=done, evidence="已完成")
    assert s.followups_mark_overdue(today=dt.date(2026, 5, 10)) == 1
    assert s.followups_mark_overdue(today=dt.date(2026, 5, 10)) == 0
    assert [FollowUp.objects.get(pk=f.pk).status for f in (due_today, late, done)] == [
        "open",
        "overdue",
        "done",
    ]
    event = Event.objects.get(action="followup.mark_overdue")
    assert (event.from_state, event.to_state, event.actor) == ("open", "overdue", None)
    # an overdue item can still be worked and closed
    late = s.followup_start(actor=x["liaison"], followup=late)
    assert s.followup_complete(actor=x["liaison"], followup=late, evidence="延后完成").status == "done"


def test_provisional_due_dates_are_recomputed_when_the_year_arrives(setting):
    from yizheng.core.services_calendar import calendar_year_set

    x = setting
    f = make(x, due_date=dt.date(2027, 2, 10), due_provisional=True,
             due_rule={"from": "2027-01-27", "working_days": 10})  # fmt: skip
    calendar_year_set(actor=None, year=2027, source="测试用放假通知",
                      days=[(dt.date(2027, 2, 6) + dt.timedelta(i), "holiday", "春节") for i in range(7)])  # fmt: skip
    f.refresh_from_db()
    # 28, 29 Jan, 1–5 Feb = 7; holidays 6–12 Feb; 15, 16, 17 Feb = 10
    assert (f.due_date, f.due_provisional) == (dt.date(2027, 2, 17), False)
    assert Event.objects.filter(action="followup.deadline_recomputed").count() == 1


# --- reading ----------------------------------------------------------------------------------------------------


def test_visibility_and_fetch_and_authorise(setting):
    x = setting
    mine = make(x)
    theirs = make(x, owner_unit=UnitFactory(council=x["council"]))
    assert set(sel.followups_visible_to(x["liaison"])) == {mine}
    assert set(sel.followups_visible_to(x["staff"])) == {mine, theirs}
    assert set(sel.followups_visible_to(x["leader"])) == {mine, theirs}
    assert set(sel.followups_visible_to(x["foreign_staff"])) == set()
    assert set(sel.followups_visible_to(x["member"])) == set()
    assert sel.followup_for(x["liaison"], mine.pk, "complete") == mine
    with pytest.raises(Http404):
        sel.followup_for(x["liaison"], theirs.pk)
    with pytest.raises(Http404):
        sel.followup_for(x["foreign_staff"], mine.pk)
    with pytest.raises(PermissionDenied):
        sel.followup_for(x["leader"], mine.pk, "complete")


def test_lists_for_a_unit_a_source_and_overdue(setting):
    x = setting
    a = make(x, due_date=dt.date(2026, 3, 1))
    b = make(x, due_date=dt.date(2026, 1, 1))
    c = make(x, source=x["staff"], due_date=dt.date(2026, 2, 1))
    s.followup_complete(actor=x["liaison"], followup=c, evidence="完成")
    assert list(sel.followups_for_unit(x["liaison"])) == [b, a]
    assert list(sel.followups_for_unit(x["other_liaison"])) == []
    assert set(sel.followups_for_source(x["staff"], x["unit"])) == {a, b}
    overdue = list(sel.followups_overdue(x["staff"], today=dt.date(2026, 2, 1)))
    assert overdue == [b]
    assert overdue[0].is_overdue


def test_unit_list_is_a_fixed_number_of_queries(setting, django_assert_num_queries):
    x = setting
    for i in range(5):
        make(x, title=f"事项{i}")
    with django_assert_num_queries(2):  # the user's roles, then the list
        rows = [
            (f.title, f.owner_label, f.council.name, f.is_overdue)
            for f in sel.followups_for_unit(x["liaison"])
        ]
    assert len(rows) == 5
