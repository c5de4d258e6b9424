"""The demo council: a whole, plausible, deterministic data set to try every screen with.

示例省政协 ← 示例市政协 (the main one) ← 示例县政协 / 示例区政协. The city council has its 第六届 term (2022–2026)
with five plenaries, the standard sectors and committees, the democratic parties and 工商联, about 400 members
in twelve activity groups, about 55 handling units, and one account for every role (password ``Yizheng@2026``).

Everything is generated from a fixed seed, so every run gives the same people, numbers and units. Each step gets
its own random generator derived from the seed and the step's name, so adding a step never changes the data of
another. Names are drawn from a surname frequency list and given-name characters; identity numbers carry a valid
check digit but a region code (99…) that no real region has, so they can never be a real person's.

Rows with a service are written through it (the audit chain stays valid); rows that have no service, or whose
per-row service would be too slow, are bulk-created and summarised by one audit event per step.

Later features add their own demo data by registering a step in their app's ``demo`` module::

    from yizheng.org.demo import register_step

    @register_step("proposals")
    def _proposals(ctx): ...

``demo_load()`` imports the ``demo`` module of every installed app (in INSTALLED_APPS order, so a step can rely on
the steps of the apps below it) and runs the steps in registration order, all in one transaction.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules

from yizheng.audit.services import event_record
from yizheng.core.text import chinese_numeral

from .defaults import council_seed_defaults
from .models import (
    Committee,
    Council,
    Member,
    MemberGroup,
    Membership,
    Office,
    Organization,
    Plenary,
    Role,
    Sector,
    Term,
    Unit,
    User,
)
from .services import council_create, member_create, role_grant, unit_create, user_create
from .validators import id_number_check_digit

SEED = 20260106
PASSWORD = "Yizheng@2026"
TZ = ZoneInfo("Asia/Shanghai")

CITY = "示例市政协"
PROVINCE = "示例省政协"
COUNTY = "示例县政协"
DISTRICT = "示例区政协"

# username, role, scope (resolved by the accounts step), council
DEMO_ACCOUNTS: list[tuple[str, str, dict[str, str], str]] = [
    ("member", Role.MEMBER, {}, CITY),
    ("agent", Role.COLLECTIVE_AGENT, {"organization": "民盟示例市委员会"}, CITY),
    ("staff", Role.STAFF, {"office": "proposal"}, CITY),
    ("liaison", Role.UNIT_LIAISON, {"unit": "市教育局"}, CITY),
    ("reviewer", Role.UNIT_REVIEWER, {"unit": "市教育局"}, CITY),
    ("supervisor", Role.SUPERVISOR, {}, CITY),
    ("leader", Role.LEADER, {}, CITY),
    ("sysadmin", Role.SYSTEM_ADMIN, {}, CITY),
    ("secadmin", Role.SECURITY_ADMIN, {}, CITY),
    ("auditor", Role.AUDIT_ADMIN, {}, CITY),
    ("county_staff", Role.STAFF, {"office": "proposal"}, COUNTY),
]


def demo_logins() -> list[tuple[str, str, str, str]]:
    """(role label, scope, username, password) of every demo account, for the login table."""
    rows = []
    for username, role, scope, council in DEMO_ACCOUNTS:
        where = scope.get("organization") or scope.get("unit") or ""
        if "office" in scope:
            where = str(Office(scope["office"]).label)
        rows.append((str(Role(role).label), f"{council} {where}".strip(), username, PASSWORD))
    return rows


# --- the step registry ------------------------------------------------------------------------------------


@dataclass
class DemoContext:
    """What the steps share: the seed, the councils and what earlier steps made, and the timings."""

    seed: int
    councils: dict[str, Council] = field(default_factory=dict)
    terms: dict[str, Term] = field(default_factory=dict)
    plenaries: list[Plenary] = field(default_factory=list)  # the city's, oldest first
    sectors: dict[str, Sector] = field(default_factory=dict)  # the city's, by name
    committees: dict[str, Committee] = field(default_factory=dict)  # the city's, by kind
    organizations: dict[str, Organization] = field(default_factory=dict)  # by name
    units: dict[str, Unit] = field(default_factory=dict)  # by name, every council
    members: list[Member] = field(default_factory=list)  # the city's
    memberships: dict[int, Membership] = field(default_factory=dict)  # member id → city seat
    users: dict[str, User] = field(default_factory=dict)  # by username
    timings: list[tuple[str, float]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    rng: random.Random = field(default_factory=random.Random)

    @property
    def city(self) -> Council:
        return self.councils[CITY]

    @property
    def term(self) -> Term:
        return self.terms[CITY]

    def record_bulk(self, action: str, council: Council, **payload: Any) -> None:
        """One audit event summarising a bulk step (rows written without their per-row service)."""
        event_record(actor=None, action=f"demo.{action}", target=council, council=council, payload=payload)


StepFn = Callable[[DemoContext], None]
_steps: dict[str, StepFn] = {}


def register_step(name: str, fn: StepFn | None = None):
    """Add a step to the demo load (also usable as a decorator). Registering a name again replaces it."""

    def add(func: StepFn) -> StepFn:
        _steps[name] = func
        return func

    return add(fn) if fn is not None else add


def registered_steps() -> list[str]:
    autodiscover_modules("demo")
    return list(_steps)


def unregister_step(name: str) -> None:
    _steps.pop(name, None)


def database_is_empty() -> bool:
    return not Council.objects.exists() and not User.objects.exists()


def demo_load(*, seed: int = SEED, progress: Callable[[str], None] | None = None) -> DemoContext:
    """Load the demo data set into an empty database, every step in one transaction."""
    names = registered_steps()
    ctx = DemoContext(seed=seed)
    with transaction.atomic():
        for name in names:
            ctx.rng = random.Random(f"{seed}:{name}")
            started = time.perf_counter()
            _steps[name](ctx)
            elapsed = time.perf_counter() - started
            ctx.timings.append((name, elapsed))
            if progress:
                progress(f"{name}: {elapsed:.1f}s")
    return ctx


# --- people -----------------------------------------------------------------------------------------------

# Common surnames with their approximate share (per mille) in the population.
SURNAMES = (
    ("王", 71), ("李", 70), ("张", 67), ("刘", 54), ("陈", 45), ("杨", 31), ("黄", 22), ("赵", 21), ("吴", 20),
    ("周", 19), ("徐", 16), ("孙", 15), ("马", 14), ("朱", 13), ("胡", 13), ("郭", 12), ("何", 11), ("高", 11),
    ("林", 11), ("罗", 10), ("郑", 10), ("梁", 10), ("谢", 9), ("宋", 8), ("唐", 8), ("许", 7), ("韩", 7),
    ("冯", 7), ("邓", 7), ("曹", 7), ("彭", 7), ("曾", 6), ("肖", 6), ("田", 6), ("董", 6), ("袁", 5), ("潘", 5),
    ("于", 5), ("蒋", 5), ("蔡", 5), ("余", 5), ("杜", 5), ("叶", 4), ("程", 4), ("苏", 4), ("魏", 4), ("吕", 4),
    ("丁", 4), ("任", 4), ("沈", 4), ("姚", 4), ("卢", 4), ("姜", 3), ("崔", 3), ("钟", 3), ("谭", 3), ("陆", 3),
    ("汪", 3), ("范", 3), ("金", 3), ("石", 3), ("廖", 3), ("贾", 3), ("夏", 3), ("韦", 3), ("方", 3), ("白", 2),
    ("邹", 2), ("孟", 2), ("熊", 2), ("秦", 2), ("邱", 2), ("江", 2), ("尹", 2), ("薛", 2), ("段", 2), ("雷", 2),
    ("侯", 2), ("龙", 2), ("史", 2), ("陶", 2), ("黎", 2), ("贺", 2), ("顾", 2), ("毛", 2), ("郝", 2), ("龚", 2),
    ("邵", 2), ("万", 2), ("覃", 1), ("武", 1), ("戴", 1), ("孔", 1), ("向", 1), ("汤", 1), ("欧阳", 1), ("司马", 1),
)  # fmt: skip
SINGLE_MALE = "伟强军磊涛斌勇杰峰俊明辉刚健波超鹏华平毅松"
SINGLE_FEMALE = "芳娟敏静丽艳霞燕红玲婷雪琳慧颖洁萍琴倩莉"
GIVEN_MALE = (
    "伟强军磊涛斌勇杰峰俊明辉刚健波超鹏华平建国志文海东林宏晓宇晨浩博凯学德永成振胜远兴家嘉泽立新祥毅松柏天卫"
)
GIVEN_FEMALE = "芳娟敏静丽艳霞燕红玲婷雪琳慧颖洁萍瑶琴倩佳欣悦梅莉兰月晶璐蓉云珊薇娜雯英秀春晓桂凤丹媛"
ETHNIC_MINORITIES = ("回族", "土家族", "满族", "蒙古族", "苗族", "壮族", "侗族")
DISTRICTS = ("江城区", "东湖区", "南岸区", "西山区")
ROADS = (
    "解放大道",
    "中山路",
    "建设大道",
    "民主路",
    "和平大道",
    "友谊路",
    "文化路",
    "长江路",
    "人民路",
    "沿湖大道",
)
REGION_CODES = {PROVINCE: "990000", CITY: "990100", COUNTY: "990121", DISTRICT: "990102"}


class People:
    """Draws unique, plausible people (names, birth dates, ID numbers, phones) from one random generator."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.names: set[str] = set()
        self.ids: set[str] = set()
        self.phones: set[str] = set()
        self._surnames = [s for s, _ in SURNAMES]
        self._weights = [w for _, w in SURNAMES]

    def name(self, gender: str) -> str:
        male = gender == Member.Gender.MALE
        while True:
            surname = self.rng.choices(self._surnames, self._weights)[0]
            if self.rng.random() < 0.25:
                given = self.rng.choice(SINGLE_MALE if male else SINGLE_FEMALE)
            else:
                given = "".join(self.rng.choices(GIVEN_MALE if male else GIVEN_FEMALE, k=2))
            if len(given) == 1 or given[0] != given[1]:
                full = surname + given
                if full not in self.names:
                    self.names.add(full)
                    return full

    def birth_date(self, oldest: int = 1961, youngest: int = 1989) -> dt.date:
        start = dt.date(oldest, 1, 1).toordinal()
        return dt.date.fromordinal(self.rng.randint(start, dt.date(youngest, 12, 31).toordinal()))

    def id_number(self, region: str, birth: dt.date, gender: str) -> str:
        while True:
            seq = self.rng.randint(0, 499) * 2 + (1 if gender == Member.Gender.MALE else 0)
            first17 = f"{region}{birth:%Y%m%d}{seq:03d}"
            number = first17 + id_number_check_digit(first17)
            if number not in self.ids:
                self.ids.add(number)
                return number

    def phone(self) -> str:
        while True:
            number = self.rng.choice(("13", "15", "18", "17", "19")) + f"{self.rng.randint(0, 999999999):09d}"
            if number not in self.phones:
                self.phones.add(number)
                return number

    def address(self, city: str = "示例市") -> str:
        return f"{city}{self.rng.choice(DISTRICTS)}{self.rng.choice(ROADS)}{self.rng.randint(1, 399)}号"


