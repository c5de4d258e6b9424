"""Reading a year's holiday notice (放假安排) written as text, and checking a year's days.

One line per holiday, its name first, then dates and what happens on them:

    春节 2027-02-05 至 2027-02-13 放假;2027-02-14(星期日)上班
    国庆节、中秋节:10月1日至8日放假调休,共8天。9月27日(周日)、10月10日(周六)上班。

Dates are written 2027-02-05, 2027/2/5, 2027年2月5日 or 2月5日 (the notice's year); the end of a range may give
the day only ("2月15日至23日"). A range is joined by 至, 到 or ~. 放假 (or 放假调休, 休息) marks the dates before
it as holidays, 上班 (or 补班) as make-up workdays; a weekday in brackets is checked against the date, and
"共N天" against the length of the holidays before it. Leading numbering ("一、") and anything else in brackets
(农历 dates) are ignored; lines starting with # are comments. Anything else is refused with the line it is on,
so the official notice can be pasted nearly as published.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

from .calendar import HOLIDAY, WEEKDAY_NAMES, WORKDAY
from .errors import ApplicationError

MAX_NOTICE_CHARS = 5000
MAX_NAME_CHARS = 40
_CN_WEEKDAYS = ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")
WEEKDAY_CHARS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}


@dataclass(frozen=True)
class NoticeDay:
    date: dt.date
    kind: str  # holiday | workday
    name: str


class NoticeInvalid(ApplicationError):
    """The notice cannot be entered; `errors["notice"]` lists every problem found."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(_("放假安排有误,未作任何保存。"), errors={"notice": problems})
        self.problems = problems


def show(day: dt.date) -> str:
    """2027-02-14(星期日), in the user's language."""
    return f"{day:%Y-%m-%d}({WEEKDAY_NAMES[day.weekday()]})"


def _show_cn(day: dt.date) -> str:
    """2027-02-14(星期日), always in Chinese: the notice format is read in Chinese."""
    return f"{day:%Y-%m-%d}({_CN_WEEKDAYS[day.weekday()]})"


# --- checking days ----------------------------------------------------------------------------------------


def day_problems(year: int, day: dt.date, kind: str, name: str) -> list[str]:
    """What is wrong with one entered day (nothing: an empty list)."""
    problems = []
    if day.year != year:
        problems.append(_("%(day)s 不在 %(year)s 年内") % {"day": show(day), "year": year})
    if kind not in (HOLIDAY, WORKDAY):
        problems.append(_("%(day)s 的类别无效,应为放假或上班") % {"day": show(day)})
    elif kind == WORKDAY and day.weekday() < 5:
        problems.append(_("%(day)s 是工作日,调休上班日应为星期六或星期日") % {"day": show(day)})
    if not name.strip():
        problems.append(_("%(day)s 缺少节日名称") % {"day": show(day)})
    elif len(name) > MAX_NAME_CHARS:
        problems.append(
            _("节日名称“%(name)s”过长(不超过 %(n)s 个字)") % {"name": name[:20], "n": MAX_NAME_CHARS}
        )
    return problems


def check_days(year: int, days) -> list[NoticeDay]:
    """Validate (date, kind, name) items for `year`; returns them sorted, or raises NoticeInvalid."""
    problems: list[str] = []
    seen: dict[dt.date, NoticeDay] = {}
    for item in days:
        try:
            day, kind, name = item
        except (TypeError, ValueError):
            problems.append(_("每一项应为(日期, 类别, 名称)"))
            continue
        if not isinstance(day, dt.date) or isinstance(day, dt.datetime):
            problems.append(_("“%(value)s”不是日期") % {"value": str(day)[:20]})
            continue
        name = str(name or "").strip()
        problems.extend(day_problems(year, day, kind, name))
        if day in seen:
            problems.append(_("%(day)s 重复出现") % {"day": show(day)})
        seen[day] = NoticeDay(day, kind, name)
    if not problems and not any(d.kind == HOLIDAY for d in seen.values()):
        problems.append(_("没有任何放假日期:请录入该年度的放假安排"))
    if problems:
        raise NoticeInvalid(problems)
    return sorted(seen.values(), key=lambda d: d.date)


# --- reading the text -------------------------------------------------------------------------------------

_NUMBERING = re.compile(
    r"^\s*(?:[一二三四五六七八九十]+\s*[、.．]|\d{1,2}\s*[、.．)）]|[（(][一二三四五六七八九十\d]+[）)])\s*"
)
_TOKENS = re.compile(
    r"""
    (?P<paren>[（(][^（()）]*[)）])
    |(?P<full>(?P<fy>\d{4})\s*(?:[-/.．]|年)\s*(?P<fm>\d{1,2})\s*(?:[-/.．]|月)\s*(?P<fd>\d{1,2})(?:\s*日|(?!\d)))
    |(?P<md>(?P<mm>\d{1,2})\s*月\s*(?P<mday>\d{1,2})\s*[日号])
    |(?P<dayonly>(?P<dd>\d{1,2})\s*[日号])
    |(?P<to>至|到|~|～|—{1,2}|–)
    |(?P<off>放假调休|放假|休假|休息)
    |(?P<work>调休上班|补班|上班)
    |(?P<wday>(?:星期|周|礼拜)[一二三四五六日天])
    |(?P<count>共\s*(?P<n>\d+)\s*天)
    |(?P<sep>[\s,，、;；。:：]+)
    |(?P<other>.)
    """,
    re.VERBOSE,
)
_FIRST_DATE = re.compile(r"\d{4}\s*(?:[-/.．]|年)\s*\d{1,2}|\d{1,2}\s*月\s*\d{1,2}\s*[日号]|\d{1,2}\s*[日号]")
_WEEKDAY_NOTE = re.compile(r"(?:星期|周|礼拜)([一二三四五六日天])")


