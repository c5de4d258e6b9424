"""Template helpers of the proposal screens: Chinese-style dates, days overdue, the Chinese names of timeline
events, rating and state labels."""

from __future__ import annotations

import functools
from datetime import date, datetime

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext_lazy, ngettext
from django.utils.translation import gettext as _

from .. import selectors
from .. import workflow as wf

register = template.Library()

EVENT_LABELS = {
    "create": gettext_lazy("起草提案"),
    "update": gettext_lazy("修改草稿"),
    "attachment_add": gettext_lazy("上传附件"),
    "attachment_remove": gettext_lazy("删除附件"),
    "cosign_invite": gettext_lazy("邀请联名"),
    "cosign_accept": gettext_lazy("接受联名"),
    "cosign_decline": gettext_lazy("谢绝联名"),
    "cosign_withdraw": gettext_lazy("取消联名邀请"),
    "submit": gettext_lazy("提交提案"),
    "withdraw": gettext_lazy("撤案"),
    "return_for_revision": gettext_lazy("退回修改"),
    "decline": gettext_lazy("不予立案"),
    "consent_conversion": gettext_lazy("答复是否同意转社情民意信息"),
    "convert_to_opinion": gettext_lazy("转为社情民意信息"),
    "merge": gettext_lazy("并入其他提案"),
    "merge_primary": gettext_lazy("并案(作为主提案)"),
    "file": gettext_lazy("立案"),
    "assign": gettext_lazy("交办"),
    "set_key": gettext_lazy("设置重点提案"),
    "request_adjustment": gettext_lazy("申请调整"),
    "decide_adjustment": gettext_lazy("审批调整申请"),
    "record_contact": gettext_lazy("记录沟通"),
    "give_co_opinion": gettext_lazy("提出协办意见"),
    "request_extension": gettext_lazy("申请延期"),
    "decide_extension": gettext_lazy("审批延期申请"),
    "draft_reply": gettext_lazy("拟写答复"),
    "submit_reply": gettext_lazy("提交答复"),
    "countersign": gettext_lazy("会签"),
    "supervise_review": gettext_lazy("督办审核"),
    "publish": gettext_lazy("答复提案人"),
    "evaluate": gettext_lazy("满意度评价"),
    "evaluation_unrated": gettext_lazy("逾期未评价"),
    "rehandle": gettext_lazy("重新办理"),
    "close": gettext_lazy("办结"),
    "reopen": gettext_lazy("重启办理"),
    "set_public": gettext_lazy("设置公开"),
    "mark_excellent": gettext_lazy("评为优秀提案"),
    "deadline_recomputed": gettext_lazy("按法定节假日重新计算期限"),
}


