"""Navigation entries of the proposal screens; each shows only to roles that may use it."""

from django.utils.translation import gettext_lazy as _

from yizheng.core.navigation import NavEntry, register

from .permissions import proposal_staff_grants
from .selectors_selection import may_use_selections

register(
    NavEntry(_("我的提案"), "proposal_mine", "proposal.draft", 10),
    NavEntry(_("提案"), "proposal_list", "proposal.view", 11),
    NavEntry(_("提案审查"), "proposal_review_queue", "proposal.review", 12),
    NavEntry(_("交办与督办"), "proposal_assign_board", "proposal.assign", 13),
    NavEntry(_("提案办理"), "unit_inbox", "proposal.handle", 14),
    NavEntry(_("答复审核"), "reply_review_queue", "proposal.supervise", 15),
    NavEntry(_("提案统计"), "proposal_summary", "proposal.stats", 16),
    NavEntry(_("重点提案"), "key_proposals", "proposal.lead_supervise", 17),
    NavEntry(_("提案评选"), "selection_index", None, 17, check=may_use_selections),
    NavEntry(_("回头看"), "followup_list", "followup.view", 18),
    NavEntry(
        _("提案设置"),
        "proposal_settings",
        "proposal.configure",
        19,
        check=lambda u: bool(proposal_staff_grants(u)),
    ),
)
