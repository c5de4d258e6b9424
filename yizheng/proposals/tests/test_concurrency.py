"""Case numbers stay unique and gap-free when many `file` requests arrive at once: 50 parallel threads on
PostgreSQL (each with its own connection), 20 on SQLite (writers queue on the IMMEDIATE transaction; no
"database is locked" may reach the user)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading

import pytest
from django.conf import settings
from django.db import close_old_connections, connection

from yizheng.core.errors import ConflictError
from yizheng.proposals import services
from yizheng.proposals.models import Proposal

from .conftest import draft

pytestmark = pytest.mark.django_db(transaction=True)


def _run_parallel(fn, items) -> list[BaseException]:
    barrier = threading.Barrier(len(items))
    errors: list[BaseException] = []

    def work(item):
        try:
            barrier.wait(timeout=30)
            fn(item)
        except BaseException as exc:
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=work, args=(item,)) for item in items]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return errors


def _submitted(world, n: int) -> list[Proposal]:
    out = []
    for i in range(n):
        p = draft(world, title=f"关于第{i}件事的提案")
        out.append(services.proposal_submit(actor=world.member, proposal=p))
    return out


def _parallel_file(world, n: int) -> list[int]:
    proposals = _submitted(world, n)
    errors = _run_parallel(lambda p: services.proposal_file(actor=world.staff, proposal=p), proposals)
    assert errors == []
    numbers = sorted(
        Proposal.objects.filter(pk__in=[p.pk for p in proposals]).values_list("case_number", flat=True)
    )
    return numbers


@pytest.mark.postgres
def test_fifty_parallel_filings_on_postgresql_get_consecutive_numbers(world):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only (run with DATABASE_URL=postgres://…)")
    assert _parallel_file(world, 50) == list(range(1, 51))


@pytest.mark.postgres
def test_the_same_proposal_filed_twice_at_once_gets_one_number(world):
    """A double click: two requests file the same proposal; one wins, the other is refused, one number used."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL here; SQLite in the embedded-mode run below")
    proposal = _submitted(world, 1)[0]
    errors = _run_parallel(lambda _: services.proposal_file(actor=world.staff, proposal=proposal), [1, 2])
    assert len(errors) == 1
    assert isinstance(errors[0], ConflictError)  # TransitionNotAllowed: it is already filed
    proposal.refresh_from_db()
    assert proposal.case_number == 1
    next_one = services.proposal_file(actor=world.staff, proposal=_submitted(world, 1)[0])
    assert next_one.case_number == 2  # no gap


@pytest.mark.django_db(transaction=False)
def test_twenty_parallel_filings_on_embedded_sqlite_queue_without_locked_errors(tmp_path):
    """Against a real database file set up as the embedded mode sets it up (the pytest database is an
    in-memory shared-cache one whose locks fail instead of queueing), in a subprocess."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'embedded.sqlite3'}",
           "YIZHENG_DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "config.settings.test"}  # fmt: skip
    run = subprocess.run(
        [sys.executable, "-m", "yizheng.proposals.tests.concurrency_sqlite", "20"],
        env=env, cwd=settings.BASE_DIR, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["vendor"] == "sqlite"
    assert result["journal"] == "wal"
    assert result["errors"] == []
    assert result["numbers"] == list(range(1, 21))
    assert result["double"]["number"] == 21
    assert len(result["double"]["errors"]) == 1
    assert result["double"]["errors"][0].startswith("TransitionNotAllowed")
    assert "locked" not in run.stderr
