"""办理: the staff's assignment and supervision board, the unit's inbox and workspace, the supervisor's reply
review, the leader's key proposals, and the staff's actions after a reply. Views parse, call one service or
selector, and render; the services decide who may do what."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yizheng.core.errors import ApplicationError, ConflictError
from yizheng.core.pagination import paginate
from yizheng.org import permissions as org_permissions

from .. import permissions as perms
from .. import selectors as sel
from .. import services
from .. import workflow as wf
from ..forms_handling import (
    AdjustmentRequestForm,
    AssignForm,
    ContactForm,
    CoOpinionForm,
    CountersignForm,
    DecisionForm,
    ExtensionRequestForm,
    FlagForm,
    NoteForm,
    PaperEvaluationForm,
    ReopenForm,
    ReplyForm,
    ReviewForm,
    SetKeyForm,
    apply_errors,
    html_to_text,
    text_to_html,
)
from ..workflow import AssignmentRole, EvaluationStatus

# --- helpers ----------------------------------------------------------------------------------------------


def _today() -> date:
    return sel._today()


def _run(form, call: Callable[[], object]) -> int | None:
    """Call the service; on refusal put its message on the form and return the HTTP status (400 / 409)."""
    try:
        call()
    except ConflictError as exc:  # includes TransitionNotAllowed
        apply_errors(form, exc)
        return 409
    except ApplicationError as exc:
        apply_errors(form, exc)
        return 400
    return None


def _days_over(due: date | None, today: date) -> int:
    return (today - due).days if due and due < today else 0


def _mark_overdue(rows, today: date, field: str = "deadline") -> list:
    rows = list(rows)
    for row in rows:
        row.days_over = _days_over(getattr(row, field), today) if getattr(row, "is_overdue", True) else 0
    return rows


def _require_staff(user) -> None:
    """The boards are the proposal office's: another role gets 403."""
    org_permissions.require(user, "proposal.assign")
    if not perms.proposal_staff_grants(user):
        raise PermissionDenied


def _board_counts(user) -> dict[str, int]:
    today = _today()
    return {
        "assign": sel.proposals_to_assign(user).count(),
        "adjustments": sel.adjustment_requests_pending(user).count(),
        "extensions": sel.extension_requests_pending(user).count(),
        "overdue": sel.overdue_assignments(user, today).count(),
        "first_contact": sel.first_contact_overdue(user, today).count(),
        "key": sel.key_proposals_supervised(user).count(),
        "replies": sel.replies_to_review(user).count(),
    }


def _board(request, template: str, tab: str, context: dict, status: int = 200):
    context = {"tab": tab, "counts": _board_counts(request.user), **context}
    return render(request, template, context, status=status)


def _event_labels(events):
    """Give each event the label of its transition (提交答复, 会签 …) for display."""
    events = list(events)
    for e in events:
        t = wf.TRANSITIONS.get(e.action.split(".", 1)[-1])
        e.label = t.label if t else e.action
    return events


def _latest(rows, n: int) -> dict:
    return {pk: _event_labels(evs) for pk, evs in sel.latest_events(rows, n).items()}


def _labels(rows) -> dict[int, str]:
    return sel.proposal_case_labels(rows)


# --- staff: the assignment board and its tabs --------------------------------------------------------------


def _assign_board(request, form=None, status: int = 200):
    page = paginate(request, sel.proposals_to_assign(request.user))
    rows = list(page.object_list)
    config = services.proposal_settings_get(request.user.council) if request.user.council_id else None
    form = form or AssignForm(user=request.user, default_months=config.handling_months if config else 3)
    context = {"page": page, "rows": rows, "labels": _labels(rows), "form": form, "config": config}
    return _board(request, "proposals/assign_board.html", "assign", context, status)


@login_required
def proposal_assign_board(request):
    _require_staff(request.user)
    return _assign_board(request)


