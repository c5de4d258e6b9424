"""Screens the browser test of the whole loop used to cover alone: the unit inbox's countersign section, the
supervisor's direct link to a reply under review, the unit's own history (which lists its assignment) and the
rehandling workspace that says 重新办理 once."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from yizheng.proposals import services as s

from .conftest import approved_reply, assignment, drafted_reply, evaluation_of, handling, refresh

pytestmark = pytest.mark.django_db


def page(client, user, url) -> str:
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def submitted_reply(world):
    p = handling(world)  # lead 市教育局, co 市财政局
    reply = s.proposal_submit_reply(actor=world.lead_liaison, reply=drafted_reply(world, p))
    return refresh(p), reply


def test_inbox_lists_the_lead_reply_waiting_for_the_co_units_countersignature(client, world):
    p, reply = submitted_reply(world)
    co = assignment(p, world.co_unit)
    link = reverse("assignment_workspace", args=[co.pk]) + "#countersign"
    html = page(client, world.co_liaison, reverse("unit_inbox"))
    assert 'data-testid="countersign-queue"' in html
    assert link in html
    assert "1 件答复待会签" in html
    assert "市教育局" in html.split('data-testid="countersign-queue"')[1].split("</table>")[0]
    for user in (world.lead_liaison, world.stranger_liaison):
        assert 'data-testid="countersign-queue"' not in page(client, user, reverse("unit_inbox"))
    # the link leads to the countersign form
    assert reverse("countersign", args=[reply.countersignatures.get().pk]) in page(
        client, world.co_liaison, link
    )
    s.proposal_countersign(actor=world.co_liaison, countersignature=reply.countersignatures.get(), sign=True)
    assert 'data-testid="countersign-queue"' not in page(client, world.co_liaison, reverse("unit_inbox"))


def test_supervisor_opens_the_reply_under_review_from_the_detail_page(client, world):
    p, reply = submitted_reply(world)
    detail = reverse("proposal_detail", args=[p.pk])
    review = reverse("reply_review", args=[reply.pk])
    assert review not in page(client, world.supervisor, detail)  # still countersigning
    s.proposal_countersign(actor=world.co_liaison, countersignature=reply.countersignatures.get(), sign=True)
    html = page(client, world.supervisor, detail)
    assert 'data-testid="review-reply"' in html
    assert f'href="{review}"' in html
    assert "审核 市教育局 的答复" in html
    for user in (world.member, world.lead_liaison):
        assert review not in page(client, user, detail)
    assert "督办审核" in page(client, world.supervisor, review)
    s.proposal_supervise_review(actor=world.supervisor, reply=reply, approve=True)
    assert review not in page(client, world.supervisor, detail)


def history(html: str) -> str:
    return html.split('<article class="history">')[1].split("</article>")[0]


def test_unit_history_lists_its_own_assignment_not_other_units(client, world):
    p = handling(world)
    s.proposal_assign(actor=world.staff, proposal=p, separate_units=[world.separate_unit])
    lead = assignment(p, world.lead_unit)
    own = history(page(client, world.lead_liaison, reverse("assignment_workspace", args=[lead.pk])))
    assert own.count("交办") == 1  # the first assignment named 市教育局; the second named only 市卫健委
    sep = assignment(p, world.separate_unit)
    other = history(page(client, world.separate_liaison, reverse("assignment_workspace", args=[sep.pk])))
    assert other.count("交办") == 1


def test_rehandling_workspace_says_rehandle_once(client, world):
    p = handling(world, co=False)
    approved_reply(world, p, result="C")
    s.proposal_evaluate(actor=world.member, evaluation=evaluation_of(p, world.member_a), work_rating="dissatisfied",
                        result_rating="dissatisfied")  # fmt: skip
    p = s.proposal_rehandle(actor=world.staff, proposal=refresh(p))
    url = reverse("assignment_workspace", args=[assignment(p, world.lead_unit).pk])
    html = page(client, world.lead_liaison, url)
    head = html.split('<div class="page-head">')[1].split("</div>")[0]
    assert len(re.findall("重新办理", head)) == 1
    assert "重新办理" in history(html)  # and the rehandling is on the unit's history
    staff_head = page(client, world.staff, reverse("proposal_handling", args=[p.pk])).split(
        '<div class="page-head">'
    )[1]
    assert staff_head.split("</div>")[0].count("重新办理") == 1
