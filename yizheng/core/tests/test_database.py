"""PostgreSQL runs the hot queries as prepared statements (config.settings.base), unless told not to."""

from __future__ import annotations

import json
import sys

import pytest
from django.db import connection

from yizheng.core.tests.processes import child_env, run

SHOW_OPTIONS = (
    "import json, config.settings.base as s; d = s.DATABASES['default']; "
    "print(json.dumps([d.get('OPTIONS'), d.get('DISABLE_SERVER_SIDE_CURSORS', False)]))"
)
PREPARED = {"server_side_binding": True, "prepare_threshold": 5}


def options_for(tmp_path, **env) -> tuple[dict | None, bool]:
    result = run([sys.executable, "-c", SHOW_OPTIONS], child_env(tmp_path, **env))
    assert result.returncode == 0, result.stderr
    options, no_server_cursors = json.loads(result.stdout)
    return options, no_server_cursors


def test_postgres_binds_on_the_server_and_prepares_unless_turned_off(tmp_path):
    pg = "postgres://postgres@127.0.0.1:5432/yizheng"
    assert options_for(tmp_path, DATABASE_URL=pg) == (PREPARED, False)
    for off in ("0", "off", "False", "NO"):
        assert options_for(tmp_path, DATABASE_URL=pg, YIZHENG_PG_PREPARED=off) == (None, False), off
    # options in the URL are kept (a certificate check must never be dropped) and win over ours
    options, _ = options_for(tmp_path, DATABASE_URL=pg + "?sslmode=verify-full&connect_timeout=5")
    assert options == {"sslmode": "verify-full", "connect_timeout": 5, **PREPARED}
    # behind a transaction-mode pooler: neither server-side cursors nor prepared statements
    assert options_for(tmp_path, DATABASE_URL=pg, YIZHENG_PG_TRANSACTION_POOLING="1") == (None, True)
    sqlite, _ = options_for(tmp_path)  # the embedded default is untouched
    assert "prepare_threshold" not in sqlite
    assert sqlite["transaction_mode"] == "IMMEDIATE"


@pytest.mark.django_db
def test_a_query_run_again_on_postgres_is_prepared_and_answers_for_each_parameter(council):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only (run with DATABASE_URL=postgres://…)")
    from yizheng.org.models import User
    from yizheng.org.tests.factories import UserFactory

    users = UserFactory.create_batch(8, council=council)
    for user in users:  # the same shape, a different parameter each time
        assert User.objects.filter(pk=user.pk).values_list("username", flat=True).get() == user.username
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert any('FROM "org_user"' in sql and "$1" in sql for sql in prepared), prepared