def _date(problems: list[str], where: str, y: int, m: int, d: int, text: str) -> dt.date | None:
    try:
        return dt.date(y, m, d)
    except ValueError:
        problems.append(where + _("“%(text)s”不是有效日期") % {"text": text.strip()})
        return None


def _read_line(lineno: int, line: str, year: int, problems: list[str]) -> list[tuple[dt.date, str, str]]:
    where = _("第%(n)s行:") % {"n": lineno}
    body = _NUMBERING.sub("", line, count=1)
    first_date = _FIRST_DATE.search(body)
    if first_date is None:
        problems.append(where + _("没有日期。每行写一个节日,例如“春节 2027-02-05 至 2027-02-13 放假”"))
        return []
    name = body[: first_date.start()].strip(" \t:：,，、;；")
    name = re.sub(r"[（(][^（()）]*[)）]$", "", name).strip()
    if not name:
        problems.append(where + _("行首缺少节日名称,例如“春节 2027-02-05 至 2027-02-13 放假”"))
    elif len(name) > MAX_NAME_CHARS:
        problems.append(where + _("节日名称过长(不超过 %(n)s 个字)") % {"n": MAX_NAME_CHARS})

    out: list[tuple[dt.date, str, str]] = []
    pending: list[list[dt.date]] = []  # single dates [d] and ranges [start, end]
    last_date: dt.date | None = None
    range_open = False
    last_group: list[dt.date] | None = None  # the holidays just marked, for 共N天
    unknown = ""
    invalid_date = False  # a date was refused already: do not also complain that it is missing

    def flush_unknown() -> None:
        nonlocal unknown
        if unknown.strip():
            problems.append(where + _("无法识别“%(text)s”") % {"text": unknown.strip()[:30]})
        unknown = ""

    def add_date(day: dt.date) -> None:
        nonlocal range_open, last_date
        if range_open:
            start = pending[-1][0]
            if day < start:
                problems.append(
                    where
                    + _("日期范围 %(a)s 至 %(b)s 的结束日期早于开始日期") % {"a": show(start), "b": show(day)}
                )
            pending[-1] = [start, day]
            range_open = False
        else:
            pending.append([day])
        last_date = day

    def mark(kind: str, word: str) -> None:
        nonlocal last_group, range_open, invalid_date
        if range_open:
            problems.append(where + _("日期范围缺少结束日期"))
            range_open = False
        if not pending:
            if not invalid_date:
                problems.append(where + _("“%(word)s”前面没有日期") % {"word": word})
            last_group, invalid_date = None, False
            return
        invalid_date = False
        group: list[dt.date] = []
        for item in pending:
            day, end = item[0], item[-1]
            while day <= end:
                group.append(day)
                day += dt.timedelta(days=1)
        out.extend((d, kind, name) for d in group)
        last_group = group if kind == HOLIDAY else None
        pending.clear()

    for match in _TOKENS.finditer(body, first_date.start()):
        kind = match.lastgroup
        if kind == "other":
            unknown += match.group()
            continue
        if kind != "sep":
            flush_unknown()
        if kind in ("paren", "wday"):
            note = _WEEKDAY_NOTE.search(match.group())
            if note and last_date is not None and WEEKDAY_CHARS[note.group(1)] != last_date.weekday():
                problems.append(
                    where
                    + _("%(day)s 是%(actual)s,不是“%(note)s”")
                    % {
                        "day": f"{last_date:%Y-%m-%d}",
                        "actual": WEEKDAY_NAMES[last_date.weekday()],
                        "note": note.group(),
                    }
                )
        elif kind == "full":
            day = _date(problems, where, int(match["fy"]), int(match["fm"]), int(match["fd"]), match.group())
            if day is not None:
                add_date(day)
            else:
                invalid_date = True
                range_open = False
        elif kind == "md":
            day = _date(problems, where, year, int(match["mm"]), int(match["mday"]), match.group())
            if day is not None:
                add_date(day)
            else:
                invalid_date = True
                range_open = False
        elif kind == "dayonly":
            if not range_open:
                problems.append(
                    where + _("“%(text)s”缺少年月,请写完整日期") % {"text": match.group().strip()}
                )
                continue
            start = pending[-1][0]
            day = _date(problems, where, start.year, start.month, int(match["dd"]), match.group())
            if day is not None:
                add_date(day)
            else:
                invalid_date = True
                range_open = False
        elif kind == "to":
            if range_open or not pending or len(pending[-1]) != 1:
                problems.append(where + _("“%(word)s”前面应是开始日期") % {"word": match.group()})
            else:
                range_open = True
        elif kind == "off":
            mark(HOLIDAY, match.group())
        elif kind == "work":
            mark(WORKDAY, match.group())
        elif kind == "count":
            stated = int(match["n"])
            if last_group is None:
                problems.append(where + _("“%(text)s”前面没有放假日期") % {"text": match.group()})
            elif stated != len(last_group):
                problems.append(
                    where
                    + _("写明“共%(n)s天”,但所列放假日期共 %(m)s 天") % {"n": stated, "m": len(last_group)}
                )
    flush_unknown()
    if range_open:
        problems.append(where + _("日期范围缺少结束日期"))
    if pending:
        problems.append(
            where
            + _("%(day)s 后面缺少“放假”或“上班”")
            % {"day": ", ".join(f"{item[0]:%Y-%m-%d}" for item in pending)}
        )
    if not out and not pending and not problems:
        problems.append(where + _("没有写明放假或上班日期"))

    for day, day_kind, _name in out:
        for problem in day_problems(year, day, day_kind, name or "-"):
            problems.append(where + problem)
    return out


