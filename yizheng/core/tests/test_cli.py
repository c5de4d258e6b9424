"""The `yizheng` command: help, argument mapping, createadmin, backup, serve/demo in real processes, and the
production-mode refusal of DEBUG or a weak SECRET_KEY."""

from __future__ import annotations

import json
import secrets
import signal
import socket
import sqlite3
import stat
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from yizheng import cli
from yizheng.audit.models import Event
from yizheng.core.tests.processes import (
    Browser,
    child_env,
    cmdline,
    descendants,
    free_port,
    run,
    start,
    stop,
    wait_http,
    yizheng,
)
from yizheng.org.models import ADMIN_ROLES, Council, RoleAssignment, Sector, User

STRONG = "Str0ng-Admin-Pass!"

# --- help and argument mapping (no database) --------------------------------------------------------------


def test_help_lists_every_command_in_chinese_and_english(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for command in ("demo", "serve", "migrate", "createadmin", "import", "audit", "backup", "manage"):
        assert command in out
    assert "运行网站和任务处理进程" in out
    assert "run the web server" in out
    assert "DATABASE_URL" in out


def test_no_arguments_prints_help(capsys):
    assert cli.main([]) == 0
    assert "yizheng" in capsys.readouterr().out


def test_serve_options_reach_gunicorn():
    args = cli.build_parser().parse_args(["serve", "--workers", "3", "--threads", "2", "--port", "9001",
                                          "--host", "0.0.0.0"])  # fmt: skip
    command = cli.gunicorn_command(args)
    assert command[1:3] == ["-m", "gunicorn"]
    assert command[command.index("--bind") + 1] == "0.0.0.0:9001"
    assert command[command.index("--workers") + 1] == "3"
    assert command[command.index("--threads") + 1] == "2"
    assert command[command.index("--config") + 1] == "python:config.gunicorn"
    assert command[-1] == "config.wsgi:application"


def test_serve_defaults_one_worker_four_threads_and_a_task_worker(monkeypatch):
    monkeypatch.delenv("YIZHENG_TASK_BACKEND", raising=False)
    args = cli.build_parser().parse_args(["serve"])
    command = cli.gunicorn_command(args)
    assert command[command.index("--workers") + 1] == "1"
    assert command[command.index("--threads") + 1] == "4"
    assert command[command.index("--bind") + 1] == "127.0.0.1:8000"
    assert cli.task_worker_wanted(args)
    assert cli.worker_command()[-4:] == ["db_worker", "--queue-name", "*", "--no-reload"]
    assert not cli.task_worker_wanted(cli.build_parser().parse_args(["serve", "--no-worker"]))
    monkeypatch.setenv("YIZHENG_TASK_BACKEND", "django_tasks.backends.immediate.ImmediateBackend")
    assert not cli.task_worker_wanted(args)


def test_gunicorn_workers_hide_what_set_up_made_from_the_garbage_collector():
    """Each worker freezes what loading the application left (so a full collection does not walk it in the
    middle of a request), after reading the URL patterns, so the first request does not import them."""
    import gc

    from config import gunicorn

    gc.unfreeze()
    try:
        gunicorn.post_worker_init(worker=None)
        assert gc.get_freeze_count() > 10_000
        assert gc.get_count()[0] < 100  # collected first, so nothing already garbage was frozen
    finally:
        gc.unfreeze()


def test_ipv6_bind_address():
    assert cli.bind_address("::1", 8000) == "[::1]:8000"
    assert cli.bind_address("[::]", 80) == "[::]:80"


def test_bad_worker_count_is_refused(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["serve", "--workers", "0"])
    assert exit_info.value.code == 2
    assert "must be at least 1" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["import", "members", "a.xlsx", "--council", "示例市政协", "--dry-run"],
         ["import_data", "members", "a.xlsx", "--council", "示例市政协", "--dry-run"]),
        (["import", "units", "b.xlsx", "--council", "示例市政协"],
         ["import_data", "units", "b.xlsx", "--council", "示例市政协"]),
        (["audit", "verify"], ["audit_verify"]),
        (["backup"], ["backup"]),
        (["backup", "--output", "/srv/backups"], ["backup", "--output", "/srv/backups"]),
        (["migrate", "--plan"], ["migrate", "--plan"]),
        (["createadmin", "--council", "示例市政协", "--no-input"],
         ["createadmin", "--council", "示例市政协", "--no-input"]),
        (["manage", "shell", "-c", "print(1)"], ["shell", "-c", "print(1)"]),
    ],
)  # fmt: skip
def test_subcommands_call_the_management_commands(monkeypatch, argv, expected):
    calls = []
    monkeypatch.setattr(cli, "manage", lambda command: calls.append(command) or 0)
    assert cli.main(argv) == 0
    assert calls == [expected]


