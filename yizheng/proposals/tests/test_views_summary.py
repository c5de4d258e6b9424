"""The year summary page and its .xlsx exports: figures of a small dataset built through the services and
counted by hand; who may see them; bad input; constant query count."""

from __future__ import annotations

import datetime as dt
import io
import json
import re

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from yizheng.proposals import services
from yizheng.proposals.models import DEFAULT_DECLINE_REASONS
from yizheng.reports.xlsx import XLSX_CONTENT_TYPE

from .conftest import approved_reply, assignment, draft, evaluation_of, handling, replied, submitted

URL = reverse("proposal_summary")
XLSX = reverse("proposal_summary_xlsx")


@pytest.fixture
def dataset(world):
    """Year 2025 (the clock's): 4 submitted proposals and one draft never submitted.

    p1 individual, filed, assigned (lead 市教育局 + co 市财政局), replied A on the day, rated satisfied /
       basically satisfied by its submitter, who was met face to face;
    p2 individual, declined;  p3 individual, withdrawn;  p4 collective, filed, assigned to 市教育局, no reply;
    p5 a draft (not counted).
    """
    p1 = handling(world)
    services.proposal_record_contact(
        actor=world.lead_liaison,
        assignment=assignment(p1, world.lead_unit),
        date=dt.date(2025, 9, 1),
        method="visit",
        summary="登门走访,听取意见",
        members_met=[world.member_a],
    )
    approved_reply(world, p1, result="A")
    services.proposal_evaluate(
        actor=world.member,
        evaluation=evaluation_of(p1, world.member_a),
        work_rating="satisfied",
        result_rating="basically_satisfied",
        consulted=True,
    )
    p2 = submitted(world)
    services.proposal_decline(
        actor=world.staff, proposal=p2, reason=DEFAULT_DECLINE_REASONS[6], disposition="archive"
    )
    p3 = submitted(world)
    services.proposal_withdraw(actor=world.member, proposal=p3)
    handling(world, kind="collective", co=False)
    draft(world)
    return world


def _get(client, user, **params):
    client.force_login(user)
    return client.get(URL, params)


def test_summary_figures_by_hand(client, dataset):
    w = dataset
    response = _get(client, w.staff, year=2025)
    assert response.status_code == 200
    total = response.context["summary"]["total"]
    expected = {
        "received": 4,
        "filed": 2,
        "filing_rate": 50.0,
        "declined": 1,
        "merged": 0,
        "withdrawn": 1,
        "converted": 0,
        "replied": 1,
        "reply_rate": 50.0,  # 1 of the 2 handled
        "on_time_rate": 100.0,
        "contact_rate": 50.0,  # p1's member met; p4's collective not
        "work_satisfaction_rate": 100.0,
        "result_satisfaction_rate": 100.0,  # basically satisfied counts as satisfied
    }
    assert {k: total[k] for k in expected} == expected
    assert total["class_shares"] == {"A": 100.0, "B": 0.0, "C": 0.0}
    html = response.content.decode()
    assert '<dd data-figure="received">4 件</dd>' in html
    assert "(立案率 50.0%)" in html
    assert 'id="summary-data"' in html
    assert "vendor/echarts/echarts.min.js" in html
    assert "proposals/summary-charts.js" in html
    island = re.search(r'<script id="summary-data" type="application/json">(.*?)</script>', html, re.S)
    data = json.loads(island.group(1))
    assert data["total"]["series"][0]["data"][:2] == [50.0, 50.0]
    assert data["classes"]["data"][0] == {"name": "A类", "value": 1}
    kinds = {r["label"]: r for r in response.context["summary"]["kind"]}
    assert (kinds["个人提案"]["received"], kinds["个人提案"]["filed"]) == (3, 1)
    assert (kinds["集体提案"]["received"], kinds["集体提案"]["filed"]) == (1, 1)
    units = {r["label"]: r for r in response.context["summary"]["unit"]}
    assert units["市教育局"]["assigned"] == 2
    assert units["市教育局"]["replies"] == 1
    assert units["市教育局"]["reply_rate"] == 50.0
    assert "市财政局" not in units  # co units do not answer


def test_echarts_only_on_the_summary_page(client, world):
    client.force_login(world.staff)
    assert "echarts" not in client.get(reverse("home")).content.decode()


def _sheet(response):
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX_CONTENT_TYPE
    return load_workbook(io.BytesIO(response.content)).active


def test_xlsx_exports_carry_the_same_numbers(client, dataset):
    client.force_login(dataset.staff)
    ws = _sheet(client.get(XLSX, {"year": 2025, "table": "total"}))
    assert "2025年提案工作统计" in ws["A1"].value
    headers = [c.value for c in ws[2]]
    assert headers[:4] == ["范围", "收到提案", "立案", "立案率"]
    assert all(c.font.bold for c in ws[2])
    assert ws.freeze_panes == "B3"
    row = dict(zip(headers, [c.value for c in ws[3]], strict=True))
    assert (row["收到提案"], row["立案"], row["不予立案"], row["撤案"]) == (4, 2, 1, 1)
    assert row["立案率"] == pytest.approx(0.5)
    assert ws.cell(row=3, column=headers.index("立案率") + 1).number_format == "0.0%"
    assert row["见面率"] == pytest.approx(0.5)
    assert row["A类占比"] == pytest.approx(1.0)
    assert ws.column_dimensions["A"].width >= 8

    ws = _sheet(client.get(XLSX, {"year": 2025, "table": "unit"}))
    headers = [c.value for c in ws[2]]
    rows = [dict(zip(headers, [c.value for c in r], strict=True)) for r in ws.iter_rows(min_row=3)]
    assert rows == [
        {
            **rows[0],
            "承办单位": "市教育局",
            "主办/分办件数": 2,
            "已答复": 1,
            "答复率": pytest.approx(0.5),
        }
    ]
    for table in ("category", "kind", "sector"):
        assert _sheet(client.get(XLSX, {"year": 2025, "table": table})).max_row >= 3


def test_bad_input_is_refused_with_a_message(client, world):
    client.force_login(world.staff)
    response = client.get(URL, {"year": "明年"})
    assert response.status_code == 400
    assert "请输入四位数的年度" in response.content.decode()
    response = client.get(URL, {"year": "1990"})
    assert response.status_code == 400
    assert "年度不能早于 2000 年" in response.content.decode()
    response = client.get(XLSX, {"year": 2025, "table": "everything"})
    assert response.status_code == 400
    assert "没有这张统计表" in response.content.decode()


def test_access(client, world):
    for user in (world.staff, world.general_staff, world.leader, world.supervisor):
        assert _get(client, user, year=2025).status_code == 200
    for user in (world.member, world.agent, world.lead_liaison, world.separate_liaison):
        assert _get(client, user, year=2025).status_code == 403
        client.force_login(user)
        assert client.get(XLSX, {"year": 2025}).status_code == 403
    # another council's summary is out of reach
    assert _get(client, world.staff, year=2025, council=world.other_council.pk).status_code == 404
    client.force_login(world.staff)
    assert client.get(XLSX, {"year": 2025, "council": world.other_council.pk}).status_code == 404
    assert _get(client, world.other_staff, year=2025, council=world.council.pk).status_code == 404
    assert _get(client, world.staff, council="abc").status_code == 404


def test_query_count_does_not_grow_with_the_data(client, world, django_assert_max_num_queries):
    handling(world)
    client.force_login(world.staff)
    with django_assert_max_num_queries(60) as small:
        client.get(URL, {"year": 2025})
    for _i in range(3):
        replied(world, result="A")
    handling(world, kind="collective")
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(URL, {"year": 2025}).status_code == 200
