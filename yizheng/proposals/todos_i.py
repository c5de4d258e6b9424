"""To-do items of the handling screens, shown on the home page: what waits for the proposal office (assignment,
requests, overdue units), for a unit (new and overdue assignments, countersigning, follow-ups), for a supervisor
(replies to review) and for a leader (key proposals running late)."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from yizheng.core.todos import Todo, register
from yizheng.org import permissions as org_permissions

from . import permissions as perms
from . import selectors as sel


@register
def proposal_office_todos(user) -> list[Todo]:
    if not perms.proposal_staff_grants(user) or not org_permissions.can(user, "proposal.assign"):
        return []
    return [
        Todo(_("待交办的提案"), reverse("proposal_assign_board"), sel.proposals_to_assign(user).count()),
        Todo(
            _("待审批的调整申请"), reverse("adjustment_list"), sel.adjustment_requests_pending(user).count()
        ),
        Todo(_("待审批的延期申请"), reverse("extension_list"), sel.extension_requests_pending(user).count()),
        Todo(
            _("超期未答复的提案"),
            reverse("overdue_board"),
            sel.overdue_assignments(user).count(),
            _("请督促承办单位尽快答复"),
            urgent=True,
        ),
    ]


@register
def unit_todos(user) -> list[Todo]:
    if not perms.unit_ids(user):
        return []
    counts = sel.unit_inbox_counts(user)
    inbox = reverse("unit_inbox")
    from yizheng.followups.selectors import followups_for_unit

    return [
        Todo(_("新交办的提案"), inbox + "?bucket=new", counts["new"], _("如需调整,请在期限内申请")),
        Todo(_("即将到期的提案"), inbox + "?bucket=due_soon", counts["due_soon"], urgent=True),
        Todo(_("已超期的提案"), inbox + "?bucket=overdue", counts["overdue"], urgent=True),
        Todo(_("重新办理的提案"), inbox + "?bucket=rehandle", counts["rehandle"]),
        Todo(_("待会签的答复"), inbox, sel.countersignatures_pending(user).count()),
        Todo(_("待落实的跟踪事项"), reverse("followup_list"), followups_for_unit(user).count()),
    ]


@register
def supervision_todos(user) -> list[Todo]:
    if not org_permissions.can(user, "proposal.supervise"):
        return []
    return [Todo(_("待审核的答复"), reverse("reply_review_queue"), sel.replies_to_review(user).count())]


@register
def leader_todos(user) -> list[Todo]:
    if not org_permissions.has_role(user, org_permissions.R.LEADER):
        return []
    late = sel.key_proposals_for_leader(user).filter(is_overdue=True).count()
    return [Todo(_("领衔督办的重点提案超期"), reverse("key_proposals"), late, urgent=True)]