def test_import_needs_a_council(capsys):
    with pytest.raises(SystemExit):
        cli.main(["import", "members", "a.xlsx"])
    assert "--council" in capsys.readouterr().err


# --- createadmin (in process, both databases) -------------------------------------------------------------


def _password_file(tmp_path: Path, *lines: str) -> str:
    path = tmp_path / "passwords.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


@pytest.mark.django_db
def test_createadmin_creates_three_separate_accounts_for_a_new_council(tmp_path):
    call_command("createadmin", "--council", "新建市政协", "--no-input",
                 "--password-file", _password_file(tmp_path, STRONG))  # fmt: skip
    council = Council.objects.get(name="新建市政协")
    assert council.level == Council.Level.MUNICIPAL
    assert council.path == f"/{council.pk}/"
    assert Sector.objects.filter(council=council).count() == 34
    roles = {
        a.user.username: a.role for a in RoleAssignment.objects.filter(council=council).select_related("user")
    }
    assert roles == {"sysadmin": "system_admin", "secadmin": "security_admin", "auditor": "audit_admin"}
    for username in roles:
        user = User.objects.get(username=username)
        assert user.check_password(STRONG)
        assert user.must_change_password
        assert user.role_assignments.count() == 1  # 三员分立: one role per account
    actions = list(Event.objects.values_list("action", flat=True))
    assert actions.count("account.create") == 3
    assert actions.count("role.grant") == 3
    assert "council.create" in actions


@pytest.mark.django_db
def test_createadmin_three_passwords_custom_names_existing_council(council, tmp_path):
    path = _password_file(tmp_path, "Sys-Admin-2026!", "Sec-Admin-2026!", "Aud-Admin-2026!")
    call_command("createadmin", "--council", council.name, "--no-input", "--password-file", path,
                 "--system-username", "xt", "--security-username", "aq", "--audit-username", "sj")  # fmt: skip
    assert User.objects.get(username="xt").check_password("Sys-Admin-2026!")
    assert User.objects.get(username="aq").check_password("Sec-Admin-2026!")
    assert User.objects.get(username="sj").check_password("Aud-Admin-2026!")
    assert set(RoleAssignment.objects.filter(council=council).values_list("role", flat=True)) == set(
        ADMIN_ROLES
    )
    assert Council.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("extra", "lines", "message"),
    [
        ([], ["short"], "密码不符合要求"),
        ([], ["alllowercase-long"], "至少三类"),
        ([], ["One-Pass-2026!", "Two-Pass-2026!"], "一行"),
        (["--security-username", "sysadmin"], [STRONG], "三个不同的账号"),
        (["--parent", "不存在的政协"], [STRONG], "上级政协"),
    ],
)
def test_createadmin_refuses_bad_input_and_writes_nothing(tmp_path, extra, lines, message):
    with pytest.raises(CommandError, match=message):
        call_command("createadmin", "--council", "新建市政协", "--no-input",
                     "--password-file", _password_file(tmp_path, *lines), *extra)  # fmt: skip
    assert not Council.objects.exists()
    assert not User.objects.exists()
    assert not Event.objects.exists()


