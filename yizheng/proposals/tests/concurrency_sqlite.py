"""Parallel filing against a real SQLite database file, configured exactly as the embedded mode is (WAL,
IMMEDIATE transactions, busy timeout). Run by test_concurrency.py in a subprocess: the test database of the
pytest run is an in-memory shared-cache database, whose table locks fail at once instead of queueing, so it
cannot say how the embedded mode behaves.

    DATABASE_URL=sqlite:////tmp/x.sqlite3 python -m yizheng.proposals.tests.concurrency_sqlite 20
Prints one JSON line: {"numbers": [...], "errors": [...], "double": {...}}.
"""

from __future__ import annotations

import json
import os
import sys
import threading


def main(n: int) -> dict:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from yizheng.org.models import Office, Role
    from yizheng.org.tests.factories import CouncilFactory, MemberFactory, RoleAssignmentFactory, UserFactory
    from yizheng.proposals import services
    from yizheng.proposals.models import Proposal

    council = CouncilFactory(name="并发测试市政协")
    staff = UserFactory(council=council)
    RoleAssignmentFactory(user=staff, council=council, role=Role.STAFF, office=Office.PROPOSAL)
    author = UserFactory(council=council)
    RoleAssignmentFactory(user=author, council=council, role=Role.MEMBER, office="")
    MemberFactory(council=council, user=author)
    category = services.categories_ensure(council)[0]

    def submitted(title: str) -> Proposal:
        p = services.proposal_create(actor=author, council=council, title=title, suggestions="<p>建议</p>",
                                     category=category)  # fmt: skip
        return services.proposal_submit(actor=author, proposal=p)

    def parallel(fn, items) -> list[str]:
        barrier = threading.Barrier(len(items))
        errors: list[str] = []

        def work(item):
            try:
                barrier.wait(timeout=30)
                fn(item)
            except Exception as exc:
                errors.append(f"{type(exc).__name__}: {exc}")
            finally:
                connection.close()

        threads = [threading.Thread(target=work, args=(item,)) for item in items]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        return errors

    proposals = [submitted(f"关于第{i}件事的提案") for i in range(n)]
    connection.close()
    errors = parallel(lambda p: services.proposal_file(actor=staff, proposal=p), proposals)
    numbers = sorted(
        Proposal.objects.filter(pk__in=[p.pk for p in proposals]).values_list("case_number", flat=True)
    )

    twice = submitted("关于重复点击的提案")
    connection.close()
    double_errors = parallel(lambda _: services.proposal_file(actor=staff, proposal=twice), [1, 2])
    twice.refresh_from_db()
    return {
        "vendor": connection.vendor,
        "journal": connection.cursor().execute("PRAGMA journal_mode").fetchone()[0],
        "numbers": numbers,
        "errors": errors,
        "double": {"number": twice.case_number, "errors": double_errors},
    }


if __name__ == "__main__":
    sys.stdout.write(
        json.dumps(main(int(sys.argv[1]) if len(sys.argv) > 1 else 20), ensure_ascii=False) + "\n"
    )