# --- councils, terms, plenaries ---------------------------------------------------------------------------


@register_step("councils")
def _councils(ctx: DemoContext) -> None:
    tree = [
        (PROVINCE, "示例省", Council.Level.PROVINCIAL, None),
        (CITY, "示例市", Council.Level.MUNICIPAL, PROVINCE),
        (COUNTY, "示例县", Council.Level.COUNTY, CITY),
        (DISTRICT, "示例区", Council.Level.COUNTY, CITY),
    ]
    for name, short, level, parent in tree:
        council = council_create(
            actor=None,
            name=name,
            level=level,
            parent=ctx.councils.get(parent) if parent else None,
            short_name=short,
            region_code=REGION_CODES[name],
        )
        council_seed_defaults(council)
        ctx.councils[name] = council
        ctx.record_bulk(
            "seed_defaults",
            council,
            sectors=Sector.objects.filter(council=council).count(),
            committees=Committee.objects.filter(council=council).count(),
        )
    ctx.sectors = {s.name: s for s in Sector.objects.filter(council=ctx.city)}
    ctx.committees = {c.kind: c for c in Committee.objects.filter(council=ctx.city)}


def _at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=TZ)


# (year, opening day in January, closing day)
CITY_PLENARIES = ((2022, 6, 9), (2023, 5, 8), (2024, 8, 11), (2025, 7, 10), (2026, 6, 9))
PROVINCE_PLENARIES = ((2023, 12, 16), (2024, 11, 15), (2025, 13, 17), (2026, 12, 16))
COUNTY_PLENARIES = ((2022, 4, 6), (2023, 3, 5), (2024, 4, 6), (2025, 3, 5), (2026, 3, 5))