@pytest.mark.django_db
def test_createadmin_refuses_a_taken_username(council, make_user, tmp_path):
    make_user("staff", council, username="secadmin")
    with pytest.raises(CommandError, match="用户名已存在"):
        call_command("createadmin", "--council", council.name, "--no-input",
                     "--password-file", _password_file(tmp_path, STRONG))  # fmt: skip
    assert not User.objects.filter(username__in=["sysadmin", "auditor"]).exists()


@pytest.mark.django_db
def test_createadmin_without_input_needs_a_password_file():
    with pytest.raises(CommandError, match="--password-file"):
        call_command("createadmin", "--council", "新建市政协", "--no-input")
    with pytest.raises(CommandError, match="--council"):
        call_command("createadmin", "--no-input")
    assert not User.objects.exists()


@pytest.mark.django_db
def test_createadmin_prompts_and_asks_again_after_a_mismatch_or_weak_password(monkeypatch):
    answers = iter(["提示市政协", "", "", "auditor2"])
    monkeypatch.setattr("builtins.input", lambda prompt="": next(answers))
    passwords = iter([
        "Sys-Admin-2026!", "typo",  # mismatch: asked again
        "Sys-Admin-2026!", "Sys-Admin-2026!",
        "weak", "weak",  # refused by the password policy: asked again
        "Sec-Admin-2026!", "Sec-Admin-2026!",
        "Aud-Admin-2026!", "Aud-Admin-2026!",
    ])  # fmt: skip
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(passwords))
    call_command("createadmin")
    assert User.objects.get(username="sysadmin").check_password("Sys-Admin-2026!")
    assert User.objects.get(username="secadmin").check_password("Sec-Admin-2026!")
    assert User.objects.get(username="auditor2").check_password("Aud-Admin-2026!")
    assert Council.objects.filter(name="提示市政协").exists()


# --- real processes ---------------------------------------------------------------------------------------


def test_production_mode_refuses_a_weak_secret_key(tmp_path):
    env = child_env(tmp_path, YIZHENG_ENV="production", SECRET_KEY="change-me")
    result = run(yizheng("manage", "check"), env)
    assert result.returncode != 0
    assert "Refusing to start: SECRET_KEY must be set" in result.stderr
    # Plain manage.py refuses just the same.
    result = run([sys.executable, str(settings.BASE_DIR / "manage.py"), "check"], env)
    assert result.returncode != 0
    assert "Refusing to start" in result.stderr


def test_production_mode_refuses_debug(tmp_path):
    env = child_env(tmp_path, YIZHENG_ENV="production", DEBUG="1", SECRET_KEY=secrets.token_urlsafe(64))
    result = run(yizheng("serve", "--port", str(free_port())), env)
    assert result.returncode != 0
    assert "Refusing to start: DEBUG is on in production mode." in result.stderr
    assert "Yizheng is serving" not in result.stdout


def test_production_mode_starts_with_a_strong_key(tmp_path):
    env = child_env(tmp_path, YIZHENG_ENV="production", SECRET_KEY=secrets.token_urlsafe(64))
    result = run(yizheng("manage", "check"), env)
    assert result.returncode == 0, result.stderr


def test_backup_of_sqlite_holds_a_consistent_database_and_the_media(tmp_path):
    data = tmp_path / "data"
    env = child_env(data)
    assert run(yizheng("migrate", "-v", "0"), env).returncode == 0
    (data / "media" / "imports").mkdir(parents=True)
    (data / "media" / "imports" / "委员.xlsx").write_bytes(b"PK-not-really")
    result = run(yizheng("createadmin", "--council", "备份市政协", "--no-input",
                         "--password-file", _password_file(tmp_path, STRONG)), env)  # fmt: skip
    assert result.returncode == 0, result.stderr
    out = tmp_path / "out"
    result = run(yizheng("backup", "--output", str(out)), env)
    assert result.returncode == 0, result.stderr
    [archive] = list(out.glob("yizheng-backup-*.tar.gz"))
    assert "备份完成" in result.stdout
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600  # personal data: owner only
    extract = tmp_path / "extract"
    with tarfile.open(archive) as tar:
        assert {"backup.json", "yizheng.sqlite3", "media/imports/委员.xlsx"} <= set(tar.getnames())
        tar.extractall(extract, filter="data")
    manifest = json.loads((extract / "backup.json").read_text())
    with sqlite3.connect(extract / "yizheng.sqlite3") as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert db.execute("SELECT count(*) FROM org_user").fetchone() == (3,)
        events = db.execute("SELECT count(*) FROM audit_event").fetchone()[0]
    assert manifest["database"] == "sqlite"
    assert manifest["audit_events"] == events > 0


