from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FollowupsConfig(AppConfig):
    name = "yizheng.followups"
    label = "followups"
    verbose_name = _("跟踪落实")

    def ready(self) -> None:
        from . import services

        services.register_recomputer()

        from yizheng.audit.selectors_trail import register_action_labels

        from .workflow import TRANSITIONS

        register_action_labels(
            {
                "followup.create": _("新建回头看事项"),
                "followup.deadline_recomputed": _("按节假日安排重算期限"),
                **{f"followup.{t.name}": t.label for t in TRANSITIONS.values()},
            }
        )
