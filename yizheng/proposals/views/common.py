"""The screens every proposal role shares: the list of proposals (staff, leaders, supervisors) and the detail page
of one proposal, whose actions panel shows only what `allowed_actions()` permits.

Thin: parse, call one selector, render. Action forms post to the member, review and handling views; when one is
refused they render the detail page again with the message (`render_detail`)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import path
from django.utils.cache import patch_vary_headers

from yizheng.core.pagination import paginate

from .. import permissions as perms
from .. import selectors, selectors_selection
from ..forms import ConsentForm, ProposalFilterForm, WithdrawForm
from ..workflow import State


def is_htmx(request) -> bool:
    return bool(request.headers.get("HX-Request")) and not request.headers.get("HX-History-Restore-Request")


@login_required
def proposal_list(request):
    form = ProposalFilterForm(request.GET or None, user=request.user)
    # Page the ids, then read (join, annotate) only the rows of the page.
    ids = selectors.proposal_list_for(request.user, filters=form.filters()).values_list("pk", flat=True)
    page = paginate(request, ids)
    proposals = selectors.proposal_list_rows(page.object_list)
    labels = selectors.proposal_case_labels(proposals)
    rows = [(p, labels.get(p.pk, "")) for p in proposals]
    context = {"form": form, "page": page, "rows": rows}
    template = "proposals/proposal_list.html#results" if is_htmx(request) else "proposals/proposal_list.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def detail_context(request, proposal, **extra) -> dict:
    user = request.user
    actions = selectors.allowed_actions(user, proposal)
    parts = selectors.proposal_detail_parts(user, proposal)
    context = {
        "proposal": proposal,
        "case_label": selectors.proposal_case_labels([proposal])[proposal.pk],
        "actions": actions,
        "submitters": selectors.proposal_submitters(
            proposal, merged=parts["merged"], cosignatures=parts["cosignatures"]
        ),
        "timeline": list(selectors.proposal_timeline(user, proposal)[:200]),
        "is_submitter": perms.is_submitter(user, proposal),
        "evaluations_due": list(selectors.evaluations_due(user).filter(proposal_id=proposal.pk)),
        "withdraw_form": extra.pop("withdraw_form", None)
        or WithdrawForm(initial={"version": proposal.version}),
        "consent_form": extra.pop("consent_form", None) or ConsentForm(initial={"version": proposal.version}),
        "show_consent": (
            "consent_conversion" in actions
            and proposal.disposition == "to_opinion_report"
            and proposal.conversion_consent is None
            and not proposal.conversion_requested_at
        ),
        "can_review": "file" in actions and proposal.state == State.SUBMITTED,
        "selection_rounds": selectors_selection.proposal_selection_rounds(user, proposal),
        **parts,
        **extra,
    }
    return context


def render_detail(request, proposal, *, status: int = 200, error: str | None = None, **extra):
    context = detail_context(request, proposal, error=error, **extra)
    return render(request, "proposals/proposal_detail.html", context, status=status)


@login_required
def proposal_detail(request, pk: int):
    proposal = selectors.proposal_for(request.user, pk, deadlines=False)  # the parts bring them
    return render_detail(request, proposal)


urlpatterns = [
    path("", proposal_list, name="proposal_list"),
    path("<int:pk>/", proposal_detail, name="proposal_detail"),
]
