"""p50/p95 of the proposal list, detail and unit-inbox pages under concurrent clients, on PostgreSQL.

    .venv/bin/python bench/proposals_generate.py            # once: the ten-year data set in yizheng_bench
    .venv/bin/python bench/proposals_pages.py [--workers 4] [--threads 4] [--clients 50] [--requests 3000]
        [--max-seconds 300] [--database yizheng_bench] [--redis redis://127.0.0.1:6379/5]

Starts `yizheng serve --workers N --no-worker` (gunicorn, gthread) on a free loopback port against the data set
(sessions and cache in Redis, as in the scaled set-up), signs in as `staff` (proposal office: the whole council)
and `liaison` (the unit with the most assignments), warms every page kind up, then runs `--clients` threads, each
with its own keep-alive connection, until `--requests` responses or `--max-seconds`. The requests mix:

- list: /proposals/ filtered by a random year, and state or category, at a random page of the first 20 (staff);
- detail: /proposals/<id>/ of a random received proposal (staff);
- inbox: /proposals/handling/inbox/ (liaison).

With `--think-ms` each client pauses a random (exponential) time between its requests, like a person reading;
without it the clients fire back to back, which measures the server saturated.

Prints the count, errors, p50, p95, max and the mean transferred size per kind. The load generator runs on the
same machine as the server and the database, so it competes with them for the CPU: the figures are pessimistic.
"""

from __future__ import annotations

import argparse
import http.client
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from yizheng.core.tests.processes import Browser, child_env, free_port, start, stop, wait_http, yizheng  # noqa: E402

PASSWORD = "Bench@2026"
STATES = ("closed", "handling", "replied", "not_filed", "merged")


def parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--database", default="yizheng_bench")
    p.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    p.add_argument("--redis", default="redis://127.0.0.1:6379/5")
    p.add_argument("--workers", type=int, default=4)
    p.add_argument("--threads", type=int, default=4)
    p.add_argument("--clients", type=int, default=50)
    p.add_argument("--requests", type=int, default=3000)
    p.add_argument("--max-seconds", type=float, default=300)
    p.add_argument("--kinds", default="list,detail,inbox")
    p.add_argument(
        "--think-ms", type=float, default=0, help="mean pause of a client between requests (0: back to back)"
    )
    p.add_argument("--close", action="store_true", help="a new connection for every request (no keep-alive)")
    p.add_argument("--seed", type=int, default=7)
    return p.parse_args()


def sample_ids(server: str, database: str, n: int, seed: int) -> tuple[list[int], list[int]]:
    import psycopg

    with psycopg.connect(f"{server}/{database}") as conn:
        ids = [r[0] for r in conn.execute("SELECT id FROM proposals_proposal WHERE submitted_at IS NOT NULL")]
        categories = [r[0] for r in conn.execute("SELECT id FROM proposals_category")]
    rng = random.Random(seed)
    return rng.sample(ids, min(n, len(ids))), categories


def cookie_header(browser: Browser) -> str:
    return "; ".join(f"{c.name}={c.value}" for c in browser.cookies)


