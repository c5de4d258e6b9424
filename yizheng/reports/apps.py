from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    """Statistics, documents and exports shared by the domain apps. No models."""

    name = "yizheng.reports"
    label = "reports"
    verbose_name = _("统计与文书")