@register_step("terms")
def _terms(ctx: DemoContext) -> None:
    specs = [
        (PROVINCE, 13, dt.date(2023, 1, 1), dt.date(2027, 12, 31), PROVINCE_PLENARIES),
        (CITY, 6, dt.date(2022, 1, 1), dt.date(2026, 12, 31), CITY_PLENARIES),
        (COUNTY, 10, dt.date(2022, 1, 1), dt.date(2026, 12, 31), COUNTY_PLENARIES),
        (DISTRICT, 10, dt.date(2022, 1, 1), dt.date(2026, 12, 31), COUNTY_PLENARIES),
    ]
    plenaries = []
    for name, number, start, end, sessions in specs:
        council = ctx.councils[name]
        term = Term.objects.create(
            council=council, number=number, start_date=start, end_date=end, is_current=True
        )
        ctx.terms[name] = term
        for number_in_term, (year, opening, closing) in enumerate(sessions, start=1):
            opens = dt.date(year, 1, opening)
            plenaries.append(
                Plenary(
                    term=term,
                    number=number_in_term,
                    start_date=opens,
                    end_date=dt.date(year, 1, closing),
                    proposal_window_start=dt.date(year - 1, 12, 1),
                    proposal_deadline=_at(opens + dt.timedelta(days=2), 12),  # noon of the third day
                )
            )
    Plenary.objects.bulk_create(plenaries)
    for name, term in ctx.terms.items():
        council = ctx.councils[name]
        sessions = [str(p) for p in plenaries if p.term_id == term.pk]
        ctx.record_bulk("terms", council, term=str(term), plenaries=sessions)
    ctx.plenaries = sorted((p for p in plenaries if p.term_id == ctx.term.pk), key=lambda p: p.number)


# --- parties and people's organisations -------------------------------------------------------------------

# sector name, short name, organisation name, kind, member affiliation
PARTIES = (
    ("中国国民党革命委员会", "民革", "民革示例市委员会", Organization.Kind.PARTY, "民革党员"),
    ("中国民主同盟", "民盟", "民盟示例市委员会", Organization.Kind.PARTY, "民盟盟员"),
    ("中国民主建国会", "民建", "民建示例市委员会", Organization.Kind.PARTY, "民建会员"),
    ("中国民主促进会", "民进", "民进示例市委员会", Organization.Kind.PARTY, "民进会员"),
    ("中国农工民主党", "农工党", "农工党示例市委员会", Organization.Kind.PARTY, "农工党党员"),
    ("中国致公党", "致公党", "致公党示例市委员会", Organization.Kind.PARTY, "致公党党员"),
    ("九三学社", "九三学社", "九三学社示例市委员会", Organization.Kind.PARTY, "九三学社社员"),
    ("台湾民主自治同盟", "台盟", "台盟示例市委员会", Organization.Kind.PARTY, "台盟盟员"),
    ("中华全国工商业联合会", "工商联", "示例市工商业联合会", Organization.Kind.FEDERATION, ""),
)


@register_step("organizations")
def _organizations(ctx: DemoContext) -> None:
    rows = [
        Organization(council=ctx.city, name=org, kind=kind, sector=ctx.sectors.get(sector))
        for sector, _short, org, kind, _aff in PARTIES
    ]
    Organization.objects.bulk_create(rows)
    ctx.organizations = {o.name: o for o in Organization.objects.filter(council=ctx.city)}
    ctx.record_bulk("organizations", ctx.city, organizations=[o.name for o in rows])


# --- handling units ---------------------------------------------------------------------------------------

