"""A ten-year proposal data set on PostgreSQL, for the page benchmarks (bench/proposals_pages.py).

    .venv/bin/python bench/proposals_generate.py [--database yizheng_bench] [--proposals 100000]
        [--members 3000] [--units 500] [--server postgres://postgres@127.0.0.1:5432] [--keep]

(Re)creates the database, migrates it, and writes one municipal council (基准市政协) with two terms and ten annual
plenaries (2017–2026), 3,000 members, 500 handling units and, per year, a tenth of the proposals with their
co-signatures, assignments (lead, some co units), replies (A/B/C), evaluations and events — in bulk inserts,
year by year. Past years are closed (some declined, merged, withdrawn); the current year is in every state, with
overdue assignments. Events go through `event_record_many`, so `yizheng audit verify` passes on the result.

Accounts (password Bench@2026): `staff` (proposal office, sees the whole council), `liaison` (unit liaison of the
unit with the most assignments), `member`. Data are drawn from a fixed seed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TZ = ZoneInfo("Asia/Shanghai")
PASSWORD = "Bench@2026"
FIRST_YEAR = 2017
YEARS = 10
TITLES = (
    "关于加快推进{p}老旧小区加装电梯工作的提案", "关于加快{p}供水管网更新改造的提案", "关于加强{p}中小学生上下学交通安全管理的提案",
    "关于推动{p}新型电池产业集群发展的提案", "关于加强{p}农村公路养护管理的提案", "关于完善{p}社区居家养老服务体系的提案",
    "关于加强{p}垃圾焚烧发电厂环境监管的提案", "关于做好{p}高校毕业生就业工作的提案", "关于加强{p}饮用水水源地保护的提案",
    "关于破解{p}停车难问题的提案", "关于进一步优化{p}营商环境的提案", "关于提升{p}基层医疗卫生服务能力的提案",
    "关于推进{p}生活垃圾分类工作的提案", "关于加强{p}历史文化街区保护利用的提案", "关于优化{p}公交线网布局的提案",
)  # fmt: skip
PLACES = (
    "我市",
    "中心城区",
    "江城区",
    "东湖区",
    "南岸区",
    "西山区",
    "示例县",
    "经开区",
    "高新区",
    "滨江新区",
)
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
)
GIVEN = "伟强军磊涛斌勇杰峰俊明辉刚健波超鹏华平芳娟敏静丽艳霞燕红玲婷雪琳慧颖洁萍建国志文海东林宏晓宇晨浩博凯"


def parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--database", default="yizheng_bench")
    p.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    p.add_argument("--proposals", type=int, default=100_000)
    p.add_argument("--members", type=int, default=3000)
    p.add_argument("--units", type=int, default=500)
    p.add_argument("--seed", type=int, default=20260106)
    p.add_argument("--keep", action="store_true", help="keep an existing database (only print its figures)")
    return p.parse_args()


def recreate(server: str, name: str) -> None:
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def main() -> int:
    args = parse()
    url = f"{args.server}/{args.database}"
    if not args.keep:
        recreate(args.server, args.database)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    os.environ.setdefault("YIZHENG_DATA_DIR", str(Path("/tmp") / f"{args.database}-data"))
    import django

    django.setup()
    from django.core.management import call_command

    started = time.perf_counter()
    if not args.keep:
        call_command("migrate", verbosity=0)
        print(f"migrated in {time.perf_counter() - started:.1f}s", flush=True)
        Generator(args).run()
    report(time.perf_counter() - started)
    return 0


def report(elapsed: float) -> None:
    from django.db import connection

    from yizheng.audit.models import Event
    from yizheng.proposals.models import Assignment, Evaluation, Proposal, Reply

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        size = cursor.fetchone()[0]
    counts = {
        "proposals": Proposal.objects.count(),
        "assignments": Assignment.objects.count(),
        "replies": Reply.objects.count(),
        "evaluations": Evaluation.objects.count(),
        "events": Event.objects.count(),
    }
    print(" ".join(f"{k}={v}" for k, v in counts.items()), f"size={size}", f"elapsed={elapsed:.0f}s")


class Generator:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.rng = random.Random(args.seed)

    def run(self) -> None:
        from django.db import connection, transaction

        from yizheng.audit import services as audit_services

        # Historical rows notify nobody: subscribers (notifications, duty records) would answer ten-year-old
        # events with messages and ledger lines; the chain itself is written exactly as usual.
        audit_services._subscribers[:] = []
        t = time.perf_counter()
        with transaction.atomic():
            self.organisation()
        print(f"organisation in {time.perf_counter() - t:.1f}s", flush=True)
        per_year = self.args.proposals // YEARS
        for i, plenary in enumerate(self.plenaries):
            t = time.perf_counter()
            count = per_year + (self.args.proposals - per_year * YEARS if i == YEARS - 1 else 0)
            with transaction.atomic():
                n = self.year(plenary, count, current=i == YEARS - 1)
            print(f"{plenary.start_date.year}: {n} proposals in {time.perf_counter() - t:.1f}s", flush=True)
        from yizheng.proposals.models import Assignment
        from yizheng.proposals.services import assignments_refresh_awaiting

        with transaction.atomic():  # the rows were written in bulk, past the services that keep it
            assignments_refresh_awaiting(Assignment.objects.all())
        with connection.cursor() as cursor:
            # As autovacuum would soon after: statistics, and the visibility map for index-only scans.
            cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")

    # --- the council ----------------------------------------------------------------------------------

    def organisation(self) -> None:
        from yizheng.audit.services import event_record_many
        from yizheng.org.defaults import council_seed_defaults
        from yizheng.org.models import Council, Member, Membership, Plenary, Role, Sector, Term, Unit
        from yizheng.org.services import council_create, role_grant, user_create
        from yizheng.proposals.services import categories_ensure, proposal_settings_get

        rng = self.rng
        self.council = council = council_create(
            actor=None,
            name="基准市政协",
            level=Council.Level.MUNICIPAL,
            short_name="基准市",
            region_code="990100",
        )
        council_seed_defaults(council)
        proposal_settings_get(council)
        self.categories = categories_ensure(council)
        terms = [
            Term.objects.create(council=council, number=5, start_date=dt.date(2017, 1, 1),
                                end_date=dt.date(2021, 12, 31), is_current=False),
            Term.objects.create(council=council, number=6, start_date=dt.date(2022, 1, 1),
                                end_date=dt.date(2026, 12, 31), is_current=True),
        ]  # fmt: skip
        plenaries = []
        for i in range(YEARS):
            year = FIRST_YEAR + i
            opens = dt.date(year, 1, 8)
            plenaries.append(
                Plenary(
                    term=terms[i // 5], number=i % 5 + 1, start_date=opens, end_date=opens + dt.timedelta(days=4),
                    proposal_window_start=dt.date(year - 1, 12, 1),
                    proposal_deadline=dt.datetime.combine(opens + dt.timedelta(days=2), dt.time(12), tzinfo=TZ),
                )
            )  # fmt: skip
        self.plenaries = Plenary.objects.bulk_create(plenaries)
        sectors = list(Sector.objects.filter(council=council))
        members = Member.objects.bulk_create(
            Member(
                council=council,
                name=rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 2)))),
                gender=rng.choice(Member.Gender.values),
                work_unit="基准市某单位",
            )
            for _ in range(self.args.members)
        )
        Membership.objects.bulk_create(
            Membership(member=m, term=terms[1], sector=rng.choice(sectors), card_number=f"06{i:04d}")
            for i, m in enumerate(members)
        )
        self.members = members
        units = Unit.objects.bulk_create(
            Unit(
                council=council,
                name=f"基准市第{i + 1:03d}承办单位",
                kind=Unit.Kind.GOVERNMENT_DEPARTMENT,
                order=i,
            )
            for i in range(self.args.units)
        )
        self.units = units
        # Lead units by a Zipf-like weight: a few departments get most of the proposals, as in real councils.
        self.unit_weights = [1 / (rank + 1) ** 0.8 for rank in range(len(units))]
        now = dt.datetime.now(TZ)
        self.staff = user_create(actor=None, username="staff", council=council, full_name="提案委工作人员",
                                 password=PASSWORD, password_changed_at=now)  # fmt: skip
        role_grant(actor=None, user=self.staff, council=council, role=Role.STAFF, office="proposal")
        liaison = user_create(actor=None, username="liaison", council=council, full_name="承办单位联络员",
                              password=PASSWORD, password_changed_at=now)  # fmt: skip
        role_grant(actor=None, user=liaison, council=council, role=Role.UNIT_LIAISON, unit=units[0])
        self.member_user = user_create(actor=None, username="member", council=council, full_name=members[0].name,
                                       password=PASSWORD, password_changed_at=now)  # fmt: skip
        role_grant(actor=None, user=self.member_user, council=council, role=Role.MEMBER)
        Member.objects.filter(pk=members[0].pk).update(user=self.member_user)
        event_record_many(
            actor=None,
            council=council,
            events=[
                ("demo.bench_members", council, {"members": len(members)}),
                ("demo.bench_units", council, {"units": len(units)}),
            ],
        )

    # --- one year -------------------------------------------------------------------------------------

    def year(self, plenary, count: int, *, current: bool) -> int:
        from yizheng.audit.services import event_record_many
        from yizheng.proposals.models import (
            Assignment,
            CaseCounter,
            CoSignature,
            Evaluation,
            Proposal,
            Reply,
        )
        from yizheng.proposals.workflow import (
            AssignmentRole,
            EvaluationStatus,
            Kind,
            ReplyStatus,
            State,
            Window,
        )

        rng, year = self.rng, plenary.start_date.year
        today = dt.datetime.now(TZ).date()
        if current:
            states = (
                (State.SUBMITTED, 3), (State.FILED, 2), (State.HANDLING, 40), (State.REPLIED, 10),
                (State.CLOSED, 30), (State.NOT_FILED, 8), (State.MERGED, 3), (State.WITHDRAWN, 1), (State.DRAFT, 3),
            )  # fmt: skip
        else:
            states = ((State.CLOSED, 85), (State.NOT_FILED, 9), (State.MERGED, 4), (State.WITHDRAWN, 2))
        names, weights = zip(*states, strict=True)
        rows, plans = [], []
        numbers: dict[str, int] = {}
        for i in range(count):
            state = rng.choices(names, weights)[0]
            plenary_window = rng.random() < 0.75
            submitted = (
                dt.datetime.combine(plenary.proposal_window_start + dt.timedelta(days=rng.randint(0, 38)),
                                    dt.time(rng.randint(8, 11)), tzinfo=TZ)
                if plenary_window
                else dt.datetime.combine(dt.date(year, rng.randint(2, 11), rng.randint(1, 28)), dt.time(10), tzinfo=TZ)
            )  # fmt: skip
            if current and not plenary_window:
                submitted = min(
                    submitted, dt.datetime.combine(today - dt.timedelta(days=30), dt.time(10), tzinfo=TZ)
                )
            filed = state in (State.FILED, State.HANDLING, State.REPLIED, State.CLOSED)
            scope = f"plenary-{plenary.pk}" if plenary_window else f"interim-{year}"
            number = None
            if filed:
                numbers[scope] = number = numbers.get(scope, 0) + 1
            kind = rng.choices((Kind.INDIVIDUAL, Kind.JOINT), (70, 30))[0]
            lead = self.members[0] if i % 500 == 0 else rng.choice(self.members)
            filed_at = submitted + dt.timedelta(days=rng.randint(5, 20))
            replied_at = filed_at + dt.timedelta(days=rng.randint(40, 85))
            rows.append(
                Proposal(
                    council=self.council, plenary=plenary, year=year,
                    window=Window.PLENARY if plenary_window else Window.INTERIM, kind=kind, lead_member=lead,
                    drafted_by=self.member_user,
                    title=rng.choice(TITLES).format(p=rng.choice(PLACES)),
                    reason="<p>群众反映强烈,亟需解决。</p>", analysis="<p>情况分析略。</p>",
                    suggestions="<p>一是加强统筹;二是加大投入;三是完善机制。</p>",
                    # merged ones are written as submitted, then pointed at their primary (a constraint links both)
                    category=rng.choice(self.categories), state=State.SUBMITTED if state == State.MERGED else state,
                    case_number=number,
                    case_scope=scope if filed else "",
                    submitted_at=None if state == State.DRAFT else submitted,
                    filed_at=filed_at if filed else None,
                    replied_at=replied_at if state in (State.REPLIED, State.CLOSED) else None,
                    closed_at=replied_at + dt.timedelta(days=25) if state == State.CLOSED else None,
                    decline_reason="内容空泛、没有具体建议的" if state == State.NOT_FILED else "",
                    disposition="archive" if state == State.NOT_FILED else "",
                    is_key=filed and rng.random() < 0.01, is_public=state == State.CLOSED and rng.random() < 0.1,
                )
            )  # fmt: skip
            plans.append((state, filed_at, replied_at))
        # merged ones point at a filed proposal of the same year
        proposals = Proposal.objects.bulk_create(rows, batch_size=2000)
        primaries = [p for p in proposals if p.state in (State.CLOSED, State.HANDLING)]
        merged = [p for p, plan in zip(proposals, plans, strict=True) if plan[0] == State.MERGED]
        for p in merged:
            p.state, p.merged_into = State.MERGED, rng.choice(primaries)
        Proposal.objects.bulk_update(merged, ["state", "merged_into"], batch_size=2000)
        for scope, last in numbers.items():
            CaseCounter.objects.update_or_create(council=self.council, scope=scope, defaults={"last": last})

        cosignatures, assignments, events = [], [], []
        for p, (state, filed_at, _replied_at) in zip(proposals, plans, strict=True):
            if p.kind == Kind.JOINT:
                for m in rng.sample(self.members, 2):
                    if m.pk != p.lead_member_id:
                        cosignatures.append(
                            CoSignature(proposal=p, member=m, status="accepted", invited_by=self.member_user)
                        )
            if state == State.DRAFT:
                events.append(("proposal.create", p, {"title": p.title}))
                continue
            events.append(("proposal.create", p, {"title": p.title}))
            events.append(("proposal.submit", p, {"window": p.window}))
            if state in (State.NOT_FILED, State.MERGED, State.WITHDRAWN):
                action = {State.NOT_FILED: "decline", State.MERGED: "merge", State.WITHDRAWN: "withdraw"}[
                    state
                ]
                events.append((f"proposal.{action}", p, {"state": state}))
                continue
            events.append(("proposal.file", p, {"case_number": p.case_number, "case_scope": p.case_scope}))
            if state == State.FILED:
                continue
            assigned = filed_at + dt.timedelta(days=rng.randint(3, 12))
            if current and state == State.HANDLING:
                assigned = dt.datetime.combine(
                    today - dt.timedelta(days=rng.randint(1, 120)), dt.time(10), tzinfo=TZ
                )
            deadline = (assigned + dt.timedelta(days=91)).date()
            lead_unit = rng.choices(self.units, self.unit_weights)[0]
            assignments.append(self._assignment(p, lead_unit, AssignmentRole.LEAD, assigned, deadline))
            if rng.random() < 0.3:
                co = rng.choice(self.units)
                if co.pk != lead_unit.pk:
                    assignments.append(self._assignment(p, co, AssignmentRole.CO, assigned, deadline))
            events.append(("proposal.assign", p, {"unit": lead_unit.name, "deadline": deadline}))
            if state in (State.REPLIED, State.CLOSED):
                events.append(("proposal.publish", p, {"round": 1}))
            if state == State.CLOSED:
                events.append(("proposal.evaluate", p, {"work": "satisfied"}))
                events.append(("proposal.close", p, {}))
        CoSignature.objects.bulk_create(cosignatures, batch_size=5000)
        Assignment.objects.bulk_create(assignments, batch_size=5000)
        replies, evaluations = [], []
        states = {p.pk: s for p, (s, _f, _r) in zip(proposals, plans, strict=True)}
        replied = {p.pk: r for p, (s, _f, r) in zip(proposals, plans, strict=True)}
        for a in assignments:
            if a.role != AssignmentRole.LEAD or states[a.proposal_id] not in (State.REPLIED, State.CLOSED):
                continue
            replies.append(
                Reply(proposal_id=a.proposal_id, assignment=a, result=rng.choices("ABC", (45, 42, 13))[0],
                      body="<p>现答复如下……</p>", status=ReplyStatus.APPROVED, drafted_by=self.staff,
                      submitted_at=replied[a.proposal_id], published_at=replied[a.proposal_id],
                      reviewed_by=self.staff, reviewed_at=replied[a.proposal_id])
            )  # fmt: skip
        Reply.objects.bulk_create(replies, batch_size=5000)
        leads = {p.pk: p for p in proposals}
        for r in replies:
            p = leads[r.proposal_id]
            closed = states[p.pk] == State.CLOSED
            evaluations.append(
                Evaluation(
                    proposal=p, reply=r, source=p, member_id=p.lead_member_id,
                    status=EvaluationStatus.RATED if closed else EvaluationStatus.PENDING,
                    work_rating=rng.choices(("satisfied", "basically_satisfied"), (80, 20))[0] if closed else "",
                    result_rating=rng.choices(("satisfied", "basically_satisfied", "dissatisfied"), (62, 33, 5))[0]
                    if closed else "",
                    rated_at=r.published_at + dt.timedelta(days=7) if closed else None,
                    deadline=(r.published_at + dt.timedelta(days=21)).date(), consulted=True if closed else None,
                )
            )  # fmt: skip
        Evaluation.objects.bulk_create(evaluations, batch_size=5000)
        event_record_many(actor=None, council=self.council, events=events, batch_size=2000)
        return len(proposals)

    def _assignment(self, p, unit, role, assigned, deadline):
        from yizheng.proposals.models import Assignment

        return Assignment(
            proposal=p, unit=unit, role=role, assigned_at=assigned, assigned_by=self.staff, deadline=deadline,
            adjustment_deadline=(assigned + dt.timedelta(days=7)).date(),
            first_contact_deadline=(assigned + dt.timedelta(days=14)).date() if role == "lead" else None,
            opinion_deadline=(assigned + dt.timedelta(days=30)).date() if role == "co" else None,
        )  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
