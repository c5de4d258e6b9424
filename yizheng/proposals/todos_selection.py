"""To-do items of key-proposal selection and excellent-proposal awards, shown on the home page: rounds waiting for
approval (leaders, and staff recording the meeting) and rounds under review (proposal staff)."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from yizheng.core.todos import Todo, register

from . import permissions as perms
from . import selectors_selection as ss
from .selection_workflow import SelectionState


@register
def selection_todos(user) -> list[Todo]:
    if not ss.may_use_selections(user):
        return []
    url = reverse("selection_index")
    rounds = ss.selections_visible_to(user)
    todos = [
        Todo(
            _("待审定的评选名单"),
            url,
            rounds.filter(state=SelectionState.SUBMITTED).count(),
            _("重点提案由主席会议审定,优秀提案审定后通报"),
        )
    ]
    if perms.proposal_staff_grants(user):
        todos.append(
            Todo(
                _("审议中的评选"),
                url,
                rounds.filter(state=SelectionState.REVIEWING).count(),
                _("逐件记录审议结果后报审定"),
            )
        )
    return todos
