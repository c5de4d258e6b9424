"""manage.py audit_verify: "OK: N events verified", or the first problem and exit status 1."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from yizheng.audit.services import event_record
from yizheng.org.tests.factories import UnitFactory

pytestmark = pytest.mark.django_db


def _record(council, n):
    unit = UnitFactory(council=council)
    for i in range(n):
        event_record(actor=None, action="unit.touch", target=unit, payload={"i": i})


def test_intact_chain_prints_ok_with_the_count(council, capsys):
    _record(council, 4)
    call_command("audit_verify")
    assert capsys.readouterr().out.strip() == "OK: 4 events verified"


def test_empty_trail_is_ok(db, capsys):
    call_command("audit_verify")
    assert capsys.readouterr().out.strip() == "OK: 0 events verified"


def test_altered_event_fails_with_exit_status_1(council):
    _record(council, 3)
    with connection.cursor() as cursor:  # a tamperer who bypasses the trigger
        cursor.execute(
            "DROP TRIGGER audit_event_no_update"
            + (" ON audit_event" if connection.vendor == "postgresql" else "")
        )
        cursor.execute("UPDATE audit_event SET payload = %s WHERE seq = 2", ['{"i": 99}'])
    with pytest.raises(CommandError) as failure:
        call_command("audit_verify")
    assert failure.value.returncode == 1
    assert "#2 was altered" in str(failure.value)
    assert "1 events verified before it" in str(failure.value)


def test_deleted_event_fails(council):
    _record(council, 3)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("DROP TRIGGER audit_event_no_update ON audit_event")
        cursor.execute("DELETE FROM audit_event WHERE seq = 2")
    with pytest.raises(CommandError) as failure:
        call_command("audit_verify")
    assert failure.value.returncode == 1
    assert "missing event(s) before #3" in str(failure.value)


def test_run_from_manage_py_exits_1(council, capsys):
    """What an operator sees: manage.py turns the CommandError into a message on stderr and exit status 1."""
    from django.core.management import ManagementUtility

    _record(council, 2)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("DROP TRIGGER audit_event_no_update ON audit_event")
        cursor.execute("DELETE FROM audit_event WHERE seq = 1")
    with pytest.raises(SystemExit) as leaving:
        ManagementUtility(["manage.py", "audit_verify"]).execute()
    assert leaving.value.code == 1
    assert "FAILED: missing event(s) before #2" in capsys.readouterr().err
