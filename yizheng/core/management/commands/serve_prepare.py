"""manage.py serve_prepare: what `yizheng serve` does before starting the servers.

Django's system checks run first (as for every command); then it refuses to serve a database that still needs migrations (with the command that fixes
it), and collects the static files that whitenoise serves (quick when nothing changed).
"""

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.utils.translation import gettext as _


class Command(BaseCommand):
    help = "Check the configuration and the database, collect static files: run before serving."

    def handle(self, *args, **options):
        executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
        if pending:
            raise CommandError(
                _("数据库有 %(n)s 个结构升级尚未执行,请先运行 yizheng migrate。") % {"n": len(pending)}
            )
        call_command("collectstatic", interactive=False, verbosity=0)
