"""`yizheng`: the operator's command. It wraps manage.py so that running the platform needs no Django knowledge.

    yizheng demo                 try it: migrate, load the demo council, serve at http://127.0.0.1:8000
    yizheng serve --workers 4    production: gunicorn plus one task worker, both stopped by Ctrl-C / SIGTERM
    yizheng migrate | createadmin | import | audit verify | backup | manage …

Configuration comes from environment variables (DATABASE_URL, REDIS_URL, SECRET_KEY, YIZHENG_DATA_DIR,
YIZHENG_ENV, EMAIL_*, ALLOWED_HOSTS), read by config/settings/base.py.

`serve` and `demo` supervise child processes and never import Django themselves, so the supervisor stays a few
megabytes; every other subcommand runs the matching management command in this process.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence

SETTINGS = "config.settings.base"
WSGI_APP = "config.wsgi:application"
DB_TASK_BACKEND = "django_tasks_db.DatabaseBackend"
STOP_TIMEOUT = 30  # seconds a child gets to finish its requests or its task after SIGTERM

DESCRIPTION = """议政 · Yizheng — 政协履职平台命令行 · the operator's command line

配置通过环境变量 · configured by environment variables:
  DATABASE_URL  REDIS_URL  SECRET_KEY  YIZHENG_DATA_DIR  YIZHENG_ENV  ALLOWED_HOSTS  EMAIL_*
"""
EPILOG = """示例 · examples:
  yizheng demo                              试用:演示数据 · try it with the demo council
  yizheng migrate && yizheng createadmin    新装 · fresh installation
  yizheng serve --workers 4                 生产运行 · production
  yizheng import members 委员.xlsx --council 示例市政协 --dry-run
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="yizheng",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", metavar="<command>", title="命令 · commands")

    def server_options(p: argparse.ArgumentParser, workers: bool) -> None:
        p.add_argument("--host", default=os.environ.get("YIZHENG_HOST", "127.0.0.1"),
                       help="监听地址 · address to listen on (default: %(default)s)")  # fmt: skip
        p.add_argument("--port", type=int, default=int(os.environ.get("YIZHENG_PORT", "8000")),
                       help="端口 · port (default: %(default)s)")  # fmt: skip
        if workers:
            p.add_argument("--workers", type=_positive, default=1,
                           help="网站进程数 · web worker processes (default: %(default)s)")  # fmt: skip
            p.add_argument("--threads", type=_positive, default=4,
                           help="每进程线程数 · threads per web worker (default: %(default)s)")  # fmt: skip
            p.add_argument("--no-worker", action="store_true",
                           help="不启动任务处理进程 · do not start the task worker (run it elsewhere)")  # fmt: skip
        else:
            p.set_defaults(workers=1, threads=4, no_worker=False)

    p = sub.add_parser("demo", help="演示:迁移、加载演示数据并运行 · migrate, load the demo council, serve")
    server_options(p, workers=False)
    p = sub.add_parser(
        "serve", help="运行网站和任务处理进程 · run the web server (gunicorn) and the task worker"
    )
    server_options(p, workers=True)
    sub.add_parser("migrate", help="升级数据库结构 · apply database migrations", add_help=False)
    sub.add_parser(
        "createadmin",
        help="创建系统/安全/审计管理员 · create a council's three administrator accounts",
        add_help=False,
    )
    p = sub.add_parser("import", help="从Excel导入委员或承办单位 · import members or units from .xlsx")
    p.add_argument("kind", choices=["members", "units"], help="members 委员 · units 承办单位")
    p.add_argument("file", help="Excel 文件 · the .xlsx file")
    p.add_argument("--council", required=True, help="政协名称 · council name")
    p.add_argument("--dry-run", action="store_true", help="只检查不写入 · check only, write nothing")
    p = sub.add_parser("audit", help="审计日志 · audit trail")
    p.add_argument("action", choices=["verify"], help="verify 校验日志完整性 · check the hash chain")
    p = sub.add_parser("backup", help="备份数据库和上传文件 · back up the database and uploaded files")
    p.add_argument("--output", help="备份目录 · folder for the .tar.gz (default: <data folder>/backups)")
    sub.add_parser(
        "manage", help="其他管理命令 · any manage.py command (yizheng manage help)", add_help=False
    )
    return parser


PASSTHROUGH = {"migrate": ["migrate"], "createadmin": ["createadmin"], "manage": []}


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("必须大于0 · must be at least 1")
    return number


def main(argv: Sequence[str] | None = None) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS)
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if not argv:
        parser.print_help()
        return 0
    if argv[0] in PASSTHROUGH:
        # Options belong to the management command, not to us: hand them over untouched.
        return manage([*PASSTHROUGH[argv[0]], *argv[1:]])
    args = parser.parse_args(argv)
    if args.command == "demo":
        return demo(args)
    if args.command == "serve":
        return serve(args)
    if args.command == "import":
        return manage(["import_data", args.kind, args.file, "--council", args.council]
                      + (["--dry-run"] if args.dry_run else []))  # fmt: skip
    if args.command == "audit":
        return manage(["audit_verify"])
    if args.command == "backup":
        return manage(["backup", *(["--output", args.output] if args.output else [])])
    parser.print_help()
    return 2