GOV = Unit.Kind.GOVERNMENT_DEPARTMENT
# name, short name, kind
CITY_UNITS = (
    ("市发展和改革委员会", "市发改委", GOV), ("市教育局", "", GOV), ("市科学技术局", "市科技局", GOV),
    ("市经济和信息化局", "市经信局", GOV), ("市公安局", "", GOV), ("市民政局", "", GOV), ("市司法局", "", GOV),
    ("市财政局", "", GOV), ("市人力资源和社会保障局", "市人社局", GOV), ("市自然资源和规划局", "市资规局", GOV),
    ("市生态环境局", "", GOV), ("市住房和城乡建设局", "市住建局", GOV), ("市交通运输局", "市交通局", GOV),
    ("市水利和湖泊局", "市水湖局", GOV), ("市农业农村局", "", GOV), ("市商务局", "", GOV),
    ("市文化和旅游局", "市文旅局", GOV), ("市卫生健康委员会", "市卫健委", GOV), ("市退役军人事务局", "", GOV),
    ("市应急管理局", "", GOV), ("市审计局", "", GOV), ("市人民政府国有资产监督管理委员会", "市国资委", GOV),
    ("市市场监督管理局", "市市场监管局", GOV), ("市统计局", "", GOV), ("市医疗保障局", "市医保局", GOV),
    ("市园林和林业局", "", GOV), ("市城市管理执法委员会", "市城管执法委", GOV), ("市体育局", "", GOV),
    ("市民族宗教事务委员会", "市民宗委", GOV), ("市信访局", "", GOV), ("市数据局", "", GOV),
    ("市人民政府外事办公室", "市外办", GOV), ("市机关事务管理局", "", GOV), ("市人民防空办公室", "市人防办", GOV),
    ("市地方金融管理局", "市金融局", GOV), ("市公安局交通管理局", "市交管局", GOV),
    ("市委宣传部", "", Unit.Kind.PARTY_ORGAN), ("市委统战部", "", Unit.Kind.PARTY_ORGAN),
    ("市委政法委员会", "市委政法委", Unit.Kind.PARTY_ORGAN),
    ("市中级人民法院", "市中院", Unit.Kind.COURT), ("市人民检察院", "市检察院", Unit.Kind.PROCURATORATE),
    ("示例县人民政府", "示例县政府", Unit.Kind.COUNTY_GOVERNMENT),
    ("示例区人民政府", "示例区政府", Unit.Kind.COUNTY_GOVERNMENT),
    ("示例经济技术开发区管理委员会", "示例经开区管委会", Unit.Kind.COUNTY_GOVERNMENT),
    ("国网示例供电公司", "", Unit.Kind.ENTERPRISE), ("示例水务集团", "", Unit.Kind.ENTERPRISE),
    ("示例燃气集团", "", Unit.Kind.ENTERPRISE), ("示例公交集团", "", Unit.Kind.ENTERPRISE),
    ("示例地铁集团", "", Unit.Kind.ENTERPRISE), ("中国电信示例分公司", "", Unit.Kind.ENTERPRISE),
    ("中国移动示例分公司", "", Unit.Kind.ENTERPRISE), ("示例城市建设投资集团", "示例城投集团", Unit.Kind.ENTERPRISE),
    ("市总工会", "", Unit.Kind.OTHER), ("共青团示例市委员会", "团市委", Unit.Kind.OTHER),
    ("市妇女联合会", "市妇联", Unit.Kind.OTHER), ("市残疾人联合会", "市残联", Unit.Kind.OTHER),
)  # fmt: skip
UNIT_PARENTS = {"市公安局交通管理局": "市公安局"}
COUNTY_UNITS = {
    COUNTY: ("县发展和改革局", "县教育局", "县卫生健康局", "县住房和城乡建设局", "县交通运输局", "县农业农村局",
             "县自然资源和规划局"),
    DISTRICT: ("区发展和改革局", "区教育局", "区卫生健康局", "区住房和城市更新局", "区城市管理执法局", "区民政局"),
}  # fmt: skip


@register_step("units")
def _units(ctx: DemoContext) -> None:
    people = People(ctx.rng)
    plan = [(ctx.city, name, short, kind, "示例市") for name, short, kind in CITY_UNITS]
    for council_name, names in COUNTY_UNITS.items():
        where = council_name.removesuffix("政协")
        plan += [(ctx.councils[council_name], f"{where[:-1]}{name}", "", GOV, where) for name in names]
    for order, (council, name, short, kind, place) in enumerate(plan, start=1):
        gender = ctx.rng.choice(Member.Gender.values)
        data = {
            "name": name,
            "short_name": short,
            "kind": kind,
            "parent": ctx.units.get(UNIT_PARENTS.get(name, "")),
            "contact_name": people.name(gender),
            "contact_phone": people.phone(),
            "contact_email": f"lianluo{order:03d}@example.org",
            "address": people.address(place),
            "order": order,
        }
        ctx.units[name] = unit_create(actor=None, council=council, data=data)


# --- members ----------------------------------------------------------------------------------------------