@login_required
@require_POST
def proposal_assign_batch(request):
    _require_staff(request.user)
    form = AssignForm(request.POST, user=request.user)
    ids = [int(x) for x in request.POST.getlist("proposals") if x.isdigit()]
    proposals = [sel.proposal_for(request.user, pk, "assign") for pk in ids]  # 404 / 403 before anything
    if not form.is_valid():
        return _assign_board(request, form, 400)
    if not proposals:
        form.add_error(None, _("请勾选要交办的提案"))
        return _assign_board(request, form, 400)
    items = []
    for proposal in proposals:
        version = request.POST.get(f"version_{proposal.pk}", "")
        items.append(
            {
                "proposal": proposal,
                "expected_version": int(version) if version.isdigit() else None,
                **form.assign_kwargs(),
            }
        )
    status = _run(form, lambda: services.proposals_assign_batch(actor=request.user, items=items))
    if status is None:
        messages.success(request, _("已交办 %(n)s 件提案。") % {"n": len(items)})
        return redirect("proposal_assign_board")
    return _assign_board(request, form, status)


def _adjustments(request, forms=None, status: int = 200):
    rows = list(sel.adjustment_requests_pending(request.user))
    context = {"rows": rows, "labels": _labels([r.assignment.proposal for r in rows]), "forms": forms or {}}
    return _board(request, "proposals/adjustment_list.html", "adjustments", context, status)


@login_required
def adjustment_list(request):
    _require_staff(request.user)
    return _adjustments(request)


@login_required
@require_POST
def adjustment_decide(request, pk: int):
    found = sel.adjustment_request_for(request.user, pk, "decide_adjustment")
    form = DecisionForm(request.POST)
    status = 400
    if form.is_valid():
        grant = form.cleaned_data["decision"] == "grant"
        status = _run(
            form,
            lambda: services.proposal_decide_adjustment(
                actor=request.user, request=found, grant=grant, note=form.cleaned_data["note"]
            ),
        )
        if status is None:
            if grant and found.assignment.role == AssignmentRole.LEAD:
                messages.success(request, _("已同意调整,该提案已退回待交办,请重新交办主办单位。"))
            else:
                messages.success(request, _("已审批调整申请。"))
            return redirect("adjustment_list")
    return _adjustments(request, {found.pk: form}, status)


def _extensions(request, forms=None, status: int = 200):
    rows = list(sel.extension_requests_pending(request.user))
    config = {}
    for r in rows:
        council = r.assignment.proposal.council_id
        if council not in config:
            config[council] = services.proposal_settings_get(r.assignment.proposal.council)
        r.hard_max = services._hard_max(r.assignment, config[council])
    context = {"rows": rows, "labels": _labels([r.assignment.proposal for r in rows]), "forms": forms or {}}
    return _board(request, "proposals/extension_list.html", "extensions", context, status)


@login_required
def extension_list(request):
    _require_staff(request.user)
    return _extensions(request)


@login_required
@require_POST
def extension_decide(request, pk: int):
    found = sel.extension_request_for(request.user, pk, "decide_extension")
    form = DecisionForm(request.POST)
    status = 400
    if form.is_valid():
        grant = form.cleaned_data["decision"] == "grant"
        status = _run(
            form,
            lambda: services.proposal_decide_extension(
                actor=request.user,
                request=found,
                grant=grant,
                note=form.cleaned_data["note"],
                deadline=form.cleaned_data["deadline"],
            ),
        )
        if status is None:
            messages.success(request, _("已审批延期申请。"))
            return redirect("extension_list")
    return _extensions(request, {found.pk: form}, status)


@login_required
def overdue_board(request):
    _require_staff(request.user)
    today = _today()
    unit_id = request.GET.get("unit")
    unit_id = int(unit_id) if (unit_id or "").isdigit() else None
    page = paginate(request, sel.overdue_board(request.user, unit_id, today))
    rows = _mark_overdue(page.object_list, today)
    units = sorted(
        {(a.unit_id, a.unit.name) for a in sel.overdue_assignments(request.user, today)}, key=lambda u: u[1]
    )
    context = {
        "page": page,
        "rows": rows,
        "labels": _labels([a.proposal for a in rows]),
        "units": units,
        "unit_id": unit_id,
    }
    return _board(request, "proposals/overdue_board.html", "overdue", context)


