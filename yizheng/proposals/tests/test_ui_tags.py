"""The row helpers the hot pages use instead of Django's slower built-ins must print exactly what those print:
choice labels (`display`), Chinese dates (`cn_date`) and state badges, in Chinese and in English."""

from __future__ import annotations

import datetime as dt

import pytest
from django.template import Context, Template
from django.utils import timezone, translation
from django.utils.formats import date_format

from yizheng.proposals.models import Assignment, CoSignature, Proposal
from yizheng.proposals.templatetags.proposal_ui import (
    assignment_deadline,
    cn_date,
    cn_datetime,
    display,
    state_badge,
)
from yizheng.proposals.workflow import AssignmentRole, Kind, State


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_display_prints_the_choice_label_of_the_active_language(language):
    with translation.override(language):
        for role in AssignmentRole:
            a = Assignment(role=role)
            assert display(a, "role") == a.get_role_display()
        for kind in Kind:
            p = Proposal(kind=kind)
            assert display(p, "kind") == p.get_kind_display()
        c = CoSignature(status=CoSignature.Status.ACCEPTED)
        assert display(c, "status") == c.get_status_display()
        assert display(Assignment(role="gone"), "role") == "gone"  # an unknown value shows as it is
    with translation.override("en"):
        assert display(Assignment(role=AssignmentRole.LEAD), "role") != "主办"
    with translation.override("zh-hans"):
        assert display(Assignment(role=AssignmentRole.LEAD), "role") == "主办"


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_cn_date_prints_what_the_translated_format_prints(language):
    day = dt.date(2027, 2, 8)
    moment = dt.datetime(2026, 11, 25, 17, 30, tzinfo=dt.UTC)  # 2026-11-26 01:30 in Beijing
    with translation.override(language):
        fmt = translation.gettext("Y年n月j日")
        assert cn_date(day) == date_format(day, fmt)
        assert cn_date(moment) == date_format(timezone.localtime(moment), fmt)
        assert cn_date(None) == ""
    with translation.override("zh-hans"):
        assert cn_date(day) == "2027年2月8日"
        assert cn_date(moment) == "2026年11月26日"
    with translation.override("en"):
        assert "年" not in cn_date(day)
        assert cn_date(day) in assignment_deadline(
            day, provisional=False, days_over=2
        )  # the handling screens
    with translation.override("zh-hans"):
        html = assignment_deadline(day, provisional=True, days_over=2)
        assert "2027年2月8日" in html
        assert "(暂定)" in html
        assert "已超期 2 天" in html


def test_state_badge_follows_the_language_and_escapes_nothing_twice():
    with translation.override("zh-hans"):
        zh = state_badge(State.HANDLING)
    with translation.override("en"):
        en = state_badge(State.HANDLING)
    assert zh != en
    assert 'data-state="handling"' in zh
    assert 'data-state="handling"' in en
    html = Template("{% load proposal_ui %}{% state_badge s %}").render(Context({"s": State.CLOSED}))
    assert html.count("<span") == 1
    assert "&lt;" not in html


# The template loops that `proposal_rows` and `inbox_rows` replaced, kept here as the reference they must match.
LIST_LOOP = """{% load i18n proposal_ui %}{% for p, label in rows %}<tr>
    <td class="nowrap">{{ label|default:"—" }}</td>
    <td class="title-cell"><a href="{% url 'proposal_detail' p.pk %}">{{ p.title }}</a>{% if p.is_key %} <span class="badge warn">{% translate "重点" %}</span>{% endif %}</td>
    <td>{{ p.submitter_label }}</td>
    <td>{{ p|display:"kind" }}</td>
    <td>{{ p.category|default:"—" }}</td>
    <td>{% state_badge p.state %}</td>
    <td>{% deadline_badge p.next_deadline False p.is_overdue %}</td>
  </tr>{% endfor %}"""

