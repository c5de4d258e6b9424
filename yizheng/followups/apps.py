from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FollowupsConfig(AppConfig):
    name = "yizheng.followups"
    label = "followups"
    verbose_name = _("跟踪落实")

    def ready(self) -> None:
        from . import services

        services.register_recomputer()