@login_required
def overdue_first_contact(request):
    _require_staff(request.user)
    today = _today()
    page = paginate(request, sel.first_contact_overdue(request.user, today))
    rows = list(page.object_list)
    for a in rows:
        a.days_over = _days_over(a.first_contact_deadline, today)
    context = {"page": page, "rows": rows, "labels": _labels([a.proposal for a in rows])}
    return _board(request, "proposals/overdue_first_contact.html", "first_contact", context)


@login_required
def key_supervision(request):
    _require_staff(request.user)
    page = paginate(request, sel.key_proposals_supervised(request.user))
    rows = _mark_overdue(page.object_list, _today(), "next_deadline")
    context = {"page": page, "rows": rows, "labels": _labels(rows), "events": _latest(rows, 1)}
    return _board(request, "proposals/key_supervision.html", "key", context)


# --- staff: one proposal's handling (single assignment, key flag, rehandle, close, paper rating, marks) ------


def _proposal_page(request, proposal, forms=None, status: int = 200):
    config = services.proposal_settings_get(proposal.council)
    actions = sel.allowed_actions(request.user, proposal)
    forms = forms or {}
    pending = [
        e
        for e in proposal.evaluations.filter(round=proposal.round, status=EvaluationStatus.PENDING)
        .select_related("member", "source")
        .order_by("pk")
    ]
    forms.setdefault(
        "assign",
        AssignForm(
            user=request.user,
            default_months=config.handling_months,
            initial={"version": proposal.version, "is_key": proposal.is_key},
        ),
    )
    forms.setdefault(
        "set_key",
        SetKeyForm(
            user=request.user,
            initial={
                "version": proposal.version,
                "is_key": proposal.is_key,
                "supervising_leaders": list(proposal.supervising_leaders.all()),
            },
        ),
    )
    forms.setdefault("paper", PaperEvaluationForm(evaluations=pending, initial={"version": proposal.version}))
    forms.setdefault("rehandle", NoteForm(initial={"version": proposal.version}))
    forms.setdefault("reopen", ReopenForm(initial={"version": proposal.version}))
    context = {
        "proposal": proposal,
        "case_label": config.case_label(proposal),
        "actions": actions,
        "forms": forms,
        "assignments": list(proposal.assignments.select_related("unit").order_by("-active", "role", "pk")),
        "evaluations": list(
            proposal.evaluations.select_related("member", "source", "reply__assignment__unit").order_by(
                "round", "pk"
            )
        ),
        "pending_evaluations": pending,
        "attachments": list(proposal.attachments.order_by("pk")),
        "today": _today(),
    }
    if "reopen" in actions:
        context["reopenable"], context["reopen_blocker"] = sel.proposal_reopen_status(proposal)
    context["has_active_assignment"] = any(a.active for a in context["assignments"])
    if not all(a.active for a in context["assignments"]):
        context["reopened_assignments"] = sel.proposal_reopened_assignments(proposal)
    return render(request, "proposals/assign_proposal.html", context, status=status)


@login_required
def proposal_handling(request, pk: int):
    proposal = sel.proposal_for(request.user, pk)
    if not perms.is_proposal_staff(request.user, proposal.council):
        raise PermissionDenied
    return _proposal_page(request, proposal)


def _back(request, proposal):
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}):
        return redirect(target)
    try:
        return redirect(reverse("proposal_detail", args=[proposal.pk]))
    except NoReverseMatch:
        return redirect("proposal_handling", pk=proposal.pk)