INBOX_LOOP = """{% load i18n proposal_ui %}{% for a in rows %}
    <tr>
      <td class="nowrap">{{ a.case_label }}</td>
      <td><a href="{% url 'assignment_workspace' a.pk %}">{{ a.proposal.title }}</a>{% if a.round == 2 %} <span class="badge warn">{% translate "重新办理" %}</span>{% endif %}</td>
      <td>{{ a|display:"role" }}{% if a.role == "co" %}<br><small class="muted">{% translate "协办意见期限" %}</small>{% endif %}</td>
      <td>{% if a.role == "co" %}{% assignment_deadline a.due a.opinion_deadline_provisional a.days_over %}{% else %}{% assignment_deadline a.due a.deadline_provisional a.days_over %}{% endif %}</td>
      <td class="nowrap">{{ a.assigned_at|cn_date }}</td>
    </tr>
  {% endfor %}"""

TRICKY_TITLE = '关于<script>alert("x")</script> & “老旧小区”改造的提案'


def _list_rows():
    from yizheng.org.models import Member, Organization
    from yizheng.proposals.models import Category

    rows = []
    for n, (kind, is_key, state, deadline, overdue, label, category) in enumerate(
        [
            (Kind.INDIVIDUAL, False, State.CLOSED, None, False, "第0001号", Category(name="经济建设")),
            (Kind.JOINT, True, State.HANDLING, dt.date(2027, 2, 8), False, "第0002号", None),
            (Kind.COLLECTIVE, True, State.HANDLING, dt.date(2026, 3, 2), True, "", Category(name="A&B <类>")),
            (Kind.INDIVIDUAL, False, State.SUBMITTED, None, False, "", None),
        ],
        start=1,
    ):
        p = Proposal(
            pk=n * 97, kind=kind, is_key=is_key, state=state, title=TRICKY_TITLE if n == 3 else f"提案{n}"
        )
        p.lead_member = Member(name="委员<甲>")
        p.organization = Organization(name="民建市委会 & 工商联") if kind == Kind.COLLECTIVE else None
        p.category = category
        p.next_deadline, p.is_overdue = deadline, overdue
        rows.append((p, label))
    return rows


def _inbox_rows():
    rows = []
    cases = [
        (AssignmentRole.LEAD, 1, dt.date(2027, 2, 8), False, True, 0),
        (AssignmentRole.CO, 1, dt.date(2026, 12, 1), True, False, 0),
        (AssignmentRole.CO, 2, dt.date(2026, 10, 1), False, False, 56),
        (AssignmentRole.SEPARATE, 2, None, False, False, 0),
        (AssignmentRole.LEAD, 1, dt.date(2026, 11, 2), False, False, 24),
    ]
    for n, (role, round_, due, opinion_provisional, provisional, days_over) in enumerate(cases, start=1):
        a = Assignment(pk=n * 31, role=role, round=round_)
        a.proposal = Proposal(title=TRICKY_TITLE if n == 2 else f"提案{n}")
        a.opinion_deadline_provisional, a.deadline_provisional = opinion_provisional, provisional
        a.due, a.days_over, a.case_label = due, days_over, f"第{n:04d}号" if n != 4 else ""
        a.assigned_at = dt.datetime(2026, 11, 25, 17, 30, tzinfo=dt.UTC)
        rows.append(a)
    return rows


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_table_rows_print_what_the_template_loops_printed(language):
    with translation.override(language):
        rows = _list_rows()
        html = Template("{% load proposal_ui %}{% proposal_rows rows %}").render(Context({"rows": rows}))
        assert html == Template(LIST_LOOP).render(Context({"rows": rows}))
        assert html.count("<tr>") == 4
        assert "<script>" not in html
        assert "&lt;script&gt;" in html
        assert 'href="/proposals/291/"' in html

        rows = _inbox_rows()
        html = Template("{% load proposal_ui %}{% inbox_rows rows %}").render(Context({"rows": rows}))
        assert html == Template(INBOX_LOOP).render(Context({"rows": rows}))
        assert html.count("<tr>") == 5
        assert "<script>" not in html
        assert html.count('class="provisional"') + html.count("title=") >= 2  # both 暂定 markers shown


