"""The follow-up workflow, without a database."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied

from yizheng.core.errors import ApplicationError, TransitionNotAllowed
from yizheng.followups import workflow as wf
from yizheng.followups.workflow import Actor as A
from yizheng.followups.workflow import Status as S

EXPECTED = {
    "start": ({S.OPEN, S.OVERDUE}, S.IN_PROGRESS, {A.OWNER, A.STAFF}),
    "complete": ({S.OPEN, S.IN_PROGRESS, S.OVERDUE}, S.DONE, {A.OWNER, A.STAFF}),
    "mark_overdue": ({S.OPEN, S.IN_PROGRESS}, S.OVERDUE, {A.SYSTEM, A.STAFF}),
}
KINDS = {A.OWNER, A.STAFF, A.SYSTEM}


def test_table():
    assert set(wf.TRANSITIONS) == set(EXPECTED)
    for name, (sources, target, actors) in EXPECTED.items():
        t = wf.TRANSITIONS[name]
        assert (set(t.sources), t.target, set(t.actors)) == (sources, target, actors)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_allowed_and_refused(name):
    sources, target, actors = EXPECTED[name]
    for status in sources:
        for actor in actors:
            assert wf.check(name, status, {actor}).target == target
        for actor in KINDS - actors:
            with pytest.raises(PermissionDenied):
                wf.check(name, status, {actor})
    for status in set(S.values) - sources:
        with pytest.raises(TransitionNotAllowed, match="不能执行"):
            wf.check(name, status, actors)


def test_done_is_final():
    assert wf.allowed(S.DONE, KINDS) == []


def test_overdue_rule():
    today = dt.date(2026, 5, 10)
    assert wf.is_overdue(S.OPEN, dt.date(2026, 5, 9), today)
    assert wf.is_overdue(S.IN_PROGRESS, dt.date(2026, 5, 9), today)
    assert not wf.is_overdue(S.OPEN, today, today)
    assert not wf.is_overdue(S.DONE, dt.date(2026, 5, 1), today)
    assert not wf.is_overdue(S.OVERDUE, dt.date(2026, 5, 1), today)


def test_evidence_required():
    assert wf.check_evidence("  已建成托育中心3处 ") == "已建成托育中心3处"
    with pytest.raises(ApplicationError, match="落实情况"):
        wf.check_evidence("   ")