def _staff_action(request, pk: int, action: str, form_name: str, make_form, call, done: str, *, stay=False):
    """The shape every staff action after filing shares: fetch and authorise the proposal for `action`, bind
    the form, call the service, and on success say `done` and go back (to the handling page when `stay`, else
    to where the form came from); a refusal re-renders the handling page with the form's errors (400 / 409)."""
    proposal = sel.proposal_for(request.user, pk, action)
    form = make_form(proposal)
    status = 400
    if form.is_valid():
        status = _run(form, lambda: call(proposal, form))
        if status is None:
            messages.success(request, done)
            return redirect("proposal_handling", pk=proposal.pk) if stay else _back(request, proposal)
    return _proposal_page(request, proposal, {form_name: form}, status)


@login_required
@require_POST
def proposal_assign_one(request, pk: int):
    return _staff_action(
        request,
        pk,
        "assign",
        "assign",
        lambda p: AssignForm(request.POST, user=request.user),
        lambda p, f: services.proposal_assign(
            actor=request.user, proposal=p, expected_version=f.expected_version(), **f.assign_kwargs()
        ),
        _("已交办。"),
        stay=True,
    )


@login_required
@require_POST
def proposal_set_key(request, pk: int):
    return _staff_action(
        request,
        pk,
        "set_key",
        "set_key",
        lambda p: SetKeyForm(request.POST, user=request.user),
        lambda p, f: services.proposal_set_key(
            actor=request.user,
            proposal=p,
            is_key=f.cleaned_data["is_key"],
            supervising_leaders=f.cleaned_data["supervising_leaders"],
            expected_version=f.expected_version(),
        ),
        _("重点提案设置已保存。"),
    )


@login_required
@require_POST
def proposal_rehandle(request, pk: int):
    return _staff_action(
        request,
        pk,
        "rehandle",
        "rehandle",
        lambda p: NoteForm(request.POST),
        lambda p, f: services.proposal_rehandle(
            actor=request.user, proposal=p, note=f.cleaned_data["note"], expected_version=f.expected_version()
        ),
        _("已交承办单位重新办理。"),
    )


@login_required
@require_POST
def proposal_close(request, pk: int):
    return _staff_action(
        request,
        pk,
        "close",
        "close",
        lambda p: NoteForm(request.POST),
        lambda p, f: services.proposal_close(
            actor=request.user, proposal=p, expected_version=f.expected_version()
        ),
        _("提案已办结。"),
    )


@login_required
@require_POST
def proposal_reopen(request, pk: int):
    return _staff_action(
        request,
        pk,
        "reopen",
        "reopen",
        lambda p: ReopenForm(request.POST),
        lambda p, f: services.proposal_reopen(
            actor=request.user,
            proposal=p,
            reason=f.cleaned_data["reason"],
            expected_version=f.expected_version(),
        ),
        _("提案已重启办理,请重新交办。"),
        stay=True,
    )


@login_required
@require_POST
def proposal_set_public(request, pk: int):
    return _staff_action(
        request,
        pk,
        "set_public",
        "set_public",
        lambda p: FlagForm(request.POST),
        lambda p, f: services.proposal_set_public(
            actor=request.user,
            proposal=p,
            is_public=f.cleaned_data["value"],
            expected_version=f.expected_version(),
        ),
        _("公开设置已保存。"),
    )


@login_required
@require_POST
def proposal_mark_excellent(request, pk: int):
    """撤销优秀提案 (a correction, with a reason); awarding is the excellent-proposal round's (views/selection.py)."""
    proposal = sel.proposal_for(request.user, pk, "mark_excellent")
    form = FlagForm(request.POST)
    status = 400
    if form.is_valid():
        status = _run(
            form,
            lambda: services.proposal_mark_excellent(
                actor=request.user,
                proposal=proposal,
                is_excellent=form.cleaned_data["value"],
                reason=request.POST.get("reason", ""),
                expected_version=form.expected_version(),
            ),
        )
        if status is None:
            messages.success(request, _("已撤销优秀提案。"))
            return _back(request, proposal)
    return _proposal_page(request, proposal, {"mark_excellent": form}, status)


def _pending_evaluations(proposal):
    return proposal.evaluations.filter(round=proposal.round, status=EvaluationStatus.PENDING).select_related(
        "member", "source"
    )


