"""审计日志: the audit administrator's screens — trail, event, chain check, export."""

import datetime as dt
import html
import io
from unittest import mock

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from yizheng.audit import services_trail
from yizheng.audit.models import Event
from yizheng.audit.services import event_record
from yizheng.org.models import Role
from yizheng.org.tests.factories import CouncilFactory, UnitFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def auditor(make_user, council):
    return make_user(Role.AUDIT_ADMIN, council, username="auditor")


@pytest.fixture
def audit_client(client, auditor):
    client.force_login(auditor)
    return client


def _record(council, n=1, action="unit.update", actor=None, label=None, payload=None):
    unit = UnitFactory(council=council, **({"name": label} if label else {}))
    return [
        event_record(actor=actor, action=action, target=unit, payload=payload or {"i": i}) for i in range(n)
    ]


def _seqs(response):
    return [e.seq for e in response.context["page"].object_list]


# --- list -------------------------------------------------------------------------------------------------


def test_list_shows_the_tree_newest_first_and_not_other_councils(audit_client, council, other_council):
    county = CouncilFactory(parent=council, level="county")
    mine = _record(council, 2) + _record(county, 1)
    theirs = _record(other_council, 2)
    response = audit_client.get(reverse("audit_event_list"))
    assert response.status_code == 200
    seqs = _seqs(response)
    assert seqs == sorted(seqs, reverse=True)
    assert {e.seq for e in mine} <= set(seqs)
    assert not {e.seq for e in theirs} & set(seqs)


def test_events_without_a_council_are_read_only_from_a_top_level_council(client, council, make_user):
    county = CouncilFactory(parent=council, level="county")
    orphan = event_record(actor=None, action="system.boot", target=UserFactory(council=None))
    top = make_user(Role.AUDIT_ADMIN, council)
    below = make_user(Role.AUDIT_ADMIN, county)
    client.force_login(top)
    assert orphan.seq in _seqs(client.get(reverse("audit_event_list")))
    client.force_login(below)
    assert orphan.seq not in _seqs(client.get(reverse("audit_event_list")))
    assert client.get(reverse("audit_event_detail", args=[orphan.pk])).status_code == 404


def test_filters(audit_client, council, make_user):
    staff = make_user(Role.STAFF, council, username="zhao_staff")
    old = _record(council, action="unit.create")[0]
    with mock.patch(
        "yizheng.audit.services.timezone.now", return_value=timezone.now() - dt.timedelta(days=10)
    ):
        dated = _record(council, action="member.update", label="十天前的单位")[0]
    by_staff = _record(council, action="unit.update", actor=staff, label="市教育局")[0]
    login = event_record(actor=staff, action="auth.login", target=staff)
    url = reverse("audit_event_list")
    today = timezone.localdate()

    assert _seqs(audit_client.get(url, {"action": "unit."})) == [by_staff.seq, old.seq]
    # (the auditor's own sign-in is in the trail too)
    assert _seqs(audit_client.get(url, {"action": "auth.login", "actor_q": "zhao_staff"})) == [login.seq]
    assert _seqs(audit_client.get(url, {"actor_q": "zhao_staff"})) == [login.seq, by_staff.seq]
    assert _seqs(audit_client.get(url, {"target_type": "org.user", "q": str(staff)})) == [login.seq]
    assert _seqs(audit_client.get(url, {"target_type": "org.unit", "actor_q": "zhao_staff"})) == [
        by_staff.seq
    ]
    assert _seqs(audit_client.get(url, {"q": "教育局"})) == [by_staff.seq]
    assert _seqs(audit_client.get(url, {"date_to": str(today - dt.timedelta(days=5))})) == [dated.seq]
    assert dated.seq not in _seqs(audit_client.get(url, {"date_from": str(today)}))
    assert _seqs(
        audit_client.get(
            url,
            {"date_from": str(today - dt.timedelta(days=11)), "date_to": str(today - dt.timedelta(days=9))},
        )
    ) == [dated.seq]


def test_bad_date_range_is_a_clear_error(audit_client, council):
    _record(council)
    response = audit_client.get(
        reverse("audit_event_list"), {"date_from": "2026-03-01", "date_to": "2026-01-01"}
    )
    assert response.status_code == 200
    assert "结束日期不能早于开始日期" in response.content.decode()
    response = audit_client.get(reverse("audit_event_list"), {"date_from": "not-a-date"})
    assert response.status_code == 200
    assert response.context["form"].errors["date_from"]


def test_list_is_paginated_and_keeps_filters(audit_client, council):
    _record(council, 60)
    response = audit_client.get(reverse("audit_event_list"), {"action": "unit."})
    assert len(response.context["page"].object_list) == 50
    assert "action=unit." in response.content.decode()
    page2 = audit_client.get(reverse("audit_event_list"), {"action": "unit.", "page": 2})
    assert len(page2.context["page"].object_list) == 10


def test_list_query_count(audit_client, council, make_user, django_assert_max_num_queries):
    for i in range(5):
        _record(council, 10, actor=make_user(Role.STAFF, council, username=f"s{i}"))
    with django_assert_max_num_queries(9):  # +1: unread-notifications badge
        response = audit_client.get(reverse("audit_event_list"))
    assert response.status_code == 200
    assert len(response.context["page"].object_list) == 50


@pytest.mark.parametrize(
    "role", [Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.STAFF, Role.LEADER, Role.MEMBER, Role.UNIT_LIAISON]
)
def test_only_the_audit_admin_opens_the_audit_screens(client, council, make_user, role):
    event = _record(council)[0]
    client.force_login(make_user(role, council))
    assert client.get(reverse("audit_event_list")).status_code == 403
    assert client.get(reverse("audit_event_detail", args=[event.pk])).status_code == 403
    assert client.get(reverse("audit_event_export")).status_code == 403
    assert client.post(reverse("audit_verify")).status_code == 403
    assert not Event.objects.filter(action__startswith="audit.").exists()