# --- management commands, in this process -----------------------------------------------------------------


def manage(command: list[str]) -> int:
    """Run one management command here; returns its exit status. Settings errors get one clear line."""
    from django.core.exceptions import ImproperlyConfigured

    try:
        from django.conf import settings

        settings.INSTALLED_APPS  # noqa: B018 - importing the settings is what may refuse
    except ImproperlyConfigured as exc:
        print(f"配置错误 · configuration error: {exc}", file=sys.stderr)
        return 2
    from django.core.management import execute_from_command_line

    if not command:
        command = ["help"]
    try:
        execute_from_command_line(["yizheng manage", *command])
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return 0


# --- serve and demo: a small supervisor over child processes ----------------------------------------------


def manage_command(*args: str) -> list[str]:
    """The argv that runs a management command in a fresh Python process."""
    return [sys.executable, "-m", "yizheng.cli", "manage", *args]


def bind_address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host and not host.startswith("[") else f"{host}:{port}"


def gunicorn_command(args: argparse.Namespace) -> list[str]:
    return [
        sys.executable, "-m", "gunicorn",
        "--config", "python:config.gunicorn",
        "--bind", bind_address(args.host, args.port),
        "--workers", str(args.workers),
        "--threads", str(args.threads),
        WSGI_APP,
    ]  # fmt: skip


def worker_command() -> list[str]:
    return manage_command("db_worker", "--queue-name", "*", "--no-reload")


def task_worker_wanted(args: argparse.Namespace) -> bool:
    """A database task worker runs beside the web server unless told not to or tasks run elsewhere."""
    backend = os.environ.get("YIZHENG_TASK_BACKEND", DB_TASK_BACKEND)
    return not args.no_worker and backend == DB_TASK_BACKEND


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Linux: the child gets SIGTERM if the supervisor is killed outright, so no server is left orphaned."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _spawn(command: list[str]) -> subprocess.Popen:
    # Own process group: Ctrl-C reaches only the supervisor, which then stops each child exactly once.
    kwargs = {"process_group": 0}
    if sys.platform.startswith("linux"):
        kwargs["preexec_fn"] = _die_with_parent
    return subprocess.Popen(command, **kwargs)


def run_step(*args: str) -> int:
    return subprocess.call(manage_command(*args))


def supervise(commands: dict[str, list[str]]) -> int:
    """Start the children, wait until one of them ends or we are told to stop, then stop all of them cleanly.

    SIGINT / SIGTERM stop everything (each child gets SIGTERM once and up to STOP_TIMEOUT seconds to finish).
    SIGHUP reloads without dropping a request: gunicorn replaces its workers gracefully (new code is picked
    up), and the task worker finishes its task and is started again.
    """
    stop_signal: list[int] = []
    reload_requested: list[int] = []

    def on_signal(signum, frame):
        (reload_requested if signum == signal.SIGHUP else stop_signal).append(signum)

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    children = {name: _spawn(command) for name, command in commands.items()}
    restarting: set[str] = set()
    status = 0
    try:
        while not stop_signal:
            if reload_requested:
                reload_requested.clear()
                print("重新加载 · reloading", flush=True)
                for name, child in children.items():
                    if name == "gunicorn":
                        child.send_signal(signal.SIGHUP)
                    elif child.poll() is None:
                        restarting.add(name)
                        child.send_signal(signal.SIGTERM)
            ended = []
            for name, child in list(children.items()):
                if child.poll() is None:
                    continue
                if name in restarting:
                    restarting.discard(name)
                    children[name] = _spawn(commands[name])
                else:
                    ended.append((name, child))
            if ended:
                name, child = ended[0]
                status = child.returncode or 1
                print(f"{name} 已退出,正在停止其他进程 · {name} exited with status {child.returncode}, "
                      "stopping the others", file=sys.stderr)  # fmt: skip
                break
            time.sleep(0.2)
    finally:
        _stop(list(children.values()))
        for s, handler in previous.items():
            signal.signal(s, handler)
    if stop_signal:
        print("已停止 · stopped")
    return status


def _stop(children: list[subprocess.Popen]) -> None:
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT
    for child in children:
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def serve(args: argparse.Namespace, *, prepared: bool = False) -> int:
    if not prepared:
        status = run_step("serve_prepare")
        if status:
            return status
    commands = {"gunicorn": gunicorn_command(args)}
    if task_worker_wanted(args):
        commands["db_worker"] = worker_command()
    url = f"http://{bind_address(args.host, args.port)}/"
    print(f"议政已启动 · Yizheng is serving at {url}  (Ctrl-C 停止 · to stop)", flush=True)
    return supervise(commands)


def demo(args: argparse.Namespace) -> int:
    for step in (("migrate", "--noinput", "-v", "0"), ("demo_load", "--if-empty"), ("serve_prepare",)):
        status = run_step(*step)
        if status:
            return status
    return serve(args, prepared=True)


if __name__ == "__main__":
    sys.exit(main())
