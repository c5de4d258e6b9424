from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProposalsConfig(AppConfig):
    name = "yizheng.proposals"
    label = "proposals"
    verbose_name = _("提案")

    def ready(self) -> None:
        from . import deadlines, nav, receivers, todos_h, todos_i, todos_selection  # noqa: F401

        deadlines.register()
        _register_action_labels()


def _register_action_labels() -> None:
    from yizheng.audit.selectors_trail import register_action_labels

    from . import selection_workflow, workflow

    register_action_labels(
        {
            "proposal.create": _("新建提案"),
            "proposal.update": _("修改提案"),
            "proposal.cosign_accept": _("接受联名"),
            "proposal.cosign_decline": _("谢绝联名"),
            "proposal.merge_primary": _("并入提案"),
            "proposal.deadline_recomputed": _("按节假日安排重算期限"),
            "proposal.evaluation_unrated": _("逾期未评价"),
            "selection.open": _("新建评选"),
            **{f"proposal.{t.name}": t.label for t in workflow.TRANSITIONS.values()},
        }
    )
    for transitions in selection_workflow.TRANSITIONS.values():  # key first: shared verbs take its wording
        register_action_labels({f"selection.{t.name}": t.label for t in transitions.values()})