@login_required
@require_POST
def proposal_paper_evaluation(request, pk: int):
    return _staff_action(
        request,
        pk,
        "evaluate_on_paper",
        "paper",
        lambda p: PaperEvaluationForm(request.POST, evaluations=_pending_evaluations(p)),
        lambda p, f: services.proposal_evaluate(
            actor=request.user,
            evaluation=f.chosen(),
            work_rating=f.cleaned_data["work_rating"],
            result_rating=f.cleaned_data["result_rating"],
            consulted=f.cleaned_data["consulted"],
            comment=f.cleaned_data["comment"],
            on_paper=True,
            expected_version=f.expected_version(),
        ),
        _("纸质评价已录入。"),
    )


# --- units: inbox and workspace ----------------------------------------------------------------------------

BUCKET_LABELS = {
    "new": _("新交办"),
    "handling": _("办理中"),
    "due_soon": _("即将到期"),
    "overdue": _("已超期"),
    "rehandle": _("重新办理"),
}


@login_required
def unit_inbox(request):
    org_permissions.require(request.user, "proposal.handle")
    today = _today()
    buckets = sel.unit_inbox_ids(request.user, today)
    counts = {name: len(ids) for name, ids in buckets.items()}
    current = request.GET.get("bucket")
    if current not in buckets:
        current = next(
            (b for b in ("overdue", "rehandle", "due_soon", "new", "handling") if counts[b]), "new"
        )
    page = paginate(request, buckets[current])
    rows = sel.unit_inbox_rows(request.user, page.object_list)
    tabs = [
        (key, BUCKET_LABELS[key], counts[key])
        for key in ("new", "handling", "due_soon", "overdue", "rehandle")
    ]
    # Co units leave the buckets once they gave their opinion; lead replies waiting for their countersignature
    # are listed above the buckets, each linking to the co unit's workspace where the countersign form is.
    countersigns = sel.countersign_queue(request.user, limit=50)
    labels = _labels([a.proposal for a in rows] + [cs.reply.proposal for cs in countersigns])
    for a in rows:
        a.days_over = _days_over(a.due, today)
        a.case_label = labels.get(a.proposal_id, "")
    for cs in countersigns:
        cs.case_label = labels.get(cs.reply.proposal_id, "")
    context = {
        "tabs": tabs,
        "current": current,
        "page": page,
        "rows": rows,
        "countersigns": countersigns,
        "countersign_count": len(countersigns),
    }
    return render(request, "proposals/unit_inbox.html", context)


def _workspace(request, assignment, forms=None, status: int = 200):
    proposal = assignment.proposal
    config = services.proposal_settings_get(proposal.council)
    data = sel.assignment_workspace(request.user, assignment)
    kinds = perms.actor_kinds(request.user, proposal, assignment=assignment)
    actions = wf.allowed(proposal.state, kinds) if assignment.active else []
    reply = data["reply"]
    forms = forms or {}
    version = {"version": proposal.version}
    forms.setdefault("adjustment", AdjustmentRequestForm())
    forms.setdefault("contact", ContactForm(submitters=sel.proposal_submitters(proposal), initial=version))
    forms.setdefault(
        "opinion", CoOpinionForm(initial={**version, "opinion": html_to_text(assignment.opinion)})
    )
    forms.setdefault("extension", ExtensionRequestForm())
    rows = max(1, len(reply.commitments) + 1) if reply else 2
    forms.setdefault(
        "reply",
        ReplyForm(
            classes=config.result_classes, rows=rows, initial={**version, **ReplyForm.initial_for(reply)}
        ),
    )
    forms.setdefault("countersign", CountersignForm())
    today = _today()
    reply_editable = reply is None or reply.status in wf.EDITABLE_REPLY
    context = {
        "assignment": assignment,
        "proposal": proposal,
        "case_label": config.case_label(proposal),
        "config": config,
        "classes": config.result_classes,
        "actions": actions,
        "forms": forms,
        "today": today,
        "days_over": _days_over(assignment.deadline, today)
        if assignment.role in wf.ANSWERING_ROLES and not (reply and reply.status == wf.ReplyStatus.APPROVED)
        else 0,
        "opinion_days_over": _days_over(assignment.opinion_deadline, today)
        if not assignment.opinion_at
        else 0,
        "adjustment_open": wf.adjustment_window_open(today, assignment.adjustment_deadline),
        "reply_editable": reply_editable and assignment.round == proposal.round,
        "history": _event_labels(sel.assignment_history(request.user, assignment)),
        "is_staff": perms.is_proposal_staff(request.user, proposal.council),
        "attachments": list(proposal.attachments.order_by("pk")),
        "ended_by_reopen": not assignment.active
        and assignment.pk in sel.proposal_reopened_assignments(proposal),
        **data,
    }
    return render(request, "proposals/assignment_workspace.html", context, status=status)