# Where members of a sector work, and as what. "{org}" is the sector's organisation (parties, 工商联).
SECTOR_WORK: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    "中国共产党": (
        ("{department}", ("{head}", "{deputy}")), ("{department}", ("{head}", "{deputy}")),
        ("{department}", ("{deputy}",)), ("中共示例市委统战部", ("部长",)),
        ("中共示例区委员会", ("书记", "副书记")), ("中共示例县委员会", ("书记", "副书记")),
        ("市人民政府办公室", ("副秘书长",)), ("示例城市建设投资集团", ("党委书记、董事长",)),
        ("中共示例市委党校", ("常务副校长", "教授")), ("示例大学", ("党委书记", "党委副书记")),
    ),
    "中国国民党革命委员会": (
        ("示例律师事务所", ("主任律师", "合伙人")), ("市中级人民法院", ("审判员",)),
        ("示例大学", ("教授",)), ("示例{brand}{industry}有限公司", ("董事长", "总经理")),
    ),
    "中国民主同盟": (
        ("示例大学", ("教授", "副校长", "文学院院长")), ("市第一中学", ("校长", "高级教师")),
        ("示例职业技术学院", ("副院长", "副教授")), ("市社会科学院", ("研究员",)),
    ),
    "中国民主建国会": (
        ("示例农村商业银行", ("副行长", "行长")), ("示例{brand}{industry}有限公司", ("董事长", "总经理")),
        ("示例会计师事务所", ("主任会计师",)), ("示例物流有限公司", ("总经理",)),
    ),
    "中国民主促进会": (
        ("市实验小学", ("校长", "高级教师")), ("示例日报社", ("副总编辑",)),
        ("市文化馆", ("馆长",)), ("示例出版社", ("编审",)),
    ),
    "中国农工民主党": (
        ("市人民医院", ("主任医师", "副院长")), ("市中医医院", ("院长", "主任医师")),
        ("市疾病预防控制中心", ("副主任",)), ("示例医药连锁有限公司", ("总经理",)),
    ),
    "中国致公党": (
        ("示例光电科技有限公司", ("董事长", "总工程师")), ("示例大学", ("教授",)),
        ("市人民政府外事办公室", ("副主任",)),
    ),
    "九三学社": (
        ("示例大学", ("教授", "研究员")), ("市科学技术研究院", ("院长", "研究员")),
        ("市农业科学院", ("研究员",)), ("市人民医院", ("主任医师",)),
    ),
    "台湾民主自治同盟": (("示例台商电子有限公司", ("总经理",)), ("示例大学", ("副教授",))),
    "无党派人士": (
        ("示例大学", ("教授",)), ("市人民医院", ("主任医师",)), ("示例律师事务所", ("律师",)),
        ("示例{brand}{industry}有限公司", ("董事长",)),
    ),
    "中国共产主义青年团": (("共青团示例市委员会", ("书记", "副书记")), ("示例大学团委", ("书记",))),
    "中华全国总工会": (
        ("市总工会", ("副主席",)), ("示例钢铁有限公司", ("工会主席", "高级技师")),
        ("示例公交集团", ("驾驶员、劳动模范",)),
    ),
    "中华全国妇女联合会": (
        ("市妇女联合会", ("主席", "副主席")), ("示例家政服务有限公司", ("总经理",)),
        ("市妇幼保健院", ("院长", "主任医师")),
    ),
    "中华全国青年联合会": (("市青年联合会", ("副主席",)), ("示例电子商务有限公司", ("总经理", "创始人"))),
    "中华全国工商业联合会": (
        ("示例{brand}{industry}有限公司", ("董事长", "总经理")),
        ("示例{brand}{industry}有限公司", ("董事长", "总经理", "副总经理")),
        ("示例{brand}{industry}有限公司", ("董事长",)), ("示例市工商业联合会", ("副主席",)),
    ),
    "中国科学技术协会": (
        ("市科学技术协会", ("副主席",)), ("示例大学", ("教授",)), ("市农业科学院", ("研究员",)),
    ),
    "中华全国台湾同胞联谊会": (("市台湾同胞联谊会", ("会长",)), ("示例台商电子有限公司", ("副总经理",))),
    "中华全国归国华侨联合会": (("市归国华侨联合会", ("主席", "副主席")), ("示例侨资纺织有限公司", ("董事长",))),
    "文化艺术界": (
        ("市歌舞剧院", ("院长", "国家一级演员")), ("市美术家协会", ("主席",)), ("市书法家协会", ("副主席",)),
        ("市博物馆", ("馆长", "研究馆员")),
    ),
    "科学技术界": (
        ("市科学技术研究院", ("研究员", "副院长")), ("示例光电科技有限公司", ("首席技术官", "高级工程师")),
        ("市产品质量监督检验所", ("所长", "高级工程师")),
    ),
    "社会科学界": (
        ("市社会科学院", ("院长", "研究员")), ("中共示例市委党校", ("教授",)), ("示例大学", ("教授",)),
    ),
    "经济界": (
        ("示例城市建设投资集团", ("总经理", "副总经理")), ("示例农村商业银行", ("行长",)),
        ("示例钢铁有限公司", ("董事长", "副总经理")), ("示例证券营业部", ("总经理",)),
        ("示例水务集团", ("总经理",)), ("示例{brand}{industry}有限公司", ("董事长", "总经理")),
    ),
    "农业界": (
        ("市农业科学院", ("院长", "研究员")), ("示例县绿源农业专业合作社", ("理事长",)),
        ("示例生态农业有限公司", ("总经理",)), ("市农业技术推广中心", ("主任", "高级农艺师")),
    ),
    "教育界": (
        ("示例大学", ("副校长", "教授")), ("示例职业技术学院", ("院长", "教授")),
        ("市第一中学", ("校长", "高级教师")), ("市实验小学", ("校长",)), ("市第三中学", ("副校长",)),
    ),
    "体育界": (("市体育运动学校", ("校长", "高级教练")), ("市体育中心", ("主任",))),
    "新闻出版界": (("示例日报社", ("社长", "总编辑", "高级记者")), ("市广播电视台", ("台长", "主任记者"))),
    "医药卫生界": (
        ("市人民医院", ("院长", "副院长", "主任医师")), ("市中心医院", ("副院长", "主任医师", "护理部主任")),
        ("市中医医院", ("院长", "主任医师")), ("市疾病预防控制中心", ("主任", "主任医师")),
        ("市妇幼保健院", ("院长",)),
    ),
    "对外友好界": (("市人民对外友好协会", ("副会长",)), ("示例国际旅行社", ("总经理",))),
    "社会福利和社会保障界": (
        ("市社会福利院", ("院长",)), ("市慈善总会", ("副会长",)), ("示例养老服务中心", ("主任",)),
    ),
    "少数民族界": (
        ("市民族中学", ("校长", "高级教师")), ("示例清真食品有限公司", ("总经理",)),
        ("市民族宗教事务委员会", ("副主任",)), ("示例民族医院", ("院长", "主任医师")),
    ),
    "宗教界": (
        ("市佛教协会", ("会长", "副会长")), ("市伊斯兰教协会", ("会长",)), ("市基督教两会", ("主席",)),
        ("市道教协会", ("会长",)), ("市天主教爱国会", ("主任",)),
    ),
    "环境资源界": (
        ("市生态环境监测站", ("站长", "高级工程师")), ("示例环保科技有限公司", ("总经理",)),
        ("市水文水资源勘测局", ("局长",)),
    ),
    "特邀香港人士": (("示例（香港）投资有限公司", ("董事长",)), ("香港示例商会", ("副会长",))),
}  # fmt: skip

