"""The workflow table and guards, without a database."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied

from yizheng.core.errors import ApplicationError, TransitionNotAllowed
from yizheng.proposals import workflow as wf
from yizheng.proposals.workflow import Actor as A
from yizheng.proposals.workflow import State as S

# Every transition: the states it may fire from, and who may fire it. The table in workflow.py must say
# exactly this; a change to either side is a deliberate decision.
EXPECTED = {
    "edit": ({S.DRAFT}, {A.SUBMITTER}),
    "cosign_invite": ({S.DRAFT}, {A.SUBMITTER}),
    "cosign_withdraw": ({S.DRAFT}, {A.SUBMITTER}),
    "cosign_respond": ({S.DRAFT, S.SUBMITTED}, {A.COSIGNER}),
    "submit": ({S.DRAFT}, {A.SUBMITTER}),
    "withdraw": ({S.DRAFT, S.SUBMITTED}, {A.SUBMITTER}),
    "return_for_revision": ({S.SUBMITTED}, {A.PROPOSAL_STAFF}),
    "decline": ({S.SUBMITTED}, {A.PROPOSAL_STAFF}),
    "merge": ({S.SUBMITTED, S.FILED}, {A.PROPOSAL_STAFF}),
    "file": ({S.SUBMITTED}, {A.PROPOSAL_STAFF}),
    "consent_conversion": ({S.NOT_FILED}, {A.SUBMITTER}),
    "convert_to_opinion": ({S.NOT_FILED}, {A.PROPOSAL_STAFF}),
    "assign": ({S.FILED, S.HANDLING}, {A.PROPOSAL_STAFF}),
    "set_key": (set(wf.FILED_STATES), {A.PROPOSAL_STAFF}),
    "request_adjustment": ({S.HANDLING}, {A.LEAD_UNIT, A.CO_UNIT, A.SEPARATE_UNIT}),
    "decide_adjustment": ({S.HANDLING}, {A.PROPOSAL_STAFF}),
    "record_contact": ({S.HANDLING, S.REHANDLING}, {A.LEAD_UNIT, A.CO_UNIT, A.SEPARATE_UNIT}),
    "give_co_opinion": ({S.HANDLING, S.REHANDLING}, {A.CO_UNIT}),
    "request_extension": ({S.HANDLING, S.REHANDLING}, {A.LEAD_UNIT, A.SEPARATE_UNIT}),
    "decide_extension": ({S.HANDLING, S.REHANDLING}, {A.PROPOSAL_STAFF}),
    "draft_reply": ({S.HANDLING, S.REHANDLING}, {A.LEAD_UNIT, A.SEPARATE_UNIT}),
    "submit_reply": ({S.HANDLING, S.REHANDLING}, {A.LEAD_UNIT, A.SEPARATE_UNIT}),
    "countersign": ({S.HANDLING, S.REHANDLING}, {A.CO_UNIT}),
    "supervise_review": ({S.HANDLING, S.REHANDLING}, {A.SUPERVISOR, A.PROPOSAL_STAFF}),
    "publish": ({S.HANDLING, S.REHANDLING}, {A.SUPERVISOR, A.PROPOSAL_STAFF}),
    "evaluate": ({S.REPLIED}, {A.EVALUATOR}),
    "evaluate_on_paper": ({S.REPLIED}, {A.PROPOSAL_STAFF}),
    "rehandle": ({S.REPLIED}, {A.PROPOSAL_STAFF}),
    "close": ({S.REPLIED}, {A.PROPOSAL_STAFF}),
    "reopen": ({S.CLOSED}, {A.PROPOSAL_STAFF}),
    "set_public": (set(wf.FILED_STATES), {A.PROPOSAL_STAFF}),
    "mark_excellent": (set(wf.FILED_STATES), {A.PROPOSAL_STAFF}),
}
ALL_KINDS = {v for k, v in vars(A).items() if k.isupper()}


def test_table_is_exactly_as_specified():
    assert set(wf.TRANSITIONS) == set(EXPECTED)
    for name, (sources, actors) in EXPECTED.items():
        t = wf.TRANSITIONS[name]
        assert set(t.sources) == sources, name
        assert set(t.actors) == actors, name


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_transition_allowed_for_its_actor_in_its_states(name):
    sources, actors = EXPECTED[name]
    for state in sources:
        for actor in actors:
            assert wf.check(name, state, {actor}).name == name


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_transition_refused_for_other_actors(name):
    sources, actors = EXPECTED[name]
    for actor in ALL_KINDS - actors:
        with pytest.raises(PermissionDenied):
            wf.check(name, next(iter(sources)), {actor})
    with pytest.raises(PermissionDenied):
        wf.check(name, next(iter(sources)), set())


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_transition_refused_in_other_states(name):
    sources, actors = EXPECTED[name]
    for state in set(S.values) - sources:
        with pytest.raises(TransitionNotAllowed, match="不能执行"):
            wf.check(name, state, actors)


def test_a_unit_can_never_evaluate_or_review():
    for name in ("evaluate", "evaluate_on_paper", "file", "decline", "supervise_review", "close"):
        with pytest.raises(PermissionDenied):
            wf.check(name, next(iter(EXPECTED[name][0])), wf.UNIT_KINDS)


def test_targets():
    assert wf.TRANSITIONS["submit"].target == S.SUBMITTED
    assert wf.TRANSITIONS["return_for_revision"].target == S.DRAFT
    assert wf.TRANSITIONS["decline"].target == S.NOT_FILED
    assert wf.TRANSITIONS["merge"].target == S.MERGED
    assert wf.TRANSITIONS["file"].target == S.FILED
    assert wf.TRANSITIONS["assign"].target == S.HANDLING
    assert wf.TRANSITIONS["publish"].target == S.REPLIED
    assert wf.TRANSITIONS["rehandle"].target == S.REHANDLING
    assert wf.TRANSITIONS["close"].target == S.CLOSED
    assert wf.TRANSITIONS["withdraw"].target == S.WITHDRAWN
    assert wf.TRANSITIONS["evaluate"].target is None


def test_terminal_states_allow_nothing_but_marks_conversion_and_reopening():
    for state in (S.WITHDRAWN, S.MERGED):
        assert wf.allowed(state, ALL_KINDS) == []
    assert set(wf.allowed(S.NOT_FILED, ALL_KINDS)) == {"consent_conversion", "convert_to_opinion"}
    assert set(wf.allowed(S.CLOSED, ALL_KINDS)) == {"set_key", "set_public", "mark_excellent", "reopen"}


def test_allowed_lists_buttons_for_a_submitter_and_staff():
    assert set(wf.allowed(S.DRAFT, {A.SUBMITTER})) == {"edit", "cosign_invite", "cosign_withdraw", "submit",
                                                       "withdraw"}  # fmt: skip
    assert set(wf.allowed(S.SUBMITTED, {A.PROPOSAL_STAFF})) == {
        "return_for_revision",
        "decline",
        "merge",
        "file",
    }


# --- window, case numbers -----------------------------------------------------------------------------------

SH = dt.timezone(dt.timedelta(hours=8))
DEADLINE = dt.datetime(2026, 1, 10, 20, 0, tzinfo=SH)


@pytest.mark.parametrize(
    ("at", "window"),
    [
        (dt.datetime(2025, 12, 1, 9, 0, tzinfo=SH), wf.Window.PLENARY),
        (dt.datetime(2026, 1, 10, 20, 0, tzinfo=SH), wf.Window.PLENARY),
        (dt.datetime(2026, 1, 10, 20, 1, tzinfo=SH), wf.Window.INTERIM),  # after the deadline: interim
        (dt.datetime(2025, 11, 30, 23, 0, tzinfo=SH), wf.Window.INTERIM),  # before the window
    ],
)
def test_window(at, window):
    assert wf.window_for(at, dt.date(2025, 12, 1), DEADLINE) == window


def test_window_without_plenary_is_interim():
    assert wf.window_for(dt.datetime(2026, 1, 5, tzinfo=SH), None, None) == wf.Window.INTERIM


def test_case_scopes():
    assert wf.case_scope("plenary", window="plenary", plenary_id=7, year=2026) == "plenary-7"
    assert wf.case_scope("plenary", window="interim", plenary_id=7, year=2026) == "interim-2026"
    assert wf.case_scope("plenary", window="interim", plenary_id=None, year=2026) == "interim-2026"
    assert wf.case_scope("year", window="plenary", plenary_id=7, year=2026) == "year-2026"


def test_case_number_format_and_label():
    assert wf.case_label("{n:04d}", 1, 2026) == "第0001号"
    assert wf.case_label("{year}{n:03d}", 12, 2026) == "第2026012号"
    assert wf.case_label("{n:04d}", None, 2026) == ""
    wf.validate_case_number_format("{n:04d}")
    wf.validate_case_number_format("{year}-{n}")
    for bad in ("{x}", "0001", "{n:04d}{", "{name}", "{n!z}"):
        with pytest.raises(ApplicationError, match="案号格式"):
            wf.validate_case_number_format(bad)


# --- guards -----------------------------------------------------------------------------------------------


def test_submit_blockers():
    ok = {"title": "关于……的提案", "suggestions_text": "建议"}
    assert wf.submit_blockers(kind="individual", accepted_cosigners=0, **ok) == []
    assert wf.submit_blockers(kind="joint", accepted_cosigners=1, **ok) == []
    assert wf.submit_blockers(kind="joint", accepted_cosigners=0, **ok) == [
        "联名提案至少需要一位委员接受联名"
    ]
    assert wf.submit_blockers(kind="individual", accepted_cosigners=0, title=" ", suggestions_text="") == [
        "请填写提案标题",
        "请填写具体建议",
    ]


def test_units_check():
    wf.check_units(1, [2], [3], lead_required=True)
    with pytest.raises(ApplicationError, match="主办单位"):
        wf.check_units(None, [2], [], lead_required=True)
    wf.check_units(None, [2], [], lead_required=False)
    with pytest.raises(ApplicationError, match="重复"):
        wf.check_units(1, [1], [], lead_required=True)
    with pytest.raises(ApplicationError, match="重复"):
        wf.check_units(1, [2], [2], lead_required=True)


def test_months_check():
    wf.check_months(3, default=3, hard_max=6)
    wf.check_months(6, default=3, hard_max=6)
    for bad in (0, 7):
        with pytest.raises(ApplicationError, match="1 至 6"):
            wf.check_months(bad, default=3, hard_max=6)


def test_adjustment_window():
    assert wf.adjustment_window_open(dt.date(2026, 3, 6), dt.date(2026, 3, 6))
    assert not wf.adjustment_window_open(dt.date(2026, 3, 7), dt.date(2026, 3, 6))
    assert not wf.adjustment_window_open(dt.date(2026, 3, 1), None)


def test_extension_check():
    current, hard_max = dt.date(2026, 6, 1), dt.date(2026, 9, 1)
    wf.check_extension(dt.date(2026, 7, 1), current=current, hard_max=hard_max)
    wf.check_extension(hard_max, current=current, hard_max=hard_max)
    with pytest.raises(ApplicationError, match="晚于当前期限"):
        wf.check_extension(current, current=current, hard_max=hard_max)
    with pytest.raises(ApplicationError, match="最长办理期限"):
        wf.check_extension(dt.date(2026, 9, 2), current=current, hard_max=hard_max)


def test_reply_steps():
    for status in ("draft", "returned"):
        wf.reply_check("edit", status)
        wf.reply_check("submit", status)
    for status in ("countersigning", "under_review", "approved"):
        with pytest.raises(TransitionNotAllowed):
            wf.reply_check("submit", status)
    wf.reply_check("countersign", "countersigning")
    wf.reply_check("review", "under_review")
    with pytest.raises(TransitionNotAllowed):
        wf.reply_check("review", "approved")
    assert wf.reply_status_after_submit(countersigners=2) == "countersigning"
    assert wf.reply_status_after_submit(countersigners=0) == "under_review"
    assert wf.reply_status_after_countersign(["signed", "pending"]) == "countersigning"
    assert wf.reply_status_after_countersign(["signed", "signed"]) == "under_review"
    assert wf.reply_status_after_countersign(["signed", "returned"]) == "returned"


CLASSES = [
    {"code": "A", "label": "已解决", "requires_commitments": False},
    {"code": "B", "label": "正在解决", "requires_commitments": True},
    {"code": "C", "label": "留作参考", "requires_commitments": False},
]


def test_commitments():
    assert wf.check_commitments(CLASSES, "A", []) == []
    assert wf.check_commitments(
        CLASSES, "B", [{"text": " 建成 ", "due": "2026-12-31"}, {"text": "", "due": ""}]
    ) == [{"text": "建成", "due": "2026-12-31"}]
    with pytest.raises(ApplicationError, match="B类答复须列明承诺"):
        wf.check_commitments(CLASSES, "B", [])
    with pytest.raises(ApplicationError, match="完成时限"):
        wf.check_commitments(CLASSES, "B", [{"text": "建成", "due": "明年"}])
    with pytest.raises(ApplicationError, match="写明内容"):
        wf.check_commitments(CLASSES, "B", [{"text": "", "due": "2026-12-31"}])
    with pytest.raises(ApplicationError, match="分类"):
        wf.check_commitments(CLASSES, "D", [])


def test_replied_when_every_answering_unit_is_approved():
    assert wf.proposal_replied([1, 2], [1, 2, 3])
    assert not wf.proposal_replied([1, 2], [1])
    assert not wf.proposal_replied([], [])


TODAY = dt.date(2026, 5, 10)


def ev(status, work="", result="", deadline=dt.date(2026, 5, 20)):
    return wf.EvaluationView(status, deadline, work, result)


def test_rehandle_guard():
    wf.may_rehandle(1, [ev("rated", "dissatisfied", "satisfied"), ev("pending")])
    wf.may_rehandle(1, [ev("rated", "satisfied", "dissatisfied")])
    with pytest.raises(TransitionNotAllowed, match="没有不满意"):
        wf.may_rehandle(1, [ev("rated", "satisfied", "basically_satisfied"), ev("unrated")])
    with pytest.raises(TransitionNotAllowed, match="已重新办理过"):
        wf.may_rehandle(2, [ev("rated", "dissatisfied", "dissatisfied")])


def test_close_guard():
    wf.may_close(1, [ev("rated", "satisfied", "satisfied"), ev("unrated")], TODAY)
    wf.may_close(1, [ev("pending", deadline=dt.date(2026, 5, 9))], TODAY)  # window passed: closes as unrated
    with pytest.raises(TransitionNotAllowed, match="尚未评价"):
        wf.may_close(1, [ev("pending", deadline=TODAY)], TODAY)
    with pytest.raises(TransitionNotAllowed, match="须先重新办理"):
        wf.may_close(1, [ev("rated", "dissatisfied", "satisfied")], TODAY)
    wf.may_close(2, [ev("rated", "dissatisfied", "satisfied")], TODAY)  # after rehandling it may close


def test_reopen_guard():
    wf.may_reopen([("C", dt.date(2025, 12, 31))], dt.date(2026, 1, 1))
    wf.may_reopen([("C", dt.date(2024, 3, 1)), ("C", dt.date(2025, 6, 1))], dt.date(2026, 6, 1))
    assert wf.TRANSITIONS["reopen"].target == S.FILED
    with pytest.raises(TransitionNotAllowed, match="以后年度"):
        wf.may_reopen([("C", dt.date(2026, 1, 2))], dt.date(2026, 12, 31))  # same calendar year
    with pytest.raises(TransitionNotAllowed, match="以后年度"):  # the latest answer counts
        wf.may_reopen([("C", dt.date(2024, 3, 1)), ("C", dt.date(2026, 1, 5))], dt.date(2026, 6, 1))
    with pytest.raises(TransitionNotAllowed, match="C类"):
        wf.may_reopen([("C", dt.date(2024, 3, 1)), ("A", dt.date(2024, 3, 1))], dt.date(2026, 6, 1))
    with pytest.raises(TransitionNotAllowed, match="C类"):
        wf.may_reopen([("B", dt.date(2024, 3, 1))], dt.date(2026, 6, 1))
    with pytest.raises(TransitionNotAllowed, match="没有已审定的答复"):
        wf.may_reopen([], dt.date(2026, 6, 1))


def test_decline_check():
    wf.check_decline(["一案多事的"], "一案多事的", "archive")
    with pytest.raises(ApplicationError, match="理由"):
        wf.check_decline(["一案多事的"], "别的理由", "archive")
    with pytest.raises(ApplicationError, match="处理方式"):
        wf.check_decline(["一案多事的"], "一案多事的", "burn")


@pytest.mark.parametrize(
    ("deadline", "kind"),
    [
        (dt.date(2026, 7, 1), None),  # 52 days left
        (dt.date(2026, 6, 9), "30"),  # 30 days left
        (dt.date(2026, 5, 20), "30"),  # 10 days left, the 7-day one not yet
        (dt.date(2026, 5, 17), "7"),
        (dt.date(2026, 5, 12), "7"),
        (dt.date(2026, 5, 11), "1"),
        (dt.date(2026, 5, 10), "1"),  # due today
        (dt.date(2026, 5, 9), "overdue"),
    ],
)
def test_reminder_kind(deadline, kind):
    assert wf.reminder_kind(deadline, TODAY) == kind


def test_reminder_kind_uses_configured_days():
    assert wf.reminder_kind(dt.date(2026, 5, 24), TODAY, [14, 3]) == "14"
    assert wf.reminder_kind(dt.date(2026, 5, 13), TODAY, [14, 3]) == "3"