class Load:
    def __init__(
        self, args, port: int, cookies: dict[str, str], ids: list[int], categories: list[int]
    ) -> None:
        self.args, self.port, self.cookies, self.ids, self.categories = args, port, cookies, ids, categories
        self.kinds = args.kinds.split(",")
        self.lock = threading.Lock()
        self.results: dict[str, list[float]] = {k: [] for k in self.kinds}
        self.sizes: dict[str, list[int]] = {k: [] for k in self.kinds}
        self.errors: dict[str, int] = {k: 0 for k in self.kinds}
        self.issued = 0
        self.deadline = 0.0

    def url(self, kind: str, rng: random.Random) -> tuple[str, str]:
        if kind == "list":
            year = rng.randint(2017, 2026)
            narrow = (
                f"state={rng.choice(STATES)}"
                if rng.random() < 0.6
                else f"category={rng.choice(self.categories)}"
            )
            return "staff", f"/proposals/?year={year}&{narrow}&page={rng.randint(1, 20)}"
        if kind == "detail":
            return "staff", f"/proposals/{rng.choice(self.ids)}/"
        return "liaison", "/proposals/handling/inbox/"

    def take(self) -> bool:
        with self.lock:
            if self.issued >= self.args.requests or time.monotonic() > self.deadline:
                return False
            self.issued += 1
            return True

    def client(self, n: int) -> None:
        rng = random.Random(self.args.seed * 1000 + n)
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        while self.take():
            kind = rng.choice(self.kinds)
            who, path = self.url(kind, rng)
            headers = {"Cookie": self.cookies[who], "Accept-Encoding": "gzip"}
            if self.args.close:
                headers["Connection"] = "close"
            # the server closes a connection idle longer than its keep-alive: reconnect and ask again
            for _attempt in (1, 2):
                started = time.perf_counter()
                try:
                    conn.request("GET", path, headers=headers)
                    response = conn.getresponse()
                    body = response.read()
                    status = response.status
                    if self.args.close:
                        conn.close()
                    break
                except (OSError, http.client.HTTPException):
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                    status, body = 0, b""
            elapsed = time.perf_counter() - started
            if self.args.think_ms:
                time.sleep(rng.expovariate(1000 / self.args.think_ms))
            with self.lock:
                if status == 200:
                    self.results[kind].append(elapsed)
                    self.sizes[kind].append(len(body))
                else:
                    self.errors[kind] += 1
        conn.close()

    def run(self) -> float:
        self.deadline = time.monotonic() + self.args.max_seconds
        threads = [threading.Thread(target=self.client, args=(n,)) for n in range(self.args.clients)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return time.perf_counter() - started


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> int:
    args = parse()
    ids, categories = sample_ids(args.server, args.database, 2000, args.seed)
    with tempfile.TemporaryDirectory(prefix="yizheng-bench-") as scratch:
        data = Path(scratch)
        port = free_port()
        log = data / "serve.log"
        env = child_env(
            data / "data",
            DATABASE_URL=f"{args.server}/{args.database}",
            REDIS_URL=args.redis,
        )
        command = yizheng(
            "serve",
            "--port",
            str(port),
            "--workers",
            str(args.workers),
            "--threads",
            str(args.threads),
            "--no-worker",
        )
        proc = start(command, env, log)
        base = f"http://127.0.0.1:{port}"
        try:
            wait_http(f"{base}/login/", proc, log, timeout=180)
            cookies = {}
            for username in ("staff", "liaison"):
                browser = Browser()
                status, _headers = browser.login(base, username, PASSWORD)
                assert status == 302, f"login {username}: {status}"
                cookies[username] = cookie_header(browser)
            load = Load(args, port, cookies, ids, categories)
            # warm-up: every worker process and page kind, not counted
            warm = Load(args, port, cookies, ids, categories)
            warm.args = argparse.Namespace(
                **{**vars(args), "requests": 20 * args.workers, "clients": args.workers}
            )
            warm.run()
            if any(warm.errors.values()):
                print("warm-up errors:", warm.errors, "\n", log.read_text()[-3000:])
            elapsed = load.run()
        finally:
            stop(proc)
    total = sum(len(v) for v in load.results.values())
    print(
        f"{total} responses in {elapsed:.1f}s = {total / elapsed:.0f}/s; {args.clients} clients; "
        f"{args.workers} workers x {args.threads} threads; think {args.think_ms:.0f} ms"
    )
    print(f"{'page':8} {'n':>6} {'errors':>6} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'KB':>6}")
    for kind in load.kinds:
        values = load.results[kind]
        if not values:
            print(f"{kind:8} {0:>6} {load.errors[kind]:>6}")
            continue
        print(
            f"{kind:8} {len(values):>6} {load.errors[kind]:>6} {percentile(values, 0.5) * 1000:>8.1f} "
            f"{percentile(values, 0.95) * 1000:>8.1f} {max(values) * 1000:>8.1f} "
            f"{statistics.mean(load.sizes[kind]) / 1024:>6.1f}"
        )
    return 1 if any(load.errors.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
