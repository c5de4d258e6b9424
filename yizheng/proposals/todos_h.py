"""To-do items of the member and review screens, shown on the home page (imported from the app's ready())."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from yizheng.core.todos import Todo, register
from yizheng.org import permissions as org_permissions

from . import selectors


@register
def member_proposal_todos(user) -> list[Todo]:
    """Co-sign invitations to answer and answers to rate (as a member or a collective agent)."""
    if not org_permissions.can(user, "proposal.draft"):
        return []
    url = reverse("proposal_mine")
    return [
        Todo(_("待答复的联名邀请"), url, selectors.cosign_invitations(user).count(), _("联名截止前答复")),
        Todo(
            _("答复待评价"),
            url,
            selectors.evaluations_due(user).count(),
            _("评价期限内未评价的记为未评价"),
            urgent=True,
        ),
        Todo(
            _("退回修改的提案"),
            f"{url}?tab=draft",
            selectors.proposals_returned(user).count(),
            _("按审查意见修改后重新提交"),
        ),
    ]


@register
def review_todos(user) -> list[Todo]:
    """Submitted proposals waiting for review, declined ones whose submitter agreed to conversion."""
    if not org_permissions.can(user, "proposal.review"):
        return []
    url = reverse("proposal_review_queue")
    return [
        Todo(
            _("待审查的提案"),
            url,
            selectors.proposals_review_queue(user).count(),
            _("立案、不予立案、退回或并案"),
        ),
        Todo(
            _("待转社情民意信息的提案"),
            url,
            selectors.proposals_awaiting_conversion(user)
            .filter(conversion_consent=True, conversion_requested_at__isnull=True)
            .count(),
            _("提案人已同意转化"),
        ),
    ]