def test_audit_admin_has_no_other_screens(audit_client, council):
    target = UserFactory(council=council)
    for name, args in [
        ("account_list", []),
        ("role_list", []),
        ("lockout_list", []),
        ("account_detail", [target.pk]),
    ]:
        assert audit_client.get(reverse(name, args=args)).status_code == 403, name
    nav = {entry["name"] for entry in audit_client.get(reverse("audit_event_list")).context["nav"]}
    assert "audit_event_list" in nav
    assert not nav & {"account_list", "role_list", "lockout_list", "member_list", "unit_list", "import_list"}


# --- detail -----------------------------------------------------------------------------------------------


def test_detail_pretty_prints_the_payload_with_the_hashes(audit_client, council):
    first, second = _record(council, 2, payload={"changes": {"name": ["旧名", "新名"]}})
    response = audit_client.get(reverse("audit_event_detail", args=[second.pk]))
    assert response.status_code == 200
    text = html.unescape(response.content.decode())
    assert second.hash in text
    assert second.prev_hash == first.hash
    assert first.hash in text
    assert '"name": [\n      "旧名",\n      "新名"\n    ]' in text
    assert response.context["hash_ok"]
    assert response.context["previous"] == first


def test_detail_of_another_councils_event_is_404(audit_client, other_council):
    event = _record(other_council)[0]
    assert audit_client.get(reverse("audit_event_detail", args=[event.pk])).status_code == 404
    assert audit_client.get(reverse("audit_event_detail", args=[999999])).status_code == 404


# --- verify -----------------------------------------------------------------------------------------------


def test_verify_reports_an_intact_chain_and_is_recorded(audit_client, council):
    _record(council, 3)
    total = Event.objects.count()  # these three and the auditor's sign-in
    response = audit_client.post(reverse("audit_verify"))
    assert response.status_code == 200
    text = response.content.decode()
    assert "校验通过" in text
    assert f"共校验 {total} 条事件" in text
    recorded = Event.objects.get(action="audit.verify")
    assert recorded.payload["ok"] is True
    assert recorded.payload["checked"] == total


def test_verify_shows_where_the_chain_breaks(audit_client, council):
    _record(council, 3)
    with connection.cursor() as cursor:  # a tamperer who bypasses the trigger
        cursor.execute(
            "DROP TRIGGER audit_event_no_update"
            + (" ON audit_event" if connection.vendor == "postgresql" else "")
        )
        cursor.execute("UPDATE audit_event SET payload = %s WHERE seq = 2", ['{"i": 99}'])
    response = audit_client.post(reverse("audit_verify"))
    assert response.status_code == 200
    text = response.content.decode()
    assert "校验未通过" in text
    assert "第 2 条事件处断裂" in text
    assert response.context["result"].seq == 2


def test_verify_needs_post(audit_client):
    assert audit_client.get(reverse("audit_verify")).status_code == 405


# --- export -----------------------------------------------------------------------------------------------


def test_export_gives_the_filtered_events_as_xlsx_and_is_recorded(audit_client, council, other_council):
    _record(council, 2, action="unit.update")
    _record(council, 1, action="member.update", label='=HYPERLINK("http://evil")')
    _record(other_council, 1, action="unit.update")
    response = audit_client.get(reverse("audit_event_export"), {"action": "unit."})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert response["Content-Disposition"].startswith("attachment;")
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[0][:5] == ("序号", "时间", "政协组织", "操作人", "操作")
    assert [r[4] for r in rows[1:]] == ["unit.update", "unit.update"]
    assert {r[2] for r in rows[1:]} == {council.name}
    recorded = Event.objects.get(action="audit.export")
    assert recorded.payload == {"filters": {"action": "unit."}, "rows": 2}

    response = audit_client.get(reverse("audit_event_export"), {"action": "member."})
    sheet = load_workbook(io.BytesIO(response.content)).active
    cell = sheet.cell(row=2, column=8)
    assert cell.value == '=HYPERLINK("http://evil")'
    assert cell.data_type == "s"  # text, never a formula


def test_export_over_the_limit_is_refused_with_a_message(audit_client, council):
    _record(council, 3)
    with mock.patch.object(services_trail, "EXPORT_MAX_ROWS", 2):
        response = audit_client.get(reverse("audit_event_export"), follow=True)
    assert "超过单次导出上限" in response.content.decode()
    assert not Event.objects.filter(action="audit.export").exists()


# --- readable action names --------------------------------------------------------------------------------


def test_domain_apps_name_their_actions_in_the_trail(audit_client, council):
    """Proposals, selection rounds and follow-ups register their actions' names from their workflow tables."""
    from yizheng.audit.selectors_trail import ACTION_LABELS
    from yizheng.followups import workflow as followup_workflow
    from yizheng.proposals import selection_workflow
    from yizheng.proposals import workflow as proposal_workflow

    expected = {f"proposal.{name}" for name in proposal_workflow.TRANSITIONS}
    expected |= {f"followup.{name}" for name in followup_workflow.TRANSITIONS}
    for transitions in selection_workflow.TRANSITIONS.values():
        expected |= {f"selection.{name}" for name in transitions}
    assert expected <= set(ACTION_LABELS)
    assert str(ACTION_LABELS["proposal.file"]) == "立案"
    assert str(ACTION_LABELS["selection.approve"]) == "审定"

    _record(council, action="proposal.file")
    _record(council, action="proposal.reopen")
    body = audit_client.get(reverse("audit_event_list")).content.decode()
    assert "立案" in body
    assert "重启办理" in body
