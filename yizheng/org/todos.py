"""To-do items of the organisation screens, shown on the home page."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from yizheng.core.todos import Todo, register

from . import permissions
from .models import ImportJob


@register
def import_jobs_to_confirm(user) -> list[Todo]:
    """Dry runs that came out clean and wait for the staff member who started them to confirm."""
    if not (permissions.can(user, "member.import") or permissions.can(user, "unit.import")):
        return []
    count = ImportJob.objects.filter(created_by=user, dry_run=True, status=ImportJob.Status.CHECKED).count()
    return [Todo(_("检查无误、等待确认的导入"), reverse("import_list"), count, _("确认后才会写入数据"))]


@register
def locked_accounts(user) -> list[Todo]:
    if not permissions.can(user, "lockout.reset"):
        return []
    from .selectors_accounts import lockouts_visible_to

    count = len(lockouts_visible_to(user))
    return [
        Todo(_("被锁定的账号"), reverse("lockout_list"), count, _("多次登录失败,需核实后解锁"), urgent=True)
    ]
