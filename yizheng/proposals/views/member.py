"""The member's screens (also a collective agent's): my proposals, the draft form with attachments and co-sign
invitations, answering invitations, submitting, withdrawing, consenting to conversion and rating an answer.

Thin: parse, call one service or selector, render. A refused action re-renders its page with the message:
400 for bad input, 409 for a stale form, a wrong state or a double submit; 403 and 404 come from the selectors
and services."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from yizheng.core.errors import ApplicationError
from yizheng.core.pagination import paginate
from yizheng.org import permissions as org_permissions

from .. import selectors, services, uploads
from ..forms import (
    AttachmentForm,
    ConsentForm,
    CosignInviteForm,
    EvaluationForm,
    ProposalForm,
    VersionForm,
    WithdrawForm,
    apply_errors,
)
from ..workflow import Kind, State
from .common import is_htmx, render_detail

TABS = [
    ("draft", gettext_lazy("草稿")),
    ("submitted", gettext_lazy("已提交")),
    ("handling", gettext_lazy("办理中")),
    ("replied", gettext_lazy("已答复")),
    ("closed", gettext_lazy("已办结")),
    ("not_filed", gettext_lazy("未立案")),
]


@login_required
def proposal_mine(request):
    org_permissions.require(request.user, "proposal.draft")
    tab = request.GET.get("tab") or "draft"
    if tab not in selectors.MINE_TABS:
        tab = "draft"
    page = paginate(request, selectors.proposals_mine(request.user, tab))
    labels = selectors.proposal_case_labels(page.object_list)
    counts = selectors.proposals_mine_counts(request.user)
    context = {
        "tab": tab,
        "tabs": [(key, label, counts[key]) for key, label in TABS],
        "page": page,
        "rows": [(p, labels.get(p.pk, "")) for p in page.object_list],
        "invitations": list(selectors.cosign_invitations(request.user)),
        "evaluations": list(selectors.evaluations_due(request.user)),
    }
    return render(request, "proposals/proposal_mine.html", context)


@login_required
def proposal_create(request):
    org_permissions.require(request.user, "proposal.draft")
    form = ProposalForm(request.POST or None, user=request.user)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                proposal = services.proposal_create(actor=request.user, **form.create_kwargs())
            except ApplicationError as exc:
                status = apply_errors(form, exc)
            else:
                messages.success(request, _("草稿已保存。可继续上传附件、邀请联名,然后提交。"))
                return redirect("proposal_edit", pk=proposal.pk)
        else:
            status = 400
    return render(request, "proposals/proposal_form.html", {"form": form}, status=status)


def _edit_context(request, proposal, form=None, **extra) -> dict:
    q = request.GET.get("q", "")
    return {
        "proposal": proposal,
        "form": form or ProposalForm(user=request.user, proposal=proposal),
        "attachments": list(proposal.attachments.order_by("pk")),
        "attachment_form": extra.pop("attachment_form", None) or AttachmentForm(),
        "cosignatures": list(selectors.proposal_cosignatures(proposal)),
        "invite_form": extra.pop("invite_form", None) or CosignInviteForm(proposal=proposal),
        "q": q,
        "candidates": list(selectors.cosign_candidates(request.user, proposal, q)) if q else None,
        "is_joint": proposal.kind == Kind.JOINT,
        **extra,
    }


def _not_draft(request, proposal):
    message = _("提案当前状态为“%(state)s”,不能修改") % {"state": State(proposal.state).label}
    return render_detail(request, proposal, status=409, error=message)


@login_required
def proposal_edit(request, pk: int):
    proposal = selectors.proposal_for(request.user, pk, "edit")
    if request.method != "POST" and proposal.state != State.DRAFT:
        return _not_draft(request, proposal)
    form = ProposalForm(request.POST or None, user=request.user, proposal=proposal)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            submit = request.POST.get("do") == "submit"
            service = services.proposal_update_and_submit if submit else services.proposal_update
            try:
                service(
                    actor=request.user,
                    proposal=proposal,
                    data=form.service_data(),
                    expected_version=form.cleaned_data["version"],
                )
            except ApplicationError as exc:
                status = apply_errors(form, exc)
            else:
                if submit:
                    messages.success(request, _("提案已提交,等待提案委审查。"))
                    return redirect("proposal_detail", pk=proposal.pk)
                messages.success(request, _("草稿已保存。"))
                return redirect("proposal_edit", pk=proposal.pk)
        else:
            status = 400
    return render(
        request, "proposals/proposal_form.html", _edit_context(request, proposal, form), status=status
    )


@login_required
@require_POST
def attachment_add(request, pk: int):
    proposal = selectors.proposal_for(request.user, pk, "edit")
    form = AttachmentForm(request.POST, request.FILES)
    status = 400
    if form.is_valid():
        try:
            services.attachment_add(actor=request.user, proposal=proposal, file=form.cleaned_data["file"])
        except ApplicationError as exc:
            status = apply_errors(form, exc)
        else:
            messages.success(request, _("附件已上传。"))
            return redirect("proposal_edit", pk=proposal.pk)
    return render(
        request,
        "proposals/proposal_form.html",
        _edit_context(request, proposal, attachment_form=form),
        status=status,
    )


@login_required
@require_POST
def attachment_remove(request, pk: int, attachment_pk: int):
    proposal = selectors.proposal_for(request.user, pk, "edit")
    attachment = next((a for a in proposal.attachments.all() if a.pk == attachment_pk), None)
    if attachment is None:
        raise Http404
    try:
        services.attachment_remove(actor=request.user, attachment=attachment)
    except ApplicationError as exc:
        return render_detail(request, proposal, status=exc.status_code, error=exc.message)
    messages.success(request, _("附件已删除。"))
    return redirect("proposal_edit", pk=proposal.pk)


@login_required
def attachment_download(request, pk: int, attachment_pk: int):
    """Anyone who may view the proposal may download its attachments; anyone else gets 404."""
    return uploads.attachment_response(selectors.attachment_for(request.user, pk, attachment_pk))


@login_required
def cosign_search(request, pk: int):
    """The htmx search box of the invite form: members of the council whose name matches."""
    proposal = selectors.proposal_for(request.user, pk, "cosign_invite")
    q = request.GET.get("q", "")
    context = {
        "proposal": proposal,
        "q": q,
        "candidates": list(selectors.cosign_candidates(request.user, proposal, q)),
    }
    if is_htmx(request):
        return render(request, "proposals/cosign_candidates.html", context)
    return redirect(f"{reverse('proposal_edit', args=[proposal.pk])}?{urlencode({'q': q})}#cosign")


@login_required
@require_POST
def cosign_invite(request, pk: int):
    proposal = selectors.proposal_for(request.user, pk, "cosign_invite")
    form = CosignInviteForm(request.POST, proposal=proposal)
    status = 400
    if form.is_valid():
        try:
            members = selectors.proposal_references(proposal.council, members=form.cleaned_data["members"])
            services.proposal_cosign_invite(
                actor=request.user,
                proposal=proposal,
                members=list(members["members"].values()),
                group=form.cleaned_data["group"],
                deadline=form.cleaned_data["deadline"],
            )
        except ApplicationError as exc:
            status = apply_errors(form, exc)
        else:
            messages.success(request, _("已发出联名邀请。"))
            return redirect("proposal_edit", pk=proposal.pk)
    return render(
        request,
        "proposals/proposal_form.html",
        _edit_context(request, proposal, invite_form=form),
        status=status,
    )


@login_required
@require_POST
def cosign_withdraw(request, pk: int):
    cosignature = selectors.cosignature_for(request.user, pk, "cosign_withdraw")
    try:
        services.cosignature_withdraw(actor=request.user, cosignature=cosignature)
    except ApplicationError as exc:
        return render_detail(request, cosignature.proposal, status=exc.status_code, error=exc.message)
    messages.success(request, _("已取消对 %(name)s 的联名邀请。") % {"name": cosignature.member})
    return redirect("proposal_edit", pk=cosignature.proposal_id)


@login_required
@require_POST
def cosign_respond(request, pk: int):
    cosignature = selectors.cosignature_for(request.user, pk, "cosign_respond")
    answer = request.POST.get("answer")
    if answer not in ("accept", "decline"):
        return render_detail(request, cosignature.proposal, status=400, error=_("请选择接受或谢绝联名"))
    service = services.cosignature_accept if answer == "accept" else services.cosignature_decline
    try:
        service(actor=request.user, cosignature=cosignature)
    except ApplicationError as exc:
        return render_detail(request, cosignature.proposal, status=exc.status_code, error=exc.message)
    messages.success(request, _("已接受联名。") if answer == "accept" else _("已谢绝联名。"))
    return redirect("proposal_mine")


def _version(request) -> int | None:
    form = VersionForm(request.POST)
    return form.cleaned_data["version"] if form.is_valid() else None


@login_required
@require_POST
def proposal_submit(request, pk: int):
    proposal = selectors.proposal_for(request.user, pk, "submit")
    version = _version(request)
    if version is None:
        return render_detail(request, proposal, status=400, error=_("表单已失效,请刷新页面后重试"))
    try:
        services.proposal_submit(actor=request.user, proposal=proposal, expected_version=version)
    except ApplicationError as exc:
        return render_detail(request, proposal, status=exc.status_code, error=exc.message)
    messages.success(request, _("提案已提交,等待提案委审查。"))
    return redirect("proposal_detail", pk=proposal.pk)


@login_required
@require_POST
def proposal_withdraw(request, pk: int):
    proposal = selectors.proposal_for(request.user, pk, "withdraw")
    form = WithdrawForm(request.POST)
    if not form.is_valid():
        return render_detail(
            request, proposal, status=400, withdraw_form=form, error=_("表单已失效,请刷新页面后重试")
        )
    try:
        services.proposal_withdraw(
            actor=request.user,
            proposal=proposal,
            reason=form.cleaned_data["reason"],
            expected_version=form.cleaned_data["version"],
        )
    except ApplicationError as exc:
        return render_detail(request, proposal, status=exc.status_code, error=exc.message, withdraw_form=form)
    messages.success(request, _("提案已撤回。"))
    return redirect("proposal_detail", pk=proposal.pk)


@login_required
@require_POST
def proposal_consent(request, pk: int):
    proposal = selectors.proposal_for(request.user, pk, "consent_conversion")
    form = ConsentForm(request.POST)
    if not form.is_valid():
        return render_detail(request, proposal, status=400, consent_form=form, error=_("请选择是否同意"))
    try:
        services.proposal_give_conversion_consent(
            actor=request.user,
            proposal=proposal,
            consent=form.cleaned_data["consent"],
            expected_version=form.cleaned_data["version"],
        )
    except ApplicationError as exc:
        return render_detail(request, proposal, status=exc.status_code, error=exc.message, consent_form=form)
    messages.success(request, _("已答复是否同意转为社情民意信息。"))
    return redirect("proposal_detail", pk=proposal.pk)


@login_required
def evaluation_form(request, pk: int):
    evaluation = selectors.evaluation_for(request.user, pk, "evaluate")
    proposal = evaluation.proposal
    form = EvaluationForm(request.POST or None, initial={"version": proposal.version})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            d = form.cleaned_data
            try:
                services.proposal_evaluate(
                    actor=request.user,
                    evaluation=evaluation,
                    work_rating=d["work_rating"],
                    result_rating=d["result_rating"],
                    consulted=d["consulted"],
                    comment=d["comment"],
                    expected_version=d["version"],
                )
            except ApplicationError as exc:
                status = apply_errors(form, exc)
            else:
                messages.success(request, _("评价已提交,感谢您的意见。"))
                return redirect("proposal_detail", pk=proposal.pk)
        else:
            status = 400
    context = {
        "evaluation": evaluation,
        "proposal": proposal,
        "reply": evaluation.reply,
        "case_label": selectors.proposal_case_labels([proposal])[proposal.pk],
        "form": form,
    }
    return render(request, "proposals/evaluation_form.html", context, status=status)


urlpatterns = [
    path("mine/", proposal_mine, name="proposal_mine"),
    path("new/", proposal_create, name="proposal_create"),
    path("<int:pk>/edit/", proposal_edit, name="proposal_edit"),
    path("<int:pk>/attachments/", attachment_add, name="proposal_attachment_add"),
    path(
        "<int:pk>/attachments/<int:attachment_pk>/remove/",
        attachment_remove,
        name="proposal_attachment_remove",
    ),
    path(
        "<int:pk>/attachments/<int:attachment_pk>/",
        attachment_download,
        name="proposal_attachment_download",
    ),
    path("<int:pk>/cosign/search/", cosign_search, name="proposal_cosign_search"),
    path("<int:pk>/cosign/invite/", cosign_invite, name="proposal_cosign_invite"),
    path("cosignatures/<int:pk>/withdraw/", cosign_withdraw, name="cosignature_withdraw"),
    path("cosignatures/<int:pk>/respond/", cosign_respond, name="cosignature_respond"),
    path("<int:pk>/submit/", proposal_submit, name="proposal_submit"),
    path("<int:pk>/withdraw/", proposal_withdraw, name="proposal_withdraw"),
    path("<int:pk>/consent/", proposal_consent, name="proposal_consent"),
    path("evaluations/<int:pk>/", evaluation_form, name="proposal_evaluate"),
]
