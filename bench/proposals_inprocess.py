"""The proposal list, detail and unit-inbox pages one request at a time, in-process, on the bench data set.

    .venv/bin/python bench/proposals_generate.py            # once: the ten-year data set in yizheng_bench
    .venv/bin/python bench/proposals_inprocess.py [--repeat 100] [--kinds list,detail,inbox]
        [--profile list] [--database yizheng_bench] [--redis redis://127.0.0.1:6379/5]

Runs the production settings (DEBUG off, cached templates, Redis cache when --redis is given) against the
data set through Django's test client, signed in as `staff` and `liaison` like bench/proposals_pages.py, and
prints per page the p50 / p95 of the time the request took, the queries it made and the size of the page. No
HTTP, no server, no other client: what one page costs the web process, without queueing.

The list is a full page of 50 closed proposals of one year (the costly case), the detail a seeded sample of
received proposals, the inbox that of the unit with the most assignments. `--profile KIND` prints the
functions that took the most cumulative time over the repeats of that page (cProfile).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--database", default="yizheng_bench")
    p.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    p.add_argument("--redis", default="redis://127.0.0.1:6379/5", help="empty: no Redis")
    p.add_argument("--repeat", type=int, default=100)
    p.add_argument("--kinds", default="list,detail,inbox")
    p.add_argument("--profile", default="", help="a page kind to profile")
    p.add_argument("--queries", action="store_true", help="print the SQL of each page's last request")
    p.add_argument("--sort", default="cumulative", help="profile order: cumulative, tottime, …")
    p.add_argument("--callers", default="", help="with --profile: who called the functions matching this")
    p.add_argument("--seed", type=int, default=7)
    return p.parse_args()


def setup(args: argparse.Namespace) -> None:
    os.environ["DATABASE_URL"] = f"{args.server}/{args.database}"
    os.environ["REDIS_URL"] = args.redis
    os.environ.setdefault("YIZHENG_DATA_DIR", tempfile.mkdtemp(prefix="yizheng-bench-"))
    os.environ["ALLOWED_HOSTS"] = "testserver"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("collectstatic", interactive=False, verbosity=0)  # as `yizheng serve` does


def paths(kind: str, n: int, seed: int) -> list[str]:
    from yizheng.proposals.models import Proposal

    rng = random.Random(seed)
    if kind == "list":
        return ["/proposals/?year=2019&state=closed&page=3"] * n
    if kind == "detail":
        ids = list(Proposal.objects.filter(submitted_at__isnull=False).values_list("id", flat=True))
        return [f"/proposals/{i}/" for i in rng.sample(ids, min(n, len(ids)))]
    return ["/proposals/handling/inbox/"] * n


def main() -> int:
    args = parse()
    setup(args)
    from django.contrib.auth import get_user_model
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    users = get_user_model().objects
    clients = {}
    for username in ("staff", "liaison"):
        client = Client()
        client.force_login(users.get(username=username))
        clients[username] = client
    print(f"{'page':8} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8} {'KB':>6}")
    for kind in args.kinds.split(","):
        client = clients["liaison" if kind == "inbox" else "staff"]
        urls = paths(kind, args.repeat, args.seed)
        for url in urls[:5]:  # warm up: templates, caches, connections
            assert client.get(url).status_code == 200, url
        times, queries, sizes = [], [], []
        profiler = cProfile.Profile() if kind == args.profile else None
        for url in urls:
            reset_queries()
            with CaptureQueriesContext(connection) as captured:
                if profiler:
                    profiler.enable()
                started = time.perf_counter()
                response = client.get(url)
                times.append(time.perf_counter() - started)
                if profiler:
                    profiler.disable()
            assert response.status_code == 200, (url, response.status_code)
            queries.append(len(captured))
            sizes.append(len(response.content))
        ordered = sorted(times)
        print(
            f"{kind:8} {len(times):>5} {statistics.median(times) * 1000:>8.1f} "
            f"{ordered[round(0.95 * (len(ordered) - 1))] * 1000:>8.1f} "
            f"{statistics.median(queries):>8.0f} {statistics.mean(sizes) / 1024:>6.1f}"
        )
        if args.queries:
            for q in captured.captured_queries:
                print(f"  {q['time']:>6} s  {q['sql'][:300]}")
        if profiler:
            stats = pstats.Stats(profiler).sort_stats(args.sort)
            stats.print_stats(45)
            if args.callers:
                stats.print_callers(args.callers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
