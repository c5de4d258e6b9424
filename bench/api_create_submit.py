"""Proposals created and submitted per second through the JSON API by one client, on the embedded SQLite.

    .venv/bin/python bench/api_create_submit.py [-n 300] [--target 60]

Starts `yizheng demo` (SQLite, gunicorn, the demo council loaded) in a scratch data folder, issues an API token for
the demo `member` account (`manage.py api_token_issue`), then — one client, one keep-alive connection, one request
at a time — creates a draft (POST /api/v1/proposals) and submits it (POST …/actions/submit) N times, and prints
the rate of created-and-submitted proposals per second. Exits 1 below the target.
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from yizheng.core.tests.processes import child_env, free_port, run, start, stop, wait_http, yizheng

COUNCIL_OF = "from yizheng.org.models import User; print(User.objects.get(username='member').council_id)"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-n", type=int, default=300, help="proposals to create and submit")
    parser.add_argument("--target", type=float, default=60.0, help="proposals per second expected at least")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="yizheng-bench-") as scratch:
        data = Path(scratch)
        env = child_env(data / "data")
        port = free_port()
        log = data / "demo.log"
        proc = start(yizheng("demo", "--port", str(port)), env, log)
        try:
            wait_http(f"http://127.0.0.1:{port}/login/", proc, log, timeout=300)
            issued = run(yizheng("manage", "api_token_issue", "member", "bench"), env)
            key = issued.stdout.strip().splitlines()[-1]
            council = int(
                run(yizheng("manage", "shell", "-c", COUNCIL_OF), env).stdout.strip().splitlines()[-1]
            )
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}

            def call(path: str, body: dict) -> dict:
                conn.request("POST", "/api/v1" + path, json.dumps(body), headers)
                response = conn.getresponse()
                payload = response.read()
                if response.status >= 300:
                    raise SystemExit(f"{path}: {response.status} {payload.decode()}")
                return json.loads(payload)

            def one(i: int) -> float:
                t0 = time.perf_counter()
                created = call("/proposals", {"council": council, "title": f"关于完善社区养老服务的提案({i})",
                               "reason": "<p>老龄化加快。</p>", "suggestions": "<p>一、增设社区食堂。</p>"})  # fmt: skip
                submitted = call(
                    f"/proposals/{created['id']}/actions/submit", {"expected_version": created["version"]}
                )
                assert submitted["state"] == "submitted"
                return time.perf_counter() - t0

            for i in range(5):  # warm up: imports, caches, the connection
                one(i)
            started = time.perf_counter()
            durations = [one(i) for i in range(5, 5 + args.n)]
            elapsed = time.perf_counter() - started
            conn.close()
        finally:
            stop(proc)
    rate = args.n / elapsed
    q = statistics.quantiles(durations, n=100)
    print(f"{args.n} proposals created and submitted in {elapsed:.2f} s: {rate:.1f} proposals/s "
          f"(create+submit p50 {q[49] * 1000:.1f} ms, p95 {q[94] * 1000:.1f} ms; target ≥ {args.target:g}/s)")  # fmt: skip
    return 0 if rate >= args.target else 1


if __name__ == "__main__":
    sys.exit(main())
