"""The selection rounds' workflow table and guards, without a database."""

import pytest
from django.core.exceptions import PermissionDenied

from yizheng.core.errors import ApplicationError, TransitionNotAllowed
from yizheng.proposals import selection_workflow as swf
from yizheng.proposals.selection_workflow import Decision, SelectionKind, SelectionState

STAFF, LEADER = swf.SA.PROPOSAL_STAFF, swf.SA.LEADER


@pytest.mark.parametrize("kind", list(SelectionKind))
def test_every_round_walks_from_its_first_to_its_final_state(kind):
    state = swf.FIRST_STATE[kind]
    for name in ("start_review", "submit", "approve" if kind == SelectionKind.KEY else "announce"):
        state = swf.check(kind, name, state, {STAFF}).target
    assert state == swf.FINAL_STATE[kind]


def test_only_staff_compile_the_list_and_leaders_approve():
    assert swf.allowed(SelectionKind.KEY, SelectionState.SHORTLISTING, {LEADER}) == []
    assert set(swf.allowed(SelectionKind.KEY, SelectionState.SUBMITTED, {LEADER})) == {"approve", "send_back"}
    with pytest.raises(PermissionDenied):
        swf.check(SelectionKind.KEY, "nominate", SelectionState.SHORTLISTING, {LEADER})
    with pytest.raises(PermissionDenied):
        swf.check(SelectionKind.EXCELLENT, "announce", SelectionState.SUBMITTED, set())


def test_wrong_state_is_refused_after_the_role_check():
    with pytest.raises(TransitionNotAllowed, match="待主席会议审定"):
        swf.check(SelectionKind.KEY, "nominate", SelectionState.SUBMITTED, {STAFF})
    with pytest.raises(TransitionNotAllowed):
        swf.check(SelectionKind.EXCELLENT, "announce", SelectionState.ANNOUNCED, {LEADER})


def test_eligibility_by_year_and_state():
    swf.check_eligible(SelectionKind.KEY, year=2025, proposal_year=2025, proposal_state="handling")
    with pytest.raises(ApplicationError, match="年度"):
        swf.check_eligible(SelectionKind.KEY, year=2025, proposal_year=2024, proposal_state="handling")
    with pytest.raises(ApplicationError, match="已立案"):
        swf.check_eligible(SelectionKind.KEY, year=2025, proposal_year=2025, proposal_state="submitted")
    with pytest.raises(ApplicationError, match="已答复"):
        swf.check_eligible(SelectionKind.EXCELLENT, year=2025, proposal_year=2025, proposal_state="handling")
    swf.check_eligible(SelectionKind.EXCELLENT, year=2025, proposal_year=2025, proposal_state="closed")


def test_submit_needs_every_item_decided_one_selected_and_the_quota_kept():
    with pytest.raises(ApplicationError, match="未审议"):
        swf.check_submit(SelectionKind.KEY, [Decision.SELECTED, Decision.PENDING], None)
    with pytest.raises(ApplicationError, match="没有入选"):
        swf.check_submit(SelectionKind.KEY, [Decision.REJECTED], None)
    with pytest.raises(ApplicationError, match="名额"):
        swf.check_submit(SelectionKind.EXCELLENT, [Decision.SELECTED] * 3, 2)
    swf.check_submit(SelectionKind.EXCELLENT, [Decision.SELECTED] * 2, 2)
    swf.check_submit(SelectionKind.KEY, [Decision.SELECTED] * 30, None)
