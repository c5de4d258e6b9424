"""Screens of key-proposal selection (重点提案遴选) and excellent-proposal awards (优秀提案评选).

- the rounds of the user's councils, and opening a new one (proposal staff);
- one round's page: the list with candidate search (初选 / 推荐), the committee's decisions (审议 / 评审),
  submission, and — once approved or announced — the final list (leaders see it too);
- the approval page (主席会议审定 / 审定通报) for leaders, or staff recording the meeting;
- the announcement `.docx` of the excellent proposals, and the approved key-proposal list `.docx`.

Thin: parse, call one service or selector, render. A refused action renders the page again with the message
(400 bad input, 409 stale form / wrong state / double submit); another council's round is 404, a role that may
not act is 403.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yizheng.core.errors import ApplicationError

from .. import permissions as perms
from .. import selection_workflow as swf
from .. import selectors_selection as ss
from .. import services_selection
from ..documents import DOCX_CONTENT_TYPE
from ..documents_selection import (
    announcement_filename,
    excellent_announcement_docx,
    key_list_docx,
    key_list_filename,
)
from ..forms import apply_errors
from ..forms_selection import ApproveForm, DecideForm, NominateForm, OpenForm, SendBackForm
from ..models import Proposal
from ..selection_workflow import Decision, SelectionKind
from .common import is_htmx


def _require_user(user) -> None:
    if not ss.may_use_selections(user):
        raise PermissionDenied


@login_required
def selection_index(request, form=None, status: int = 200):
    _require_user(request.user)
    councils = ss.councils_for_new_round(request.user)
    rounds = list(ss.selections_visible_to(request.user))
    counts = {}
    for r in rounds:
        r.allowed = ss.selection_allowed(request.user, r)
    if rounds:
        from django.db.models import Count, Q

        from ..models import Nomination

        counts = dict(
            Nomination.objects.filter(selection__in=rounds)
            .values("selection")
            .annotate(n=Count("pk", filter=~Q(decision=Decision.STRUCK)))
            .values_list("selection", "n")
        )
    for r in rounds:
        r.count = counts.get(r.pk, 0)
    if form is None and councils:
        form = OpenForm(councils=councils, initial={"year": services_selection.services._today().year})
    context = {"rounds": rounds, "form": form}
    return render(request, "proposals/selection_index.html", context, status=status)


@login_required
@require_POST
def selection_open(request):
    _require_user(request.user)
    councils = ss.councils_for_new_round(request.user)
    if not councils:
        raise PermissionDenied
    form = OpenForm(request.POST, councils=councils)
    status = 400
    if form.is_valid():
        try:
            r = services_selection.selection_open(
                actor=request.user,
                council=form.cleaned_data["council"],
                year=form.cleaned_data["year"],
                kind=form.cleaned_data["kind"],
            )
        except ApplicationError as exc:
            status = apply_errors(form, exc)
        else:
            messages.success(request, _("已启动%(name)s。") % {"name": r})
            return redirect("selection_detail", pk=r.pk)
    return selection_index(request, form=form, status=status)


def _page(request, selection, *, status: int = 200, error: str = "", **forms):
    user = request.user
    allowed = ss.selection_allowed(user, selection)
    items = ss.selection_nominations(selection)
    q = request.GET.get("q", "")
    leaders = ss.council_leaders(selection.council) if selection.kind == SelectionKind.KEY else None
    for n in items:
        n.form = forms.get(f"decide_{n.pk}") or DecideForm(
            prefix=f"n{n.pk}",
            initial={
                "decision": n.decision if n.decision in (Decision.SELECTED, Decision.REJECTED) else "",
                "score": n.score,
                "opinion": n.opinion,
                "version": selection.version,
            },
        )
    candidates = ss.selection_candidates(selection, q) if "nominate" in allowed else []
    final = selection.state == swf.FINAL_STATE[selection.kind]
    nominate_form = forms.get("nominate") or NominateForm(
        leaders=leaders, initial={"version": selection.version}
    )
    context = {
        "selection": selection,
        "is_key": selection.kind == SelectionKind.KEY,
        "allowed": allowed,
        "items": items,
        "selected": [n for n in items if n.decision == Decision.SELECTED],
        "others": [n for n in items if n.decision != Decision.SELECTED],
        "final": final,
        "q": q,
        "candidates": candidates,
        "nominate_form": nominate_form,
        "leader_choices": list(leaders) if leaders is not None and "nominate" in allowed else [],
        "failed_proposal": forms.get("failed_proposal"),
        "steps": _steps(selection),
        "error": error,
        "decision_labels": swf.DECISION_LABELS[selection.kind],
    }
    template = "proposals/selection_detail.html"
    if is_htmx(request) and request.GET.get("partial") == "candidates":
        template += "#candidates"
    return render(request, template, context, status=status)


def _steps(selection) -> list[dict]:
    order = [
        swf.FIRST_STATE[selection.kind],
        swf.SS.REVIEWING,
        swf.SS.SUBMITTED,
        swf.FINAL_STATE[selection.kind],
    ]
    now = order.index(selection.state)
    return [
        {"label": swf.state_label(selection.kind, s), "done": i < now, "current": i == now}
        for i, s in enumerate(order)
    ]


@login_required
def selection_detail(request, pk: int):
    selection = ss.selection_for(request.user, pk)
    return _page(request, selection)


@login_required
@require_POST
def nomination_add(request, pk: int):
    selection = ss.selection_for(request.user, pk)
    leaders = ss.council_leaders(selection.council) if selection.kind == SelectionKind.KEY else None
    form = NominateForm(request.POST, leaders=leaders)
    status = 400
    if form.is_valid():
        proposal = Proposal.objects.filter(
            pk=form.cleaned_data["proposal"], council_id=selection.council_id
        ).first()
        if proposal is None:
            form.add_error(None, _("只能选择本会的提案"))
        else:
            try:
                services_selection.nomination_add(
                    actor=request.user,
                    selection=selection,
                    proposal=proposal,
                    reason=form.cleaned_data["reason"],
                    source=form.cleaned_data["source"],
                    source_name=form.cleaned_data["source_name"],
                    suggested_leaders=form.cleaned_data["suggested_leaders"] or [],
                    lead_unit_note=form.cleaned_data["lead_unit_note"],
                    expected_version=form.cleaned_data["version"],
                )
            except ApplicationError as exc:
                status = apply_errors(form, exc)
            else:
                messages.success(request, _("已列入名单:《%(title)s》") % {"title": proposal.title})
                return redirect("selection_detail", pk=pk)
    error = " ".join(str(e) for errs in form.errors.values() for e in errs)
    return _page(
        request,
        ss.selection_for(request.user, pk),
        status=status,
        error=error,
        nominate=form,
        failed_proposal=form.data.get("proposal"),
    )


@login_required
@require_POST
def nomination_remove(request, pk: int):
    nomination = ss.nomination_for(request.user, pk)
    try:
        services_selection.nomination_remove(
            actor=request.user, nomination=nomination, expected_version=_version(request)
        )
    except ApplicationError as exc:
        return _page(request, ss.selection_for(request.user, nomination.selection_id), status=exc.status_code,
                     error=exc.message)  # fmt: skip
    messages.success(request, _("已移出名单:《%(title)s》") % {"title": nomination.proposal.title})
    return redirect("selection_detail", pk=nomination.selection_id)


def _version(request) -> int | None:
    try:
        return int(request.POST.get("version") or "") or None
    except ValueError:
        return None


MOVES = {
    "start_review": services_selection.selection_start_review,
    "reopen": services_selection.selection_reopen,
    "submit": services_selection.selection_submit,
}


@login_required
@require_POST
def selection_move(request, pk: int, step: str):
    selection = ss.selection_for(request.user, pk)
    service = MOVES.get(step)
    if service is None:
        raise Http404
    try:
        moved = service(actor=request.user, selection=selection, expected_version=_version(request))
    except ApplicationError as exc:
        return _page(request, ss.selection_for(request.user, pk), status=exc.status_code, error=exc.message)
    messages.success(request, _("已进入“%(state)s”阶段。") % {"state": moved.state_label})
    return redirect("selection_detail", pk=pk)


@login_required
@require_POST
def nomination_decide(request, pk: int):
    nomination = ss.nomination_for(request.user, pk)
    form = DecideForm(request.POST, prefix=f"n{nomination.pk}")
    status = 400
    if form.is_valid():
        try:
            services_selection.nomination_decide(
                actor=request.user,
                nomination=nomination,
                decision=form.cleaned_data["decision"],
                score=form.cleaned_data["score"],
                opinion=form.cleaned_data["opinion"],
                expected_version=form.cleaned_data["version"],
            )
        except ApplicationError as exc:
            status = apply_errors(form, exc)
        else:
            return redirect(f"{_detail_url(nomination.selection_id)}#n{nomination.pk}")
    error = " ".join(str(e) for errs in form.errors.values() for e in errs)
    selection = ss.selection_for(request.user, nomination.selection_id)
    return _page(request, selection, status=status, error=error, **{f"decide_{nomination.pk}": form})


def _detail_url(pk: int) -> str:
    from django.urls import reverse

    return reverse("selection_detail", args=[pk])


# --- approval (主席会议审定 / 审定通报) --------------------------------------------------------------------


def _approval_page(request, selection, *, form=None, back_form=None, status: int = 200):
    allowed = ss.selection_allowed(request.user, selection)
    final = "approve" if selection.kind == SelectionKind.KEY else "announce"
    if not swf.TRANSITIONS[selection.kind][final].actors & perms.selection_actor_kinds(
        request.user, selection.council
    ):
        raise PermissionDenied
    if selection.state != swf.SS.SUBMITTED:
        if request.method == "GET":
            return redirect("selection_detail", pk=selection.pk)
        t = swf.TRANSITIONS[selection.kind][final]
        error = _("当前为“%(state)s”阶段,不能执行“%(action)s”") % {
            "state": selection.state_label,
            "action": t.label,
        }
        return _page(request, selection, status=409, error=error)
    items = [n for n in ss.selection_nominations(selection) if n.decision == Decision.SELECTED]
    form = form or ApproveForm(kind=selection.kind, items=items, initial={"version": selection.version})
    back_form = back_form or SendBackForm(initial={"version": selection.version})
    context = {
        "selection": selection,
        "is_key": selection.kind == SelectionKind.KEY,
        "items": items,
        "form": form,
        "back_form": back_form,
        "allowed": allowed,
    }
    return render(request, "proposals/selection_approval.html", context, status=status)


@login_required
def selection_approval(request, pk: int):
    selection = ss.selection_for(request.user, pk)
    if request.method != "POST":
        return _approval_page(request, selection)
    items = [n for n in ss.selection_nominations(selection) if n.decision == Decision.SELECTED]
    form = ApproveForm(request.POST, kind=selection.kind, items=items)
    status = 400
    if form.is_valid():
        data = form.cleaned_data
        common = {
            "actor": request.user,
            "selection": selection,
            "decided_on": data["decided_on"],
            "meeting_name": data["meeting_name"],
            "struck": form.struck_ids(),
            "note": data["note"],
            "expected_version": data["version"],
        }
        try:
            if selection.kind == SelectionKind.KEY:
                services_selection.selection_approve(document_number=data["document_number"], **common)
            else:
                services_selection.selection_announce(document_number=data["document_number"], **common)
        except ApplicationError as exc:
            status = apply_errors(form, exc)
        else:
            messages.success(request, _("已审定。"))
            return redirect("selection_detail", pk=pk)
    return _approval_page(request, ss.selection_for(request.user, pk), form=form, status=status)


@login_required
@require_POST
def selection_send_back(request, pk: int):
    selection = ss.selection_for(request.user, pk)
    form = SendBackForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            services_selection.selection_send_back(
                actor=request.user,
                selection=selection,
                note=form.cleaned_data["note"],
                expected_version=form.cleaned_data["version"],
            )
        except ApplicationError as exc:
            status = apply_errors(form, exc)
        else:
            messages.success(request, _("已退回重新审议。"))
            return redirect("selection_detail", pk=pk)
    return _approval_page(request, ss.selection_for(request.user, pk), back_form=form, status=status)


@login_required
def announcement_docx(request, pk: int):
    selection = ss.selection_for(request.user, pk)
    if selection.kind != SelectionKind.EXCELLENT or selection.state != swf.SS.ANNOUNCED:
        raise Http404
    content = excellent_announcement_docx(selection, ss.announcement_rows(selection))
    response = HttpResponse(content, content_type=DOCX_CONTENT_TYPE)
    from urllib.parse import quote

    response["Content-Disposition"] = (
        f"attachment; filename*=UTF-8''{quote(announcement_filename(selection))}"
    )
    return response


def _supervising_leaders(proposal_ids) -> dict[int, str]:
    """Each proposal's supervising leaders (督办领导) as it stands now, names joined, in one query."""
    through = Proposal.supervising_leaders.through
    names: dict[int, list[str]] = {}
    for link in (
        through.objects.filter(proposal_id__in=proposal_ids).select_related("user").order_by("user_id")
    ):
        names.setdefault(link.proposal_id, []).append(str(link.user))
    return {pk: "、".join(found) for pk, found in names.items()}


