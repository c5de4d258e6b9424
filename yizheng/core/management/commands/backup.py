"""manage.py backup [--output DIR]: one dated .tar.gz with the database and the uploaded files.

SQLite: a consistent copy taken with SQLite's online backup API while the platform keeps running (WAL mode lets
writers go on). PostgreSQL: pg_dump in its custom format (restore with pg_restore); without pg_dump on this
machine the command says so and stops. The archive also holds backup.json (time, database, number of audit
events and the hash at the head of the audit chain, to check a restore against) and is readable by its owner
only, since it contains personal data.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from yizheng.audit.models import ChainHead


class Command(BaseCommand):
    help = "Back up the database and the uploaded files into a dated .tar.gz."

    def add_arguments(self, parser):
        parser.add_argument("--output", help="folder for the archive (default: <data folder>/backups)")

    def handle(self, *args, output: str | None = None, **options):
        target = Path(output) if output else Path(settings.DATA_DIR) / "backups"
        target.mkdir(parents=True, exist_ok=True)
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
        archive = target / f"yizheng-backup-{stamp}.tar.gz"
        with tempfile.TemporaryDirectory(prefix="yizheng-backup-") as work:
            work_dir = Path(work)
            if connection.vendor == "sqlite":
                dump = self._sqlite(work_dir)
                with sqlite3.connect(dump) as copy:
                    row = copy.execute("SELECT seq, hash FROM audit_chainhead WHERE id = 1").fetchone()
            elif connection.vendor == "postgresql":
                # pg_dump's snapshot starts after this, so the archive holds at least these events.
                head = ChainHead.objects.filter(id=1).first()
                row = (head.seq, head.hash) if head else None
                dump = self._postgres(work_dir)
            else:
                raise CommandError(_("不支持备份此类数据库:%(vendor)s") % {"vendor": connection.vendor})
            manifest = {
                "created_at": timezone.now().isoformat(),
                "database": connection.vendor,
                "database_file": dump.name,
                "audit_events": row[0] if row else 0,
                "audit_head_hash": row[1] if row else "",
                "media": "media/",
            }
            (work_dir / "backup.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2))
            partial = archive.with_suffix(".partial")
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
                tar.add(work_dir / "backup.json", arcname="backup.json")
                tar.add(dump, arcname=dump.name)
                media = Path(settings.MEDIA_ROOT)
                if media.is_dir():
                    tar.add(media, arcname="media")
            partial.rename(archive)
        size = archive.stat().st_size / 1024 / 1024
        self.stdout.write(_("备份完成:%(path)s(%(size).1f MB)") % {"path": archive, "size": size})
        return None

    def _sqlite(self, work_dir: Path) -> Path:
        dump = work_dir / "yizheng.sqlite3"
        name = str(settings.DATABASES["default"]["NAME"])
        if connection.is_in_memory_db():
            connection.ensure_connection()
            source, own = connection.connection, False
        else:
            # A separate read-only connection: the copy is one consistent snapshot while writers go on (WAL).
            source, own = sqlite3.connect(f"file:{name}?mode=ro", uri=True), True
        destination = sqlite3.connect(dump)
        try:
            source.backup(destination)
        finally:
            destination.close()
            if own:
                source.close()
        return dump

    def _postgres(self, work_dir: Path) -> Path:
        pg_dump = shutil.which("pg_dump")
        if pg_dump is None:
            raise CommandError(
                _(
                    "未找到 pg_dump,无法备份 PostgreSQL 数据库。请安装 PostgreSQL 客户端(如 apt-get install "
                    "postgresql-client,版本不低于服务器),或使用数据库服务器自身的备份方案。"
                )
            )
        db = settings.DATABASES["default"]
        dump = work_dir / "yizheng.pgdump"
        command = [pg_dump, "--format=custom", "--no-owner", "--no-privileges", f"--file={dump}"]
        for flag, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
            if db.get(key):
                command.append(f"{flag}={db[key]}")
        command.append(db["NAME"])
        env = {**os.environ, "PGPASSWORD": db.get("PASSWORD") or os.environ.get("PGPASSWORD", "")}
        result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise CommandError(_("pg_dump 失败:%(error)s") % {"error": result.stderr.strip()})
        return dump
