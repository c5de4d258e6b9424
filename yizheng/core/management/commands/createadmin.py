"""manage.py createadmin: the three administrator accounts of a council (三员分立).

The system administrator, the security administrator and the audit administrator are separate accounts, each
holding one role only, so that no single person can both act and hide it. Passwords are asked for at the prompt
or read from --password-file (one line for all three, or three lines in the order system, security, audit); the
accounts must change them at first sign-in. If the council does not exist yet it is created with the standard
sectors and committees. Everything is written in one transaction and audited; a refused password, a taken
username or an unknown parent council changes nothing.
"""

from __future__ import annotations

import getpass
from pathlib import Path

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext as _

from yizheng.audit.services import event_record
from yizheng.org.defaults import council_seed_defaults
from yizheng.org.models import Council, Role, User
from yizheng.org.services import council_create, role_grant, user_create

ADMINS = (
    (Role.SYSTEM_ADMIN, "system", "sysadmin"),
    (Role.SECURITY_ADMIN, "security", "secadmin"),
    (Role.AUDIT_ADMIN, "audit", "auditor"),
)


class Command(BaseCommand):
    help = "Create the system, security and audit administrator accounts of a council (三员分立)."

    def add_arguments(self, parser):
        parser.add_argument("--council", help="council name, e.g. 示例市政协 (created if it does not exist)")
        parser.add_argument(
            "--level",
            choices=Council.Level.values,
            default=Council.Level.MUNICIPAL,
            help="level of a council that is created (default: municipal)",
        )
        parser.add_argument("--parent", help="parent council of a council that is created")
        for _role, key, default in ADMINS:
            parser.add_argument(f"--{key}-username", default=None, help=f"(default: {default})")
        parser.add_argument(
            "--password-file",
            help="file with one password for all three accounts, or three lines: system, security, audit",
        )
        parser.add_argument("--no-input", action="store_true", help="never prompt; fail instead")

    def handle(self, *args, **options):
        interactive = not options["no_input"]
        council_name = options["council"] or (interactive and self._ask(_("政协名称(如:示例市政协):")))
        if not council_name:
            raise CommandError(_("请用 --council 指定政协名称。"))
        council = Council.objects.filter(name=council_name).first()
        parent = None
        if council is None and options["parent"]:
            parent = Council.objects.filter(name=options["parent"]).first()
            if parent is None:
                raise CommandError(_("上级政协“%(name)s”不存在。") % {"name": options["parent"]})

        usernames = []
        for role, key, default in ADMINS:
            username = options[f"{key}_username"]
            if username is None and interactive:
                username = self._ask(_("%(role)s用户名 [%(default)s]:") % {"role": Role(role).label,
                                                                        "default": default}) or default  # fmt: skip
            usernames.append((username or default).strip())
        if len(set(usernames)) != len(usernames):
            raise CommandError(_("三个管理员须使用三个不同的账号(三员分立)。"))
        taken = sorted(User.objects.filter(username__in=usernames).values_list("username", flat=True))
        if taken:
            raise CommandError(_("用户名已存在:%(names)s") % {"names": "、".join(taken)})

        passwords = self._passwords(options["password_file"], usernames, interactive)

        with transaction.atomic():
            if council is None:
                council = council_create(actor=None, name=council_name, level=options["level"], parent=parent)
                council_seed_defaults(council)
                event_record(actor=None, action="council.seed_defaults", target=council, council=council,
                             payload={"via": "createadmin"})  # fmt: skip
                self.stdout.write(_("已创建政协组织:%(name)s") % {"name": council.name})
            for (role, _key, _default), username, password in zip(ADMINS, usernames, passwords, strict=True):
                user = user_create(actor=None, username=username, council=council, password=password,
                                   full_name=str(Role(role).label), must_change_password=True)  # fmt: skip
                role_grant(actor=None, user=user, council=council, role=role)
                self.stdout.write(
                    _("已创建%(role)s:%(username)s") % {"role": Role(role).label, "username": username}
                )
        self.stdout.write(_("首次登录时须修改密码。"))

    def _ask(self, prompt: str) -> str:
        return input(prompt).strip()

    def _passwords(self, path: str | None, usernames: list[str], interactive: bool) -> list[str]:
        if path:
            try:
                lines = [line.strip() for line in Path(path).read_text(encoding="utf-8").splitlines()]
            except OSError as exc:
                raise CommandError(_("无法读取密码文件:%(error)s") % {"error": exc}) from exc
            lines = [line for line in lines if line]
            if len(lines) not in (1, 3):
                raise CommandError(_("密码文件应有一行(三个账号共用)或三行(系统、安全、审计管理员各一行)。"))
            passwords = lines * 3 if len(lines) == 1 else lines
            for username, password in zip(usernames, passwords, strict=True):
                problems = self._problems(username, password)
                if problems:
                    raise CommandError(_("%(username)s 的密码不符合要求:%(problems)s")
                                       % {"username": username, "problems": " ".join(problems)})  # fmt: skip
            return passwords
        if not interactive:
            raise CommandError(_("未交互运行时须用 --password-file 提供密码。"))
        return [self._prompt_password(username) for username in usernames]

    def _prompt_password(self, username: str) -> str:
        while True:
            password = getpass.getpass(_("%(username)s 的密码:") % {"username": username})
            if password != getpass.getpass(_("再次输入密码:")):
                self.stderr.write(_("两次输入的密码不一致。"))
                continue
            problems = self._problems(username, password)
            if problems:
                self.stderr.write(" ".join(problems))
                continue
            return password

    def _problems(self, username: str, password: str) -> list[str]:
        try:
            validate_password(password, User(username=username))
        except ValidationError as exc:
            return list(exc.messages)
        return []
