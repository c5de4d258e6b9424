"""manage.py calendar_import FILE: enter a year's holiday notice (放假安排) from a text file.

The file has the format of the entry screen (see yizheng.core.calendar_notice): one line per holiday, e.g.

    春节 2027-02-06 至 2027-02-14 放假;2027-02-20(星期六)上班

The year is taken from --year, or from the file's full dates. The whole year is replaced in one transaction and
audited; every registered deadline holder then recomputes. A wrong line refuses the whole file and changes
nothing. --dry-run only checks and shows what would be entered.
"""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from yizheng.core.calendar_notice import NoticeInvalid, group_days, notice_year, parse_notice
from yizheng.core.errors import ApplicationError
from yizheng.core.services_calendar import calendar_year_set


def _read(path: str) -> str:
    raw = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise CommandError(_("无法识别文件编码,请保存为 UTF-8 文本"))


class Command(BaseCommand):
    help = "Enter a year's official holidays and make-up workdays (放假安排) from a text file."

    def add_arguments(self, parser):
        parser.add_argument("file", help="text file, one holiday per line ('-' reads standard input)")
        parser.add_argument(
            "--year", type=int, help="the notice's year (default: the year of its full dates)"
        )
        parser.add_argument("--source", help="the notice's reference, e.g. 国办发明电〔2026〕×号")
        parser.add_argument(
            "--user", help="username of the system administrator entering it (default: system)"
        )
        parser.add_argument("--dry-run", action="store_true", help="check and show, save nothing")

    def handle(self, *args, **options):
        try:
            text = _read(options["file"])
        except OSError as exc:
            raise CommandError(_("无法读取文件:%(error)s") % {"error": exc}) from exc
        year = options["year"] or notice_year(text)
        if year is None:
            raise CommandError(_("无法从文件判断年份,请用 --year 指明"))
        actor = None
        if options["user"]:
            from django.contrib.auth import get_user_model

            actor = get_user_model().objects.filter(username=options["user"], is_active=True).first()
            if actor is None:
                raise CommandError(_("账号“%(name)s”不存在或已停用") % {"name": options["user"]})
        try:
            days = parse_notice(text, year)
        except NoticeInvalid as exc:
            raise CommandError("\n".join([exc.message, *exc.problems])) from exc

        for group in group_days((d.date, d.kind, d.name) for d in days):
            ranges = "、".join(f"{a:%m-%d}" if a == b else f"{a:%m-%d}~{b:%m-%d}" for a, b in group.ranges)
            work = "、".join(f"{d:%m-%d}" for d in group.workdays)
            line = f"{group.name}: {ranges or '—'}"
            if work:
                line += " | " + _("上班") + f" {work}"
            self.stdout.write(line)
        if options["dry_run"]:
            self.stdout.write(
                _("检查通过(试运行,未保存):%(year)s年,共 %(n)s 天。") % {"year": year, "n": len(days)}
            )
            return
        source = options["source"] or _("文件导入:%(name)s") % {"name": Path(options["file"]).name}
        try:
            calendar_year_set(
                actor=actor,
                year=year,
                days=[(d.date, d.kind, d.name) for d in days],
                source=source,
                notice=text.strip(),
            )
        except ApplicationError as exc:
            details = [m for messages in exc.errors.values() for m in messages]
            raise CommandError("\n".join([exc.message, *details])) from exc
        except PermissionDenied as exc:
            raise CommandError(
                _("账号“%(name)s”无权录入工作日历:须为最上级政协的系统管理员") % {"name": options["user"]}
            ) from exc
        self.stdout.write(
            self.style.SUCCESS(_("已录入%(year)s年放假安排,共 %(n)s 天。") % {"year": year, "n": len(days)})
        )
