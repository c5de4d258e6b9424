from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "yizheng.notifications"
    label = "notifications"
    verbose_name = _("消息提醒")

    def ready(self) -> None:
        from . import subscribers

        subscribers.register()
