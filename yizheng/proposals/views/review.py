"""The proposal office's review (审查) screens: the queue of submitted proposals, oldest first, with the declined
ones awaiting conversion; a review page per proposal with 立案 / 不予立案 / 退回修改 / 并案; converting a declined
proposal into a public-opinion report once its submitter agreed.

Thin: parse, call one service or selector, render. A refused action renders the review page again with the
message (400 bad input, 409 stale form / wrong state / double submit)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yizheng.core.errors import ApplicationError
from yizheng.core.pagination import paginate
from yizheng.org import permissions as org_permissions

from .. import permissions as perms
from .. import selectors, services
from ..forms import DeclineForm, FileForm, MergeForm, ReturnForm, VersionForm, apply_errors, split_tags
from .common import is_htmx, render_detail


@login_required
def proposal_review_queue(request):
    org_permissions.require(request.user, "proposal.review")
    if not perms.proposal_staff_grants(request.user):
        raise PermissionDenied  # staff of another office read proposals but do not review them
    page = paginate(request, selectors.proposals_review_queue(request.user))
    awaiting = list(selectors.proposals_awaiting_conversion(request.user)[:100])
    context = {"page": page, "awaiting": awaiting}
    return render(request, "proposals/review_queue.html", context)


def _review_page(request, proposal, *, status: int = 200, **forms):
    reasons = services.proposal_settings_get(proposal.council).decline_reasons
    q = request.GET.get("q", "")
    context = {
        "proposal": proposal,
        "case_label": selectors.proposal_case_labels([proposal])[proposal.pk],
        "submitters": selectors.proposal_submitters(proposal),
        "cosignatures": list(selectors.proposal_cosignatures(proposal)),
        "attachments": list(proposal.attachments.order_by("pk")),
        "file_form": forms.get("file_form") or FileForm(proposal=proposal),
        "decline_form": forms.get("decline_form") or DeclineForm(proposal=proposal, reasons=reasons),
        "return_form": forms.get("return_form") or ReturnForm(initial={"version": proposal.version}),
        "merge_form": forms.get("merge_form") or MergeForm(initial={"version": proposal.version}),
        "q": q,
        "candidates": list(selectors.merge_candidates(request.user, proposal, q)),
        "actions": selectors.allowed_actions(request.user, proposal),
    }
    return render(request, "proposals/review_detail.html", context, status=status)


@login_required
def proposal_review(request, pk: int):
    proposal = selectors.proposal_for(request.user, pk, "file")
    return _review_page(request, proposal)


@login_required
def merge_search(request, pk: int):
    """htmx: proposals to merge with this one, by case number or title."""
    proposal = selectors.proposal_for(request.user, pk, "merge")
    q = request.GET.get("q", "")
    context = {
        "proposal": proposal,
        "candidates": list(selectors.merge_candidates(request.user, proposal, q)),
    }
    if is_htmx(request):
        return render(request, "proposals/review_merge_candidates.html", context)
    return _review_page(request, proposal)


@login_required
@require_POST
def proposal_file(request, pk: int):
    proposal = selectors.proposal_for(request.user, pk, "file")
    form = FileForm(request.POST, proposal=proposal)
    status = 400
    if form.is_valid():
        try:
            filed = services.proposal_file(
                actor=request.user,
                proposal=proposal,
                category=form.cleaned_data["category"],
                tags=split_tags(form.cleaned_data["tags"]),
                expected_version=form.cleaned_data["version"],
            )
        except ApplicationError as exc:
            status = apply_errors(form, exc)
        else:
            label = selectors.proposal_case_labels([filed])[filed.pk]
            messages.success(request, _("已立案,案号为%(label)s。") % {"label": label})
            return redirect("proposal_detail", pk=proposal.pk)
    return _review_page(request, proposal, status=status, file_form=form)


@login_required
@require_POST
def proposal_decline(request, pk: int):
    proposal = selectors.proposal_for(request.user, pk, "decline")
    reasons = services.proposal_settings_get(proposal.council).decline_reasons
    form = DeclineForm(request.POST, proposal=proposal, reasons=reasons)
    status = 400
    if form.is_valid():
        try:
            services.proposal_decline(
                actor=request.user,
                proposal=proposal,
                reason=form.cleaned_data["reason"],
                disposition=form.cleaned_data["disposition"],
                note=form.cleaned_data["note"],
                conversion_consent=form.consent(),
                expected_version=form.cleaned_data["version"],
            )
        except ApplicationError as exc:
            status = apply_errors(form, exc)
        else:
            messages.success(request, _("已作不予立案处理,将告知提案人理由。"))
            return redirect("proposal_review_queue")
    return _review_page(request, proposal, status=status, decline_form=form)


@login_required
@require_POST
def proposal_return(request, pk: int):
    proposal = selectors.proposal_for(request.user, pk, "return_for_revision")
    form = ReturnForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            services.proposal_return_for_revision(
                actor=request.user,
                proposal=proposal,
                comments=form.cleaned_data["comments"],
                expected_version=form.cleaned_data["version"],
            )
        except ApplicationError as exc:
            status = apply_errors(form, exc)
        else:
            messages.success(request, _("已退回提案人修改。"))
            return redirect("proposal_review_queue")
    return _review_page(request, proposal, status=status, return_form=form)


@login_required
@require_POST
def proposal_merge(request, pk: int):
    proposal = selectors.proposal_for(request.user, pk, "merge")
    form = MergeForm(request.POST)
    status = 400
    if form.is_valid():
        d = form.cleaned_data
        ids = {d["primary"], *d["merged"], proposal.pk}
        found = {
            p.pk: p for p in selectors.proposals_by_ids(request.user, ids, council_id=proposal.council_id)
        }
        primary = found.get(d["primary"])
        merged = [found[i] for i in sorted(ids - {d["primary"]}) if i in found]
        if primary is None or len(found) != len(ids):
            form.add_error("primary", _("请从本会提案中选择主提案和并入的提案"))
        else:
            try:
                services.proposal_merge(
                    actor=request.user,
                    proposal=primary,
                    merged=merged,
                    note=d["note"],
                    expected_version=d["version"] if primary.pk == proposal.pk else None,
                )
            except ApplicationError as exc:
                status = apply_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("已并案:%(n)s 件提案并入《%(title)s》。") % {"n": len(merged), "title": primary.title},
                )
                return redirect("proposal_detail", pk=primary.pk)
    return _review_page(request, proposal, status=status, merge_form=form)


@login_required
@require_POST
def proposal_convert(request, pk: int):
    """转为社情民意信息: a declined proposal whose submitter agreed."""
    proposal = selectors.proposal_for(request.user, pk, "convert_to_opinion")
    form = VersionForm(request.POST)
    if not form.is_valid():
        return render_detail(request, proposal, status=400, error=_("表单已失效,请刷新页面后重试"))
    try:
        services.proposal_convert_to_opinion(
            actor=request.user, proposal=proposal, expected_version=form.cleaned_data["version"]
        )
    except ApplicationError as exc:
        return render_detail(request, proposal, status=exc.status_code, error=exc.message)
    messages.success(request, _("已转为社情民意信息。"))
    return redirect("proposal_review_queue")


urlpatterns = [
    path("", proposal_review_queue, name="proposal_review_queue"),
    path("<int:pk>/", proposal_review, name="proposal_review"),
    path("<int:pk>/merge/search/", merge_search, name="proposal_merge_search"),
    path("<int:pk>/file/", proposal_file, name="proposal_file"),
    path("<int:pk>/decline/", proposal_decline, name="proposal_decline"),
    path("<int:pk>/return/", proposal_return, name="proposal_return"),
    path("<int:pk>/merge/", proposal_merge, name="proposal_merge"),
    path("<int:pk>/convert/", proposal_convert, name="proposal_convert"),
]