@pytest.mark.postgres
def test_backup_of_postgresql_uses_pg_dump_or_says_it_is_missing(tmp_path, fresh_postgres_db):
    env = child_env(tmp_path / "data", DATABASE_URL=fresh_postgres_db)
    assert run(yizheng("migrate", "-v", "0"), env).returncode == 0
    out = tmp_path / "out"
    result = run(yizheng("backup", "--output", str(out)), env)
    assert result.returncode == 0, result.stderr
    [archive] = list(out.glob("yizheng-backup-*.tar.gz"))
    with tarfile.open(archive) as tar:
        assert {"backup.json", "yizheng.pgdump"} <= set(tar.getnames())
        tar.extract("yizheng.pgdump", tmp_path, filter="data")
    listing = subprocess.run(["pg_restore", "--list", str(tmp_path / "yizheng.pgdump")],
                             capture_output=True, text=True, check=True).stdout  # fmt: skip
    assert "TABLE public audit_event" in listing
    # Without pg_dump on the PATH: a clear message, a non-zero exit, no archive.
    empty_bin = tmp_path / "bin"
    empty_bin.mkdir()
    result = run(yizheng("backup", "--output", str(tmp_path / "none")), {**env, "PATH": str(empty_bin)})
    assert result.returncode != 0
    assert "未找到 pg_dump" in result.stderr
    assert not list((tmp_path / "none").glob("*.tar.gz"))


@pytest.fixture
def fresh_postgres_db():
    psycopg = pytest.importorskip("psycopg")
    try:
        admin = psycopg.connect(
            "postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True, connect_timeout=3
        )
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL is not reachable at 127.0.0.1:5432: {exc}")
    name = f"yizheng_cli_{secrets.token_hex(4)}"
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgres://postgres@127.0.0.1:5432/{name}"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def _children_named(pid: int) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {"gunicorn": [], "db_worker": []}
    for child in descendants(pid):
        line = cmdline(child)
        for name in found:
            if name in line:
                found[name].append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_serve_runs_gunicorn_and_a_task_worker_and_stops_them_on_ctrl_c(tmp_path):
    env = child_env(tmp_path)
    assert run(yizheng("migrate", "-v", "0"), env).returncode == 0
    port = free_port()
    log = tmp_path / "serve.log"
    proc = start(yizheng("serve", "--port", str(port)), env, log)
    try:
        wait_http(f"http://127.0.0.1:{port}/login/", proc, log)
        children = _children_named(proc.pid)
        assert len(children["gunicorn"]) == 2  # master and one worker
        assert len(children["db_worker"]) == 1
        # The worker runs what the web side queues in the database.
        flag = tmp_path / "task-ran.txt"
        code = f"from yizheng.core.tests.tasks import touch; touch.enqueue({str(flag)!r})"
        assert run(yizheng("manage", "shell", "-c", code), env).returncode == 0
        deadline = time.monotonic() + 30
        while not flag.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert flag.read_text() == "done"
    finally:
        status = stop(proc, signal.SIGINT)
    assert status == 0, log.read_text()
    assert not any(_alive(pid) for pids in children.values() for pid in pids)
    assert "已停止" in log.read_text()