@login_required
def assignment_workspace(request, pk: int):
    assignment = sel.assignment_for(request.user, pk)
    kinds = perms.actor_kinds(request.user, assignment.proposal, assignment=assignment)
    own_unit = assignment.unit_id in perms.unit_ids(request.user)
    if not own_unit and not kinds & {wf.Actor.PROPOSAL_STAFF, wf.Actor.SUPERVISOR}:
        raise PermissionDenied  # submitters and readers see the published reply on the proposal, not the draft
    return _workspace(request, assignment)


def _unit_action(request, pk: int, action: str, form_name: str, form, call, done: str):
    assignment = sel.assignment_for(request.user, pk, action)
    bound = form(assignment)
    status = 400
    if bound.is_valid():
        status = _run(bound, lambda: call(assignment, bound))
        if status is None:
            messages.success(request, done)
            return redirect("assignment_workspace", pk=assignment.pk)
    return _workspace(request, assignment, {form_name: bound}, status)


@login_required
@require_POST
def assignment_request_adjustment(request, pk: int):
    return _unit_action(
        request,
        pk,
        "request_adjustment",
        "adjustment",
        lambda a: AdjustmentRequestForm(request.POST),
        lambda a, f: services.proposal_request_adjustment(
            actor=request.user,
            assignment=a,
            reason=f.cleaned_data["reason"],
            suggested_unit=f.cleaned_data["suggested_unit"],
        ),
        _("调整申请已提交,等待提案委审批。"),
    )


@login_required
@require_POST
def assignment_record_contact(request, pk: int):
    return _unit_action(
        request,
        pk,
        "record_contact",
        "contact",
        lambda a: ContactForm(request.POST, submitters=sel.proposal_submitters(a.proposal)),
        lambda a, f: services.proposal_record_contact(
            actor=request.user,
            assignment=a,
            date=f.cleaned_data["date"],
            method=f.cleaned_data["method"],
            summary=f.cleaned_data["summary"],
            people=f.cleaned_data["people"],
            members_met=f.chosen_members(),
            collective_met=f.cleaned_data["collective_met"],
            expected_version=f.expected_version(),
        ),
        _("沟通记录已保存。"),
    )


@login_required
@require_POST
def assignment_co_opinion(request, pk: int):
    return _unit_action(
        request,
        pk,
        "give_co_opinion",
        "opinion",
        lambda a: CoOpinionForm(request.POST),
        lambda a, f: services.proposal_give_co_opinion(
            actor=request.user,
            assignment=a,
            opinion=text_to_html(f.cleaned_data["opinion"]),
            expected_version=f.expected_version(),
        ),
        _("协办意见已送主办单位。"),
    )


@login_required
@require_POST
def assignment_request_extension(request, pk: int):
    return _unit_action(
        request,
        pk,
        "request_extension",
        "extension",
        lambda a: ExtensionRequestForm(request.POST),
        lambda a, f: services.proposal_request_extension(
            actor=request.user,
            assignment=a,
            reason=f.cleaned_data["reason"],
            requested_deadline=f.cleaned_data["requested_deadline"],
        ),
        _("延期申请已提交,等待提案委审批。"),
    )


