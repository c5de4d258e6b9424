"""manage.py demo_load [--if-empty]: load the demo council (示例市政协) and print the demo logins."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from yizheng.org import demo


def logins_table(rows: list[tuple[str, str, str, str]]) -> str:
    """A plain-text table that lines up Chinese text (two columns per CJK character) in a terminal."""

    def width(text: str) -> int:
        return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)

    header = (_("角色"), _("范围"), _("用户名"), _("密码"))
    table = [header, *rows]
    widths = [max(width(row[i]) for row in table) for i in range(len(header))]

    def line(row) -> str:
        return "  ".join(cell + " " * (widths[i] - width(cell)) for i, cell in enumerate(row)).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(r) for r in rows)])


class Command(BaseCommand):
    help = "Load the demo council (示例市政协) into an empty database and print the demo logins."

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="skip quietly (exit 0) when the database already holds data",
        )

    def handle(self, *args, if_empty: bool = False, **options):
        if not demo.database_is_empty():
            if not if_empty:
                raise CommandError(_("数据库中已有数据,未加载演示数据。演示数据只能加载到空数据库。"))
            if all(
                demo.User.objects.filter(username=username).exists()
                for username, *_rest in demo.DEMO_ACCOUNTS
            ):
                self.stdout.write(_("演示数据已存在,未重复加载。"))
                self._print_logins()
            else:
                self.stdout.write(_("数据库中已有数据,未加载演示数据。"))
            return
        self.stdout.write(_("正在加载演示数据……"))
        started = time.perf_counter()
        ctx = demo.demo_load(
            progress=lambda line: self.stdout.write(f"  {line}") if options["verbosity"] > 1 else None
        )
        self.stdout.write(
            _("演示数据加载完成:%(members)s 名委员,%(units)s 个承办单位,用时 %(seconds).1f 秒。")
            % {
                "members": ctx.counts.get("members", 0) + ctx.counts.get("county_members", 0),
                "units": len(ctx.units),
                "seconds": time.perf_counter() - started,
            }
        )
        self._print_logins()

    def _print_logins(self) -> None:
        self.stdout.write("")
        self.stdout.write(_("演示账号(密码均为 %(password)s):") % {"password": demo.PASSWORD})
        self.stdout.write(logins_table(demo.demo_logins()))
        self.stdout.write("")