SECTOR_SIZES = {
    "中国共产党": 62, "中国国民党革命委员会": 14, "中国民主同盟": 18, "中国民主建国会": 16, "中国民主促进会": 16,
    "中国农工民主党": 14, "中国致公党": 10, "九三学社": 14, "台湾民主自治同盟": 4, "无党派人士": 14,
    "中国共产主义青年团": 6, "中华全国总工会": 10, "中华全国妇女联合会": 10, "中华全国青年联合会": 6,
    "中华全国工商业联合会": 26, "中国科学技术协会": 8, "中华全国台湾同胞联谊会": 4, "中华全国归国华侨联合会": 6,
    "文化艺术界": 12, "科学技术界": 10, "社会科学界": 10, "经济界": 24, "农业界": 12, "教育界": 16, "体育界": 5,
    "新闻出版界": 7, "医药卫生界": 16, "对外友好界": 4, "社会福利和社会保障界": 7, "少数民族界": 6, "宗教界": 6,
    "环境资源界": 7, "特邀香港人士": 2,
}  # fmt: skip

# Which special committee a sector's members usually sit on.
SECTOR_COMMITTEE = {
    "中国共产党": Committee.Kind.ECONOMIC, "中华全国工商业联合会": Committee.Kind.ECONOMIC,
    "经济界": Committee.Kind.ECONOMIC, "农业界": Committee.Kind.AGRICULTURE,
    "环境资源界": Committee.Kind.ENVIRONMENT, "教育界": Committee.Kind.EDUCATION,
    "医药卫生界": Committee.Kind.EDUCATION, "体育界": Committee.Kind.EDUCATION,
    "科学技术界": Committee.Kind.EDUCATION, "中国科学技术协会": Committee.Kind.EDUCATION,
    "社会福利和社会保障界": Committee.Kind.SOCIAL, "中华全国总工会": Committee.Kind.SOCIAL,
    "中华全国妇女联合会": Committee.Kind.SOCIAL, "中国共产主义青年团": Committee.Kind.SOCIAL,
    "少数民族界": Committee.Kind.ETHNIC_RELIGIOUS, "宗教界": Committee.Kind.ETHNIC_RELIGIOUS,
    "对外友好界": Committee.Kind.OVERSEAS, "中华全国归国华侨联合会": Committee.Kind.OVERSEAS,
    "中华全国台湾同胞联谊会": Committee.Kind.OVERSEAS, "特邀香港人士": Committee.Kind.OVERSEAS,
    "台湾民主自治同盟": Committee.Kind.OVERSEAS, "中国致公党": Committee.Kind.OVERSEAS,
    "文化艺术界": Committee.Kind.CULTURE_HISTORY, "新闻出版界": Committee.Kind.CULTURE_HISTORY,
    "社会科学界": Committee.Kind.CULTURE_HISTORY, "中华全国青年联合会": Committee.Kind.LIAISON,
}  # fmt: skip
PARTY_AFFILIATION = {sector: aff for sector, _s, _o, kind, aff in PARTIES if aff}
PARTY_ORGANIZATION = {sector: org for sector, _s, org, _k, _a in PARTIES}
# (sector, party post or None) of the chair's council: chair, six vice-chairs, secretary-general
LEADERSHIP = (
    (Membership.Position.CHAIR, "中国共产党"),
    (Membership.Position.VICE_CHAIR, "中国共产党"),
    (Membership.Position.VICE_CHAIR, "中国民主同盟"),
    (Membership.Position.VICE_CHAIR, "中国民主建国会"),
    (Membership.Position.VICE_CHAIR, "九三学社"),
    (Membership.Position.VICE_CHAIR, "中华全国工商业联合会"),
    (Membership.Position.VICE_CHAIR, "无党派人士"),
    (Membership.Position.SECRETARY_GENERAL, "中国共产党"),
)
# Head posts: one holder per work unit (a unit has one 院长, but many 教授).
UNIQUE_TITLES = frozenset((
    "书记", "部长", "主任", "院长", "校长", "局长", "董事长", "总经理", "社长", "台长", "馆长", "会长", "主席",
    "理事长", "站长", "所长", "行长", "总编辑", "党委书记", "党委书记、董事长", "常务副校长", "主任律师",
    "主任会计师", "首席技术官", "总工程师", "创始人", "工会主席", "护理部主任", "文学院院长",
))  # fmt: skip
# Fictional enterprises: 示例 + a trade name + a trade.
BRANDS = ("恒达", "鑫源", "华茂", "长兴", "瑞丰", "永安", "汇通", "宏图", "金桥", "天成", "新联", "博远", "嘉禾",
          "润泽", "丰源", "卓越", "远航", "同心")  # fmt: skip