@login_required
@require_POST
def assignment_reply(request, pk: int):
    """Save the reply draft; "submit" also sends it on (countersigning or supervision); "add_row" only adds
    an empty commitment row."""
    assignment = sel.assignment_for(request.user, pk, "draft_reply")
    config = services.proposal_settings_get(assignment.proposal.council)
    form = ReplyForm(request.POST, classes=config.result_classes)
    if "add_row" in request.POST:
        form = ReplyForm(request.POST, classes=config.result_classes, rows=form.rows + 1)
        form.is_valid()
        form.errors.clear()
        return _workspace(request, assignment, {"reply": form})
    status = 400
    if form.is_valid():
        submit = "submit" in request.POST

        def call():
            reply = services.proposal_draft_reply(
                actor=request.user,
                assignment=assignment,
                body=form.body_html(),
                result=form.cleaned_data["result"],
                commitments=form.commitments(),
                expected_version=form.expected_version(),
            )
            if submit:
                services.proposal_submit_reply(actor=request.user, reply=reply)

        try:
            with transaction.atomic():
                status = _run_raise(call)
        except _Refused as refused:
            status = refused.status
            apply_errors(form, refused.exc)
        if status is None:
            messages.success(request, _("答复已提交。") if submit else _("答复草稿已保存。"))
            return redirect("assignment_workspace", pk=assignment.pk)
    return _workspace(request, assignment, {"reply": form}, status)


class _Refused(Exception):
    def __init__(self, exc, status):
        super().__init__(exc.message)
        self.exc, self.status = exc, status


def _run_raise(call) -> None:
    """Like _run, but raises so that an enclosing transaction rolls back (save + submit are one step)."""
    try:
        call()
    except ConflictError as exc:
        raise _Refused(exc, 409) from exc
    except ApplicationError as exc:
        raise _Refused(exc, 400) from exc
    return None


@login_required
@require_POST
def countersign(request, pk: int):
    found = sel.countersignature_for(request.user, pk, "countersign")
    form = CountersignForm(request.POST)
    status = 400
    if form.is_valid():
        status = _run(
            form,
            lambda: services.proposal_countersign(
                actor=request.user,
                countersignature=found,
                sign=form.cleaned_data["decision"] == "sign",
                comment=form.cleaned_data["comment"],
            ),
        )
        if status is None:
            messages.success(request, _("会签意见已提交。"))
            return redirect("assignment_workspace", pk=found.assignment_id)
    assignment = sel.assignment_for(request.user, found.assignment_id)
    return _workspace(request, assignment, {"countersign": form}, status)


# --- supervision: replies to review ------------------------------------------------------------------------


@login_required
def reply_review_queue(request):
    org_permissions.require(request.user, "proposal.supervise")
    page = paginate(request, sel.replies_to_review(request.user))
    rows = list(page.object_list)
    return render(
        request,
        "proposals/reply_review_queue.html",
        {"page": page, "rows": rows, "labels": _labels([r.proposal for r in rows])},
    )


def _review_page(request, reply, form=None, status: int = 200):
    proposal = reply.proposal
    config = services.proposal_settings_get(proposal.council)
    form = form or ReviewForm(
        classes=config.result_classes, current=reply.result, initial={"version": proposal.version}
    )
    context = {
        "reply": reply,
        "proposal": proposal,
        "case_label": config.case_label(proposal),
        "classes": config.result_classes,
        "form": form,
        "countersignatures": list(reply.countersignatures.select_related("assignment__unit", "signed_by")),
        "contacts": list(reply.assignment.contacts.order_by("date", "pk")),
        "reviewable": reply.status == wf.ReplyStatus.UNDER_REVIEW,
    }
    return render(request, "proposals/reply_review.html", context, status=status)