def test_table_rows_of_an_empty_page_are_empty():
    assert (
        Template("{% load proposal_ui %}{% proposal_rows rows %}{% inbox_rows rows %}").render(
            Context({"rows": []})
        )
        == ""
    )


TIMELINE_LOOP = """{% load i18n proposal_ui %}{% for e in timeline %}
  <li>
    <span class="when muted nowrap">{{ e.occurred_at|cn_datetime }}</span>
    <strong class="what">{{ e|event_label }}</strong>
    {% if e.from_state and e.to_state and e.from_state != e.to_state %}<span class="muted">{{ e.from_state|state_label|default:"—" }} → {{ e.to_state|state_label }}</span>{% endif %}
    <span class="who">{{ e.actor_label|default:e.actor|default:_("系统") }}</span>
    {% with p=e.payload %}
    {% if p.case_label %}<span class="detail">{{ p.case_label }}</span>{% endif %}
    {% if p.reason %}<span class="detail">{{ p.reason }}</span>{% endif %}
    {% if p.comments %}<span class="detail">{{ p.comments }}</span>{% endif %}
    {% if p.unit %}<span class="detail">{{ p.unit }}</span>{% endif %}
    {% if p.member %}<span class="detail">{{ p.member }}</span>{% endif %}
    {% if p.name %}<span class="detail">{{ p.name }}</span>{% endif %}
    {% if p.primary_title %}<span class="detail">《{{ p.primary_title }}》</span>{% endif %}
    {% endwith %}
  </li>
{% endfor %}"""


def _squeeze(html: str) -> str:
    return " ".join(html.split())


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_timeline_items_print_what_the_template_loop_printed(language):
    from yizheng.audit.models import Event
    from yizheng.org.models import User

    at = dt.datetime(2026, 11, 25, 17, 5, tzinfo=dt.UTC)
    events = [
        Event(occurred_at=at, action="proposals.submit", actor_label="委员甲", from_state="draft", to_state="submitted"),
        Event(occurred_at=at, action="proposals.file", actor_label="提案委", from_state="submitted",
              to_state="filed", payload={"case_label": "第0007号", "unit": "市发展改革委"}),
        Event(occurred_at=at, action="proposals.decline", actor_label="", from_state="submitted", to_state="not_filed",
              payload={"reason": TRICKY_TITLE, "comments": "", "member": "委员丙", "name": "甲 & 乙", "unit": 0}),
        Event(occurred_at=at, action="proposals.merge", actor_label="", actor=User(username="zhang"),
              from_state="submitted", to_state="merged", payload={"primary_title": "关于<某>的提案"}),
        Event(occurred_at=at, action="proposals.mark_excellent", actor_label="x", payload={"is_excellent": False}),
        Event(occurred_at=at, action="proposals.record_contact", actor_label="y", from_state="handling",
              to_state="handling", payload=["not", "a", "dict"]),
        Event(occurred_at=at, action="proposals.something_new", actor_label="z", from_state="gone", to_state="closed"),
    ]  # fmt: skip
    with translation.override(language):
        html = Template("{% load proposal_ui %}{% timeline_items timeline %}").render(
            Context({"timeline": events})
        )
        assert _squeeze(html) == _squeeze(Template(TIMELINE_LOOP).render(Context({"timeline": events})))
        assert html.count("<li>") == len(events)
        assert "<script>" not in html
        assert "<某>" not in html
        if language == "zh-hans":
            assert "2026年11月26日 01:05" in html
            assert "系统" in html  # no actor at all
            assert "zhang" in html  # the account when the event kept no label


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_cn_datetime_prints_what_the_translated_format_prints(language):
    moment = dt.datetime(2026, 1, 5, 16, 3, tzinfo=dt.UTC)
    with translation.override(language):
        assert cn_datetime(moment) == date_format(
            timezone.localtime(moment), translation.gettext("Y年n月j日 H:i")
        )
    with translation.override("zh-hans"):
        assert cn_datetime(moment) == "2026年1月6日 00:03"
        assert cn_datetime(None) == ""
