"""The scaled mode: two independent web servers on PostgreSQL + Redis share sign-ins.

Two `yizheng serve` processes, each with its own data folder (nothing local shared), the same SECRET_KEY, one
fresh PostgreSQL database and one Redis database. A user signs in through the first and is recognised by the
second, because the session lives in Redis (cached_db) and PostgreSQL, not in a process.
"""

from __future__ import annotations

import secrets
import signal

import pytest

from yizheng.core.tests.processes import Browser, child_env, free_port, run, start, stop, wait_http, yizheng

pytestmark = pytest.mark.postgres

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
REDIS_DB = 11  # the suite's cache uses 15; this test empties only its own database
REDIS_URL = f"redis://127.0.0.1:6379/{REDIS_DB}"


@pytest.fixture
def postgres_db():
    import psycopg

    try:
        admin = psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL is not reachable at 127.0.0.1:5432: {exc}")
    name = f"yizheng_scaled_{secrets.token_hex(4)}"
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgres://postgres@127.0.0.1:5432/{name}"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture
def redis_db():
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        client.ping()
    except redis.exceptions.ConnectionError as exc:
        pytest.skip(f"Redis is not reachable at 127.0.0.1:6379: {exc}")
    client.flushdb()
    try:
        yield client
    finally:
        client.flushdb()
        client.close()


CREATE_USER = """
from yizheng.org.models import Council
from yizheng.org.services import council_create, role_grant, user_create
council = council_create(actor=None, name="扩展市政协", level=Council.Level.MUNICIPAL)
user = user_create(actor=None, username="scaled", council=council, full_name="扩展测试", password="Scaled-Test-2026!")
role_grant(actor=None, user=user, council=council, role="staff", office="proposal")
"""


def test_a_sign_in_through_one_server_is_honoured_by_another(tmp_path, postgres_db, redis_db):
    shared = {"DATABASE_URL": postgres_db, "REDIS_URL": REDIS_URL, "SECRET_KEY": secrets.token_urlsafe(64)}
    env1 = child_env(tmp_path / "host1", **shared)
    env2 = child_env(tmp_path / "host2", **shared)
    result = run(yizheng("migrate", "-v", "0"), env1)
    assert result.returncode == 0, result.stderr
    result = run(yizheng("manage", "shell", "-c", CREATE_USER), env1)
    assert result.returncode == 0, result.stderr

    port1, port2 = free_port(), free_port()
    log1, log2 = tmp_path / "host1.log", tmp_path / "host2.log"
    server1 = start(yizheng("serve", "--port", str(port1), "--workers", "2"), env1, log1)
    server2 = start(yizheng("serve", "--port", str(port2), "--workers", "2", "--no-worker"), env2, log2)
    try:
        base1, base2 = f"http://127.0.0.1:{port1}", f"http://127.0.0.1:{port2}"
        wait_http(f"{base1}/login/", server1, log1)
        wait_http(f"{base2}/login/", server2, log2)

        browser = Browser()
        # Before signing in, the second server sends us to the login page.
        status, headers, _page = browser.request(f"{base2}/")
        assert status == 302
        assert headers["Location"].startswith("/login/")

        status, headers = browser.login(base1, "scaled", "Scaled-Test-2026!")
        assert status == 302, "sign-in through server 1 failed"
        assert headers["Location"] == "/"

        for _attempt in range(3):  # several requests: any worker of server 2 knows the session
            status, headers, page = browser.request(f"{base2}/")
            assert status == 200, (status, headers.get("Location"))
            assert "扩展测试" in page
        # The session is in Redis (cache of the cached_db session engine), not in either process.
        keys = [k.decode() for k in redis_db.keys("*")]
        assert any("django.contrib.sessions.cached_db" in k for k in keys), keys

        # Signing out through server 2 ends the session on server 1 too.
        _status, _headers, page = browser.request(f"{base2}/")
        token = page.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
        status, _headers, _page = browser.request(
            f"{base2}/logout/", {"csrfmiddlewaretoken": token}, headers={"Referer": f"{base2}/"}
        )
        assert status == 302
        status, headers, _page = browser.request(f"{base1}/")
        assert status == 302
        assert headers["Location"].startswith("/login/")
    finally:
        assert stop(server1, signal.SIGTERM) == 0
        assert stop(server2, signal.SIGTERM) == 0