@login_required
def reply_review(request, pk: int):
    if request.method != "POST":
        reply = sel.reply_for(request.user, pk, "view")
        if not perms.actor_kinds(request.user, reply.proposal) & {
            wf.Actor.SUPERVISOR,
            wf.Actor.PROPOSAL_STAFF,
        }:
            raise PermissionDenied
        return _review_page(request, reply)
    reply = sel.reply_for(request.user, pk, "supervise_review")
    config = services.proposal_settings_get(reply.proposal.council)
    form = ReviewForm(request.POST, classes=config.result_classes, current=reply.result)
    status = 400
    if form.is_valid():
        approve = form.cleaned_data["decision"] == "approve"
        status = _run(
            form,
            lambda: services.proposal_supervise_review(
                actor=request.user,
                reply=reply,
                approve=approve,
                result=form.cleaned_data["result"] or None,
                note=form.cleaned_data["note"],
                expected_version=form.expected_version(),
            ),
        )
        if status is None:
            messages.success(request, _("答复已审定。") if approve else _("答复已退回承办单位。"))
            return redirect("reply_review_queue")
    return _review_page(request, reply, form, status)


# --- leaders: key proposals they supervise -----------------------------------------------------------------


@login_required
def key_proposals(request):
    org_permissions.require(request.user, "proposal.lead_supervise")
    page = paginate(
        request, sel.key_proposals_for_leader(request.user).prefetch_related("supervising_leaders")
    )
    rows = _mark_overdue(page.object_list, _today(), "next_deadline")
    context = {"page": page, "rows": rows, "labels": _labels(rows), "events": _latest(rows, 3)}
    return render(request, "proposals/key_proposals.html", context)


urlpatterns = [
    path("assign/", proposal_assign_board, name="proposal_assign_board"),
    path("assign/batch/", proposal_assign_batch, name="proposal_assign_batch"),
    path("adjustments/", adjustment_list, name="adjustment_list"),
    path("adjustments/<int:pk>/decide/", adjustment_decide, name="adjustment_decide"),
    path("extensions/", extension_list, name="extension_list"),
    path("extensions/<int:pk>/decide/", extension_decide, name="extension_decide"),
    path("overdue/", overdue_board, name="overdue_board"),
    path("overdue/first-contact/", overdue_first_contact, name="overdue_first_contact"),
    path("supervision/key/", key_supervision, name="key_supervision"),
    path("proposals/<int:pk>/", proposal_handling, name="proposal_handling"),
    path("proposals/<int:pk>/assign/", proposal_assign_one, name="proposal_assign_one"),
    path("proposals/<int:pk>/key/", proposal_set_key, name="proposal_set_key"),
    path("proposals/<int:pk>/rehandle/", proposal_rehandle, name="proposal_rehandle"),
    path("proposals/<int:pk>/close/", proposal_close, name="proposal_close"),
    path("proposals/<int:pk>/reopen/", proposal_reopen, name="proposal_reopen"),
    path("proposals/<int:pk>/public/", proposal_set_public, name="proposal_set_public"),
    path("proposals/<int:pk>/excellent/", proposal_mark_excellent, name="proposal_mark_excellent"),
    path("proposals/<int:pk>/paper-evaluation/", proposal_paper_evaluation, name="proposal_paper_evaluation"),
    path("inbox/", unit_inbox, name="unit_inbox"),
    path("assignments/<int:pk>/", assignment_workspace, name="assignment_workspace"),
    path(
        "assignments/<int:pk>/adjustment/",
        assignment_request_adjustment,
        name="assignment_request_adjustment",
    ),
    path("assignments/<int:pk>/contact/", assignment_record_contact, name="assignment_record_contact"),
    path("assignments/<int:pk>/opinion/", assignment_co_opinion, name="assignment_co_opinion"),
    path(
        "assignments/<int:pk>/extension/", assignment_request_extension, name="assignment_request_extension"
    ),
    path("assignments/<int:pk>/reply/", assignment_reply, name="assignment_reply"),
    path("countersignatures/<int:pk>/", countersign, name="countersign"),
    path("replies/", reply_review_queue, name="reply_review_queue"),
    path("replies/<int:pk>/", reply_review, name="reply_review"),
    path("key/", key_proposals, name="key_proposals"),
]
