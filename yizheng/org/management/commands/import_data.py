"""manage.py import_data members|units FILE --council NAME [--dry-run] [--user USERNAME]

The same checks and the same all-or-nothing write as the web import. Every problem is printed as
"第N行 [列] 问题"; the exit status is 1 when anything was found, and then nothing is written.
"""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q
from django.utils.translation import gettext as _

from yizheng.core.errors import ApplicationError
from yizheng.org import imports
from yizheng.org.models import Council, ImportJob, User


class ConsoleProgress(imports.Progress):
    def __init__(self, stream, every: int = 1000) -> None:
        self.stream, self.every, self.total = stream, every, 0

    def started(self, total: int) -> None:
        self.total = total
        self.stream.write(_("共 %(n)s 行,开始检查……") % {"n": total})

    def checked(self, done: int) -> None:
        if done % self.every == 0 and done < self.total:
            self.stream.write(_("已检查 %(done)s / %(total)s 行") % {"done": done, "total": self.total})

    def written(self, created: int, updated: int) -> None:
        done = created + updated
        if done % self.every == 0 and done < self.total:
            self.stream.write(_("已写入 %(done)s / %(total)s 行") % {"done": done, "total": self.total})


class Command(BaseCommand):
    help = "Import members or units of a council from an .xlsx file (check only with --dry-run)."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=list(imports.PERMS), help="members 委员 · units 承办单位")
        parser.add_argument("file", help="the .xlsx file (use the template from the import page)")
        parser.add_argument("--council", required=True, help="council name or short name, e.g. 示例市政协")
        parser.add_argument("--dry-run", action="store_true", help="check every row, write nothing")
        parser.add_argument(
            "--user", help="act as this account (it needs the import permission); default: the operator"
        )

    def handle(self, *args, kind: str, file: str, council: str, dry_run: bool, user: str | None, **options):
        target = Council.objects.filter(Q(name=council) | Q(short_name=council)).order_by("pk").first()
        if target is None:
            raise CommandError(_("找不到名为“%(name)s”的政协组织") % {"name": council})
        actor = None
        if user:
            actor = User.objects.filter(username=user, is_active=True).first()
            if actor is None:
                raise CommandError(_("找不到账号“%(name)s”") % {"name": user})
        path = Path(file)
        if not path.is_file():
            raise CommandError(_("找不到文件 %(path)s") % {"path": file})
        try:
            with path.open("rb") as handle:
                upload = File(handle, name=path.name)
                imports.upload_check(upload)
                result = imports.import_run(
                    actor=actor,
                    council=target,
                    kind=kind,
                    source=upload,
                    dry_run=dry_run,
                    progress=ConsoleProgress(self.stderr),
                    file_name=path.name,
                )
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        except PermissionDenied as exc:
            raise CommandError(_("该账号没有在此政协导入数据的权限")) from exc

        label = ImportJob.Kind(kind).label
        if result.problems:
            for p in imports.problems_for_display(result.problems):
                where = _("第%(row)s行") % {"row": p["row"]} if p["row"] else _("文件")
                column = f" [{p['column']}]" if p["column"] else ""
                self.stdout.write(f"{where}{column} {p['message']}")
            raise CommandError(_("发现 %(n)s 个问题,没有写入任何数据。") % {"n": len(result.problems)})
        counts = {
            "kind": label,
            "total": result.total_rows,
            "created": result.created,
            "updated": result.updated,
            "council": target.name,
        }
        if dry_run:
            message = _(
                "检查通过:%(council)s%(kind)s共 %(total)s 行,导入后将新增 %(created)s 条、更新 %(updated)s 条。"
                "去掉 --dry-run 即可导入。"
            )
        else:
            message = _(
                "导入完成:%(council)s%(kind)s共 %(total)s 行,新增 %(created)s 条,更新 %(updated)s 条。"
            )
        self.stdout.write(self.style.SUCCESS(message % counts))