@login_required
def key_list_download(request, pk: int):
    """The approved key proposals and their supervising leaders, as an official notice (same access as the
    excellent-proposal announcement: the round's council staff and leaders; the list exists once approved)."""
    selection = ss.selection_for(request.user, pk)
    if selection.kind != SelectionKind.KEY or selection.state != swf.SS.APPROVED:
        raise Http404
    rows = ss.announcement_rows(selection)
    leaders = _supervising_leaders([row["proposal"].pk for row in rows])
    for row in rows:
        row["leaders"] = leaders.get(row["proposal"].pk, "")
    response = HttpResponse(key_list_docx(selection, rows), content_type=DOCX_CONTENT_TYPE)
    from urllib.parse import quote

    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(key_list_filename(selection))}"
    return response


urlpatterns = [
    path("", selection_index, name="selection_index"),
    path("open/", selection_open, name="selection_open"),
    path("<int:pk>/", selection_detail, name="selection_detail"),
    path("<int:pk>/nominate/", nomination_add, name="selection_nominate"),
    path("<int:pk>/start-review/", selection_move, {"step": "start_review"}, name="selection_start_review"),
    path("<int:pk>/reopen/", selection_move, {"step": "reopen"}, name="selection_reopen"),
    path("<int:pk>/submit/", selection_move, {"step": "submit"}, name="selection_submit"),
    path("<int:pk>/approval/", selection_approval, name="selection_approval"),
    path("<int:pk>/send-back/", selection_send_back, name="selection_send_back"),
    path("<int:pk>/announcement.docx", announcement_docx, name="selection_announcement_docx"),
    path("<int:pk>/key-proposals.docx", key_list_download, name="selection_key_list_docx"),
    path("nominations/<int:pk>/remove/", nomination_remove, name="nomination_remove"),
    path("nominations/<int:pk>/decide/", nomination_decide, name="nomination_decide"),
]