INDUSTRIES = ("食品", "置业", "物流", "汽车零部件", "医药", "建材", "纺织", "电子", "机械", "新能源", "农业发展",
              "环保科技", "商贸", "软件", "装饰工程")  # fmt: skip
DEPARTMENTS = tuple(
    name for name, _short, kind in CITY_UNITS if kind == GOV and not name.startswith("市公安局交")
)
STANDING_COUNT = 40
GROUP_COUNT = 12


def _affiliation(rng: random.Random, sector: str) -> str:
    if sector == "中国共产党":
        return "中共党员"
    if sector in PARTY_AFFILIATION:
        return PARTY_AFFILIATION[sector]
    if sector in ("无党派人士", "宗教界", "特邀香港人士"):
        return "无党派人士" if sector == "无党派人士" else "群众"
    return rng.choices(("中共党员", "群众", "无党派人士"), (6, 3, 1))[0]


def _education(rng: random.Random, title: str) -> str:
    if any(word in title for word in ("教授", "研究员", "医师", "院长", "工程师")):
        return rng.choices(("博士研究生", "硕士研究生", "大学本科"), (4, 4, 2))[0]
    return rng.choices(("硕士研究生", "大学本科", "大学专科"), (3, 6, 1))[0]


def _job(rng: random.Random, options, taken: set[tuple[str, str]]) -> tuple[str, str]:
    """A (work unit, title) from the options; a head post goes to one person only."""
    for _attempt in range(30):
        unit_pattern, titles = rng.choice(options)
        department = rng.choice(DEPARTMENTS)
        head = "局长" if department.endswith("局") else "主任"
        work_unit = unit_pattern.format(
            brand=rng.choice(BRANDS), industry=rng.choice(INDUSTRIES), department=department
        )
        title = rng.choice(titles).format(head=head, deputy=f"副{head}")
        if title not in UNIQUE_TITLES or (work_unit, title) not in taken:
            taken.add((work_unit, title))
            return work_unit, title
    shared = [(u, t) for u, titles in options for t in titles if t not in UNIQUE_TITLES and "{" not in u + t]
    return rng.choice(shared) if shared else (options[0][0], "工作人员")


def _person(ctx: DemoContext, people: People, region: str, *, oldest=1961, youngest=1989) -> dict[str, Any]:
    rng = ctx.rng
    gender = rng.choices(Member.Gender.values, (7, 3))[0]
    birth = people.birth_date(oldest, youngest)
    return {
        "name": people.name(gender),
        "gender": gender,
        "birth_date": birth,
        "id_number": people.id_number(region, birth, gender),
        "phone": people.phone(),
    }


@register_step("members")
def _members(ctx: DemoContext) -> None:
    rng = ctx.rng
    people = People(rng)
    term = ctx.term
    groups = MemberGroup.objects.bulk_create(
        MemberGroup(council=ctx.city, term=term, name=f"第{chinese_numeral(n)}活动组")
        for n in range(1, GROUP_COUNT + 1)
    )
    ctx.record_bulk("member_groups", ctx.city, term=str(term), groups=[g.name for g in groups])

    # Who sits where: leadership first, then every sector's quota, in a fixed order.
    seats: list[tuple[str, str]] = [(sector, position) for position, sector in LEADERSHIP]
    taken: dict[str, int] = {}
    for _position, sector in LEADERSHIP:
        taken[sector] = taken.get(sector, 0) + 1
    for sector, size in SECTOR_SIZES.items():
        seats += [(sector, Membership.Position.MEMBER)] * max(0, size - taken.get(sector, 0))
    party_posts_given: dict[str, int] = {}
    jobs_taken: set[tuple[str, str]] = set()
    proposal_committee = ctx.committees[Committee.Kind.PROPOSAL]
    region = REGION_CODES[CITY]

    ordinary = [i for i, (_s, p) in enumerate(seats) if p == Membership.Position.MEMBER]
    standing = set(range(len(LEADERSHIP))) | set(rng.sample(ordinary, STANDING_COUNT - len(LEADERSHIP)))
    for index, (sector_name, position) in enumerate(seats):
        person = _person(ctx, people, region)
        if position != Membership.Position.MEMBER:
            work_unit, title = "示例市政协", str(Membership.Position(position).label)
            if position == Membership.Position.CHAIR:
                title = "党组书记、主席"
        else:
            work_unit, title = _job(rng, SECTOR_WORK.get(sector_name, SECTOR_WORK["无党派人士"]), jobs_taken)
        org = PARTY_ORGANIZATION.get(sector_name)
        if org and sector_name != "中华全国工商业联合会":
            given = party_posts_given.get(org, 0)
            post = ("主委", "副主委", "副主委")[given] if given < 3 else ""
            if post:
                title = f"{title}，{org.removesuffix('委员会')}委{post}"
                party_posts_given[org] = given + 1
        elif org and position == Membership.Position.VICE_CHAIR:
            title = f"{title}，{org}主席"
        data = {
            **person,
            "ethnicity": rng.choice(ETHNIC_MINORITIES)
            if sector_name == "少数民族界" or rng.random() < 0.04
            else "汉族",
            "political_affiliation": _affiliation(rng, sector_name),
            "education": _education(rng, title),
            "work_unit": work_unit,
            "job_title": title,
            "email": f"weiyuan{index + 1:03d}@example.org" if rng.random() < 0.6 else "",
            "address": people.address(),
        }
        committees = [
            ctx.committees[SECTOR_COMMITTEE.get(sector_name, rng.choice(list(SECTOR_COMMITTEE.values())))]
        ]
        if rng.random() < 0.08:
            committees.append(proposal_committee)
        membership = {
            "sector": ctx.sectors[sector_name],
            "is_standing": index in standing,
            "position": position,
            "card_number": f"0601{index + 1:03d}",
            "joined_on": dt.date(2022, 1, 6),
        }
        member = member_create(
            actor=None,
            council=ctx.city,
            term=term,
            data=data,
            membership=membership,
            committees=committees,
            groups=[groups[index % GROUP_COUNT]],
        )
        ctx.members.append(member)
    seats_by_member = {m.member_id: m for m in Membership.objects.filter(term=term).select_related("sector")}
    ctx.memberships = seats_by_member

    # Each group is convened by its first standing member.
    convenors = []
    for n, group in enumerate(groups):
        for member in ctx.members[n::GROUP_COUNT]:
            if seats_by_member[member.pk].is_standing:
                group.convenor = member
                convenors.append(member.name)
                break
    MemberGroup.objects.bulk_update(groups, ["convenor"])
    ctx.record_bulk("member_group_convenors", ctx.city, convenors=convenors)
    ctx.counts["members"] = len(ctx.members)


