"""Navigation entries of the organisation and audit screens; each shows only to roles that may use it."""

from django.utils.translation import gettext_lazy as _

from yizheng.core.navigation import NavEntry, register

register(
    NavEntry(_("委员"), "member_list", "member.view", 20),
    NavEntry(_("承办单位"), "unit_list", "unit.view", 30),
    NavEntry(_("数据导入"), "import_list", "member.import", 40),
    NavEntry(_("账号管理"), "account_list", "account.manage", 80),
    NavEntry(_("角色授权"), "role_list", "role.assign", 81),
    NavEntry(_("登录锁定"), "lockout_list", "lockout.reset", 82),
    NavEntry(_("审计日志"), "audit_event_list", "audit.view", 83),
    NavEntry(_("工作日历"), "calendar_year_list", "calendar.manage", 84),
)