def parse_notice(text: str, year: int) -> list[NoticeDay]:
    """The holidays and make-up workdays of `year` written in `text`, sorted by date; NoticeInvalid lists every
    problem (with its line) when anything is wrong, and then nothing may be saved."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise NoticeInvalid([_("请填写放假安排:每行一个节日,写明放假日期和调休上班日期。")])
    if len(text) > MAX_NOTICE_CHARS:
        raise NoticeInvalid([_("放假安排过长(不超过 %(n)s 个字符)") % {"n": MAX_NOTICE_CHARS}])
    problems: list[str] = []
    entries: list[tuple[dt.date, str, str]] = []
    first_line: dict[dt.date, tuple[int, str]] = {}
    for lineno, line in enumerate(text.split("\n"), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        for day, kind, name in _read_line(lineno, line, year, problems):
            if day in first_line:
                earlier, earlier_kind = first_line[day]
                if earlier_kind != kind:
                    message = _("第%(n)s行:%(day)s 既列为放假又列为上班")
                elif earlier == lineno:
                    message = _("第%(n)s行:%(day)s 重复列出")
                else:
                    message = _("第%(n)s行:%(day)s 已在第%(m)s行列出")
                problems.append(message % {"n": lineno, "day": show(day), "m": earlier})
                continue
            first_line[day] = (lineno, kind)
            entries.append((day, kind, name))
    if problems:
        raise NoticeInvalid(problems)
    return check_days(year, entries)


def notice_year(text: str) -> int | None:
    """The year a notice's full dates (2027-02-05, 2027年2月5日) belong to, when they name exactly one."""
    years = {int(m["fy"]) for m in _TOKENS.finditer(text or "") if m.lastgroup == "full"}
    return years.pop() if len(years) == 1 else None


@dataclass(frozen=True)
class HolidayGroup:
    """One holiday of a year as a notice states it: its name, the holiday ranges and the make-up workdays."""

    name: str
    ranges: list[tuple[dt.date, dt.date]]
    holiday_count: int
    workdays: list[dt.date]


def group_days(days) -> list[HolidayGroup]:
    """Days (date, kind, name) grouped by holiday name in date order, holidays as consecutive ranges."""
    by_name: dict[str, dict[str, list[dt.date]]] = {}
    for day, kind, name in sorted(days, key=lambda x: x[0]):
        by_name.setdefault(name, {HOLIDAY: [], WORKDAY: []})[kind].append(day)
    groups = []
    for name, kinds in by_name.items():
        ranges: list[list[dt.date]] = []
        for day in kinds[HOLIDAY]:
            if ranges and day - ranges[-1][1] == dt.timedelta(days=1):
                ranges[-1][1] = day
            else:
                ranges.append([day, day])
        groups.append(
            HolidayGroup(name, [(a, b) for a, b in ranges], len(kinds[HOLIDAY]), list(kinds[WORKDAY]))
        )
    # In the order of the holidays themselves (国庆节's make-up day in September must not put it first).
    return sorted(groups, key=lambda g: g.ranges[0][0] if g.ranges else g.workdays[0])


def format_notice(days) -> str:
    """Days (date, kind, name) written back in the format `parse_notice` reads: one line per holiday name."""
    lines = []
    for group in group_days(days):
        parts = []
        if group.ranges:
            text = "、".join(
                f"{a:%Y-%m-%d}" if a == b else f"{a:%Y-%m-%d} 至 {b:%Y-%m-%d}" for a, b in group.ranges
            )
            parts.append(f"{text} 放假")
        if group.workdays:
            parts.append("、".join(_show_cn(d) for d in group.workdays) + " 上班")
        lines.append(f"{group.name} " + ";".join(parts))
    return "\n".join(lines)