def test_serve_without_worker_and_stop_on_sigterm(tmp_path):
    env = child_env(tmp_path)
    assert run(yizheng("migrate", "-v", "0"), env).returncode == 0
    port = free_port()
    log = tmp_path / "serve.log"
    proc = start(yizheng("serve", "--port", str(port), "--workers", "2", "--no-worker"), env, log)
    try:
        wait_http(f"http://127.0.0.1:{port}/login/", proc, log)
        children = _children_named(proc.pid)
        assert len(children["gunicorn"]) == 3  # master and two workers
        assert children["db_worker"] == []
    finally:
        status = stop(proc, signal.SIGTERM)
    assert status == 0
    assert not any(_alive(pid) for pid in children["gunicorn"])


def test_serve_refuses_an_unmigrated_database(tmp_path):
    result = run(yizheng("serve", "--port", str(free_port())), child_env(tmp_path))
    assert result.returncode != 0
    assert "yizheng migrate" in result.stderr


def test_a_dying_server_stops_the_rest(tmp_path):
    """If gunicorn cannot start (port taken), the supervisor stops the task worker and exits non-zero."""
    env = child_env(tmp_path)
    assert run(yizheng("migrate", "-v", "0"), env).returncode == 0
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run(yizheng("serve", "--port", str(port)), env, timeout=90)
    assert result.returncode != 0
    assert "gunicorn" in result.stderr


def test_demo_migrates_loads_prints_logins_serves_and_loads_only_once(tmp_path):
    env = child_env(tmp_path)
    port = free_port()
    log = tmp_path / "demo.log"
    proc = start(yizheng("demo", "--port", str(port)), env, log)
    try:
        wait_http(f"http://127.0.0.1:{port}/login/", proc, log, timeout=180)
        output = log.read_text()
        for username in ("member", "agent", "staff", "liaison", "reviewer", "supervisor", "leader",
                         "sysadmin", "secadmin", "auditor", "county_staff"):  # fmt: skip
            assert f" {username} " in output
        assert "Yizheng@2026" in output
        assert "系统管理员" in output
        assert "承办单位联络员" in output
        assert output.index("Yizheng@2026") < output.index("Yizheng is serving at")
        browser = Browser()
        status, headers = browser.login(f"http://127.0.0.1:{port}", "member", "Yizheng@2026")
        assert status == 302
        assert headers["Location"] == "/"
        status, _headers, page = browser.request(f"http://127.0.0.1:{port}/")
        assert status == 200
        assert 'data-testid="whoami"' in page
    finally:
        assert stop(proc, signal.SIGINT) == 0
    # A second run keeps the data and only prints the logins again.
    result = run(yizheng("manage", "demo_load", "--if-empty"), env)
    assert result.returncode == 0
    assert "演示数据已存在" in result.stdout
    assert "county_staff" in result.stdout
    count = run(yizheng("manage", "shell", "-c",
                        "from yizheng.org.models import Council; print(Council.objects.count())"), env)  # fmt: skip
    assert count.stdout.strip().splitlines()[-1] == "4"


def test_sighup_reloads_the_workers_and_keeps_serving(tmp_path):
    env = child_env(tmp_path)
    assert run(yizheng("migrate", "-v", "0"), env).returncode == 0
    port = free_port()
    log = tmp_path / "serve.log"
    proc = start(yizheng("serve", "--port", str(port)), env, log)
    try:
        wait_http(f"http://127.0.0.1:{port}/login/", proc, log)
        before = _children_named(proc.pid)
        proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            after = _children_named(proc.pid)
            new_worker = set(after["db_worker"]) - set(before["db_worker"])
            new_web = set(after["gunicorn"]) - set(before["gunicorn"])
            if new_worker and new_web and len(after["gunicorn"]) == 2:
                break
            time.sleep(0.3)
        assert new_worker, log.read_text()
        assert new_web, log.read_text()
        master = min(before["gunicorn"])
        assert master in after["gunicorn"]  # the listening master stays: no request is refused
        wait_http(f"http://127.0.0.1:{port}/login/", proc, log)
        assert proc.poll() is None
    finally:
        assert stop(proc, signal.SIGTERM) == 0
    assert "重新加载" in log.read_text()
