"""The row helpers the hot pages use instead of Django's slower built-ins must print exactly what those print:
choice labels (`display`), Chinese dates (`cn_date`) and state badges, in Chinese and in English."""

from __future__ import annotations

import datetime as dt

import pytest
from django.template import Context, Template
from django.utils import timezone, translation
from django.utils.formats import date_format

from yizheng.proposals.models import Assignment, CoSignature, Proposal
from yizheng.proposals.templatetags.proposal_ui import assignment_deadline, cn_date, display, state_badge
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