@register.filter
def cn_date(value) -> str:
    """2026年11月25日 (the format string is translated, so English shows its own order). The Chinese format is
    written directly: Django's formatter costs ≈30 µs a date, and a list shows two on each of its 50 rows."""
    if not value:
        return ""
    if isinstance(value, datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
    fmt = _("Y年n月j日")
    if fmt == "Y年n月j日":
        return f"{value.year:04d}年{value.month}月{value.day}日"
    return date_format(value, fmt)


@register.filter
def display(obj, name: str) -> str:
    """`obj.get_<name>_display()`, from labels translated once per field and language: Django's own rebuilds
    and re-hashes the field's lazily translated choices on every call (≈70 µs, on each of a list's rows)."""
    field = obj._meta.get_field(name)
    value = getattr(obj, field.attname)
    return _choice_labels(field, get_language()).get(value, value)


@functools.lru_cache(maxsize=256)
def _choice_labels(field, language: str | None) -> dict:
    return {key: str(label) for key, label in field.flatchoices}


@register.filter
def cn_datetime(value) -> str:
    """2026年11月25日 17:30, local time (written directly in Chinese, like `cn_date`)."""
    if not value:
        return ""
    value = timezone.localtime(value) if timezone.is_aware(value) else value
    fmt = _("Y年n月j日 H:i")
    if fmt == "Y年n月j日 H:i":
        return f"{value.year:04d}年{value.month}月{value.day}日 {value.hour:02d}:{value.minute:02d}"
    return date_format(value, fmt)


@register.filter
def days_overdue(deadline) -> int:
    """Whole days past `deadline` (0 when not past)."""
    if not deadline:
        return 0
    if isinstance(deadline, datetime):
        deadline = timezone.localtime(deadline).date()
    return max(0, (selectors._today() - deadline).days)


@register.filter
def is_past(deadline) -> bool:
    if not deadline:
        return False
    if isinstance(deadline, datetime):
        return deadline < timezone.now()
    return isinstance(deadline, date) and deadline < selectors._today()


@register.filter
def event_label(event) -> str:
    action = getattr(event, "action", str(event))
    name = action.split(".", 1)[1] if "." in action else action
    if name == "mark_excellent" and (getattr(event, "payload", None) or {}).get("is_excellent") is False:
        return str(gettext_lazy("撤销优秀提案"))
    return str(EVENT_LABELS.get(name, name))


@register.filter
def state_label(value) -> str:
    try:
        return str(wf.State(value).label)
    except ValueError:
        return value or ""


@register.filter
def rating_label(value) -> str:
    try:
        return str(wf.Rating(value).label)
    except ValueError:
        return value or ""


@register.filter
def disposition_label(value) -> str:
    try:
        return str(wf.Disposition(value).label)
    except ValueError:
        return value or ""


@register.filter
def has_action(actions, name) -> bool:
    return name in (actions or ())


# --- row badges ------------------------------------------------------------------------------------------
# Tags rather than included templates: a list renders them on each of its 50 rows, and an include costs a
# context push and a template render per row (≈1.3 ms a page of the staff list). `_state_badge.html`,
# `_deadline.html` and `assignment_deadline.html` call these, so the markup lives here only.

STATE_TONES = {"closed": " ok", "replied": " ok", "not_filed": " bad", "withdrawn": " bad", "draft": " warn",
               "submitted": " warn"}  # fmt: skip


@register.simple_tag
def state_badge(state) -> SafeString:
    """The proposal state as a coloured badge (the same few strings on every row: made once per language)."""
    return _state_badge(state, get_language())


@functools.lru_cache(maxsize=128)
def _state_badge(state, language: str | None) -> SafeString:
    return format_html(
        '<span class="badge state state-{}{}" data-state="{}">{}</span>',
        state, STATE_TONES.get(state, ""), state, state_label(state),
    )  # fmt: skip


def _overdue_badge(days: int, css: str) -> SafeString:
    text = ngettext("已超期 %(days)s 天", "已超期 %(days)s 天", days) % {"days": days}
    return format_html(' <span class="{}" data-testid="overdue">{}</span>', css, text)


def _provisional_title() -> str:
    return _("该年度法定节假日安排尚未公布,按工作日暂算")


@register.simple_tag
def deadline_badge(deadline, provisional=False, overdue=False) -> SafeString:
    """A deadline, Chinese style, with the 暂定 marker and, when the caller knows the work is still open and
    `overdue`, the days it is late."""
    if not deadline:
        return mark_safe('<span class="muted">—</span>')
    marker = (
        format_html('<abbr class="provisional" title="{}">{}</abbr>', _provisional_title(), _("(暂定)"))
        if provisional
        else ""
    )
    html = format_html('<span class="deadline nowrap">{}{}</span>', cn_date(deadline), marker)
    if overdue:
        html += _overdue_badge(days_overdue(deadline), "badge bad overdue")
    return html


@register.simple_tag
def assignment_deadline(deadline, provisional=False, days_over=0) -> SafeString:
    """A unit's deadline as the handling screens show it: the date, 暂定, and `days_over` days late."""
    if not deadline:
        return mark_safe('<span class="muted">—</span>')
    html = format_html('<span class="nowrap">{}</span>', cn_date(deadline))
    if provisional:
        html += format_html(
            ' <abbr class="badge warn" title="{}">{}</abbr>', _provisional_title(), _("(暂定)")
        )
    if days_over:
        html += _overdue_badge(days_over, "badge bad")
    return html


# --- table rows ------------------------------------------------------------------------------------------
# The staff list and the unit inbox show 50 rows a page. Their <tr>s are built here, in Python, as Django's
# admin builds its change list (`items_for_result`): the template loop cost ≈55 µs a row (each variable, filter
# and `{% url %}` a node to resolve), this ≈12. The markup is the templates' own, byte for byte.


def _url_for_pk(name: str):
    """`reverse(name, args=[pk])` for every row of a table at the cost of one reverse (≈20 µs each)."""
    marker = "2147483647"
    head, tail = reverse(name, args=[int(marker)]).split(marker, 1)
    return lambda pk: f"{head}{int(pk)}{tail}"


_PROPOSAL_ROW = (
    '<tr>\n    <td class="nowrap">{}</td>\n    <td class="title-cell"><a href="{}">{}</a>{}</td>\n    <td>{}</td>'
    "\n    <td>{}</td>\n    <td>{}</td>\n    <td>{}</td>\n    <td>{}</td>\n  </tr>"
)


@register.simple_tag
def proposal_rows(rows) -> SafeString:
    """The rows of the proposal list: (proposal, case label) pairs from `views.common.proposal_list`, each
    proposal with `is_overdue` and `next_deadline` (`selectors.mark_deadlines`)."""
    url = _url_for_pk("proposal_detail")
    key = format_html(' <span class="badge warn">{}</span>', _("重点"))
    html = [
        format_html(
            _PROPOSAL_ROW,
            label or "—",
            url(p.pk),
            p.title,
            key if p.is_key else "",
            p.submitter_label,
            display(p, "kind"),
            p.category or "—",
            state_badge(p.state),
            deadline_badge(p.next_deadline, False, p.is_overdue),
        )
        for p, label in rows
    ]
    return mark_safe("".join(html))  # each part escaped by format_html


_INBOX_ROW = (
    '\n    <tr>\n      <td class="nowrap">{}</td>\n      <td><a href="{}">{}</a>{}</td>\n      <td>{}{}</td>'
    '\n      <td>{}</td>\n      <td class="nowrap">{}</td>\n    </tr>\n  '
)


@register.simple_tag
def inbox_rows(rows) -> SafeString:
    """The rows of a unit's inbox: assignments from `selectors.unit_inbox_rows` with `case_label`, `due` and
    `days_over` set."""
    url = _url_for_pk("assignment_workspace")
    again = format_html(' <span class="badge warn">{}</span>', _("重新办理"))
    co_note = format_html('<br><small class="muted">{}</small>', _("协办意见期限"))
    html = []
    for a in rows:
        co = a.role == "co"
        provisional = a.opinion_deadline_provisional if co else a.deadline_provisional
        html.append(
            format_html(
                _INBOX_ROW,
                a.case_label,
                url(a.pk),
                a.proposal.title,
                again if a.round == 2 else "",
                display(a, "role"),
                co_note if co else "",
                assignment_deadline(a.due, provisional, a.days_over),
                cn_date(a.assigned_at),
            )
        )
    return mark_safe("".join(html))  # each part escaped by format_html


# What a timeline entry shows of its event's payload, in this order, when the event carries it.
_EVENT_DETAILS = ("case_label", "reason", "comments", "unit", "member", "name")


@register.simple_tag
def timeline_items(events) -> SafeString:
    """The <li>s of a proposal's timeline (`selectors.proposal_timeline`, newest first): when, what, the
    change of state, who, and the payload's details. Built here like the table rows: a proposal shows up to
    200 events, and the template loop cost ≈100 µs each (seven payload lookups that miss on most events)."""
    html = []
    for e in events:
        parts = [
            format_html('<span class="when muted nowrap">{}</span>', cn_datetime(e.occurred_at)),
            format_html('<strong class="what">{}</strong>', event_label(e)),
        ]
        if e.from_state and e.to_state and e.from_state != e.to_state:
            parts.append(
                format_html(
                    '<span class="muted">{} → {}</span>',
                    state_label(e.from_state) or "—",
                    state_label(e.to_state),
                )
            )
        parts.append(format_html('<span class="who">{}</span>', e.actor_label or e.actor or _("系统")))
        payload = e.payload if isinstance(e.payload, dict) else {}
        parts.extend(
            format_html('<span class="detail">{}</span>', payload[name])
            for name in _EVENT_DETAILS
            if payload.get(name)
        )
        if payload.get("primary_title"):
            parts.append(format_html('<span class="detail">《{}》</span>', payload["primary_title"]))
        html.append(format_html("<li>\n    {}\n  </li>", mark_safe("\n    ".join(parts))))  # parts escaped
    return mark_safe("\n".join(html))
