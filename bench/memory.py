"""Resident memory of the embedded server with the demo council loaded.

    .venv/bin/python bench/memory.py [--requests 30] [--limit-mb 300]

Starts `yizheng demo` (SQLite, 1 gunicorn worker with 4 threads, 1 task worker) in a scratch data folder, signs
in as several demo users and requests their pages, then sums the resident set size (VmRSS) of every process:
the supervisor, the gunicorn master, its worker and the task worker. Exits 1 if the sum exceeds the limit.
RSS counts shared pages once per process, so the sum overstates what the machine really spends.
"""

from __future__ import annotations

import argparse
import signal
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from yizheng.core.tests.processes import (
    Browser,
    child_env,
    cmdline,
    descendants,
    free_port,
    rss_kib,
    start,
    stop,
    wait_http,
    yizheng,
)

PAGES = {
    "staff": ["/", "/org/members/", "/org/members/?q=%E7%8E%8B", "/org/units/", "/org/imports/"],
    "leader": ["/", "/org/members/", "/org/units/"],
    "liaison": ["/", "/org/units/"],
    "auditor": ["/", "/audit/"],
    "sysadmin": ["/", "/org/accounts/"],
    "member": ["/"],
}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=3, help="rounds over every user's pages")
    parser.add_argument("--limit-mb", type=float, default=300)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="yizheng-bench-") as scratch:
        data = Path(scratch)
        port = free_port()
        log = data / "demo.log"
        proc = start(yizheng("demo", "--port", str(port)), child_env(data / "data"), log)
        base = f"http://127.0.0.1:{port}"
        try:
            wait_http(f"{base}/login/", proc, log, timeout=300)
            statuses: dict[int, int] = {}
            failures: set[str] = set()
            for _round in range(args.requests):
                for username, pages in PAGES.items():
                    browser = Browser()
                    browser.login(base, username, "Yizheng@2026")
                    for page in pages:
                        status, _headers, _body = browser.request(base + page)
                        statuses[status] = statuses.get(status, 0) + 1
                        if status != 200:
                            failures.add(f"{username} {page} → {status}")
            rows = [(proc.pid, rss_kib(proc.pid), "supervisor (yizheng demo)")]
            for pid in descendants(proc.pid):
                line = cmdline(pid)
                role = "task worker" if "db_worker" in line else "gunicorn"
                rows.append((pid, rss_kib(pid), role))
        finally:
            stop(proc, signal.SIGTERM)

    total = sum(kib for _pid, kib, _role in rows) / 1024
    print(f"responses by status: {dict(sorted(statuses.items()))}")
    for failure in sorted(failures):
        print(f"  not 200: {failure}")
    for pid, kib, role in rows:
        print(f"  {pid:>7}  {kib / 1024:7.1f} MB  {role}")
    print(f"total RSS: {total:.1f} MB (limit {args.limit_mb:.0f} MB)")
    return 0 if total <= args.limit_mb else 1


if __name__ == "__main__":
    sys.exit(main())
