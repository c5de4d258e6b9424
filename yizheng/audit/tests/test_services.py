import itertools

import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError

from yizheng.audit.models import AppendOnlyError, Event
from yizheng.audit.services import audit_verify, event_record
from yizheng.org.tests.factories import UnitFactory

pytestmark = pytest.mark.django_db


def _record(n, council):
    unit = UnitFactory(council=council)
    for i in range(n):
        event_record(actor=None, action="unit.touch", target=unit, payload={"i": i, "名称": "测试"})
    return unit


def test_chain_links_every_event_and_verifies(council):
    _record(5, council)
    events = list(Event.objects.order_by("seq"))
    assert [e.seq for e in events] == [1, 2, 3, 4, 5]
    assert events[0].prev_hash == "0" * 64
    for prev, nxt in itertools.pairwise(events):
        assert nxt.prev_hash == prev.hash
    result = audit_verify()
    assert result.ok, result.problem
    assert result.checked == 5


def test_model_and_queryset_refuse_changes(council):
    _record(1, council)
    event = Event.objects.get()
    event.action = "forged"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        Event.objects.all().update(action="forged")
    with pytest.raises(AppendOnlyError):
        Event.objects.all().delete()


def test_database_refuses_update_even_in_raw_sql(council):
    _record(1, council)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_event SET action = 'forged'")
    assert Event.objects.get().action == "unit.touch"


def test_verify_detects_an_altered_payload(council):
    _record(3, council)
    # Simulate a tamperer who bypasses the trigger: rebuild the row with other content.
    with connection.cursor() as cursor:
        cursor.execute(
            "DROP TRIGGER audit_event_no_update"
            + (" ON audit_event" if connection.vendor == "postgresql" else "")
        )
        cursor.execute("UPDATE audit_event SET payload = %s WHERE seq = 2", ['{"i": 99}'])
    result = audit_verify()
    assert not result.ok
    assert result.seq == 2
    assert "altered" in result.problem


def test_verify_detects_a_deleted_event(council):
    _record(3, council)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("DROP TRIGGER audit_event_no_update ON audit_event")
        cursor.execute("DELETE FROM audit_event WHERE seq = 2")
    result = audit_verify()
    assert not result.ok
    assert result.seq == 3


def test_many_events_at_once_continue_the_same_chain(council):
    from yizheng.audit.services import event_record_many

    unit = _record(2, council)
    rows = event_record_many(
        actor=None, council=council, events=[("unit.bulk", unit, {"n": n}) for n in range(30)]
    )
    assert [e.seq for e in rows] == list(range(3, 33))
    event_record(actor=None, action="unit.after", target=unit)
    result = audit_verify()
    assert result.ok, result.problem
    assert result.checked == 33