COUNTY_WORK = (
    ("{p}人民医院", ("院长", "主任医师")), ("{p}第一中学", ("校长", "高级教师")),
    ("{p}农业农村局", ("副局长",)), ("{p}工商业联合会", ("副主席",)), ("{p}{brand}农业专业合作社", ("理事长",)),
    ("{p}实验小学", ("校长",)), ("{p}文化馆", ("馆长",)), ("{p}{brand}{industry}有限公司", ("董事长", "总经理")),
)  # fmt: skip
COUNTY_SECTORS = (
    "中国共产党",
    "中国民主同盟",
    "无党派人士",
    "经济界",
    "农业界",
    "教育界",
    "医药卫生界",
    "文化艺术界",
)
COUNTY_SIZE = 24


@register_step("county_members")
def _county_members(ctx: DemoContext) -> None:
    rng = ctx.rng
    people = People(rng)
    jobs_taken: set[tuple[str, str]] = set()
    for council_name, place in ((COUNTY, "示例县"), (DISTRICT, "示例区")):
        options = [(unit.replace("{p}", place), titles) for unit, titles in COUNTY_WORK]
        council, term = ctx.councils[council_name], ctx.terms[council_name]
        sectors = {s.name: s for s in Sector.objects.filter(council=council, name__in=COUNTY_SECTORS)}
        for index in range(COUNTY_SIZE):
            sector_name = COUNTY_SECTORS[index % len(COUNTY_SECTORS)]
            work_unit, title = _job(rng, options, jobs_taken)
            data = {
                **_person(ctx, people, REGION_CODES[council_name]),
                "political_affiliation": _affiliation(rng, sector_name),
                "work_unit": work_unit,
                "job_title": title,
                "address": people.address(place),
            }
            member_create(
                actor=None,
                council=council,
                term=term,
                data=data,
                membership={
                    "sector": sectors[sector_name],
                    "is_standing": index < 4,
                    "card_number": f"10{index + 1:03d}",
                    "joined_on": dt.date(2022, 1, 5),
                },
            )
    ctx.counts["county_members"] = 2 * COUNTY_SIZE


# --- accounts ---------------------------------------------------------------------------------------------


@register_step("accounts")
def _accounts(ctx: DemoContext) -> None:
    people = People(ctx.rng)
    people.names = {m.name for m in ctx.members}
    # The member account belongs to an ordinary member of 医药卫生界 who sits on 教科卫体委员会.
    member = next(
        m
        for m in ctx.members
        if ctx.memberships[m.pk].sector.name == "医药卫生界"
        and ctx.memberships[m.pk].position == Membership.Position.MEMBER
    )
    now = timezone.now()
    for username, role, scope_names, council_name in DEMO_ACCOUNTS:
        council = ctx.councils[council_name]
        full_name = member.name if role == Role.MEMBER else people.name(ctx.rng.choice(Member.Gender.values))
        user = user_create(
            actor=None,
            username=username,
            council=council,
            full_name=full_name,
            password=PASSWORD,
            password_changed_at=now,
        )
        scope: dict[str, Any] = {"office": scope_names.get("office", "")}
        if "unit" in scope_names:
            scope["unit"] = ctx.units[scope_names["unit"]]
        if "organization" in scope_names:
            scope["organization"] = ctx.organizations[scope_names["organization"]]
        role_grant(actor=None, user=user, council=council, role=role, **scope)
        ctx.users[username] = user
    user = ctx.users["member"]
    Member.objects.filter(pk=member.pk).update(user=user, updated_at=now)
    member.user = user
    event_record(
        actor=None,
        action="member.link_account",
        target=member,
        payload={"changes": {"user": [None, user.username]}},
    )
