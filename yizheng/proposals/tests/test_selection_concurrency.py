"""The excellent quota holds when the review panel's decisions arrive at once: on PostgreSQL, ten parallel
"recommend" requests against a quota of three leave exactly three recommended (the round's row lock serialises
the count); the rest are refused with the quota message."""

from __future__ import annotations

import pytest
from django.db import connection

from yizheng.core.errors import ApplicationError
from yizheng.proposals import services as s
from yizheng.proposals import services_selection as sel
from yizheng.proposals.models import Nomination
from yizheng.proposals.selection_workflow import Decision

from .conftest import replied
from .test_concurrency import _run_parallel

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.postgres
def test_parallel_recommendations_never_exceed_the_quota(world):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only (run with DATABASE_URL=postgres://…)")
    s.proposal_settings_update(actor=world.staff, council=world.council, data={"excellent_quota": 3})
    r = sel.selection_open(actor=world.staff, council=world.council, year=2025, kind="excellent")
    nominations = [
        sel.nomination_add(actor=world.staff, selection=r, proposal=replied(world), reason="推荐")
        for _ in range(10)
    ]
    sel.selection_start_review(actor=world.staff, selection=r)
    errors = _run_parallel(
        lambda n: sel.nomination_decide(
            actor=world.staff, nomination=n, decision=Decision.SELECTED, opinion="好"
        ),
        nominations,
    )
    assert Nomination.objects.filter(selection=r, decision=Decision.SELECTED).count() == 3
    assert len(errors) == 7
    assert all(isinstance(e, ApplicationError) and "名额" in e.message for e in errors)
