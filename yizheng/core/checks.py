from django.conf import settings
from django.core.checks import Error, register


@register()
def log_retention(app_configs, **kwargs):
    if settings.YIZHENG_LOG_RETENTION_DAYS < 180:
        return [Error("Logs must be kept at least 180 days (等保2.0).", id="yizheng.E001")]
    return []
