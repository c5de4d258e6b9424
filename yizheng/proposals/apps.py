from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProposalsConfig(AppConfig):
    name = "yizheng.proposals"
    label = "proposals"
    verbose_name = _("提案")

    def ready(self) -> None:
        from . import deadlines, nav, todos_h, todos_i, todos_selection  # noqa: F401

        deadlines.register()
