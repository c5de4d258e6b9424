"""The proposal form and the reply letter (.docx): opened with python-docx and read back; who may fetch them."""

from __future__ import annotations

import io
import time

import pytest
from django.urls import reverse
from docx import Document
from docx.shared import Length

from yizheng.proposals import documents, services
from yizheng.proposals import selectors_documents as sel
from yizheng.reports import docx_official as official

from .conftest import approved_reply, drafted_reply, handling, joint_draft, refresh, replied

DOCX = documents.DOCX_CONTENT_TYPE


def _open(response) -> Document:
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == DOCX
    assert "attachment" in response["Content-Disposition"]
    return Document(io.BytesIO(response.content))


def _text(document) -> str:
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return "\n".join(parts)


def _get(client, user, url):
    client.force_login(user)
    return client.get(url)


@pytest.fixture
def joint_handling(world):
    p = joint_draft(world)
    services.proposal_submit(actor=world.member, proposal=p)
    services.proposal_file(actor=world.staff, proposal=p)
    return services.proposal_assign(
        actor=world.staff, proposal=p, lead_unit=world.lead_unit, co_units=[world.co_unit]
    )


# --- proposal form -----------------------------------------------------------------------------------------


def test_proposal_form_content(client, world, joint_handling):
    p = joint_handling
    world.member_a.phone, world.member_a.work_unit, world.member_a.job_title = (
        "13912345678",
        "示例大学",
        "教授",
    )
    world.member_a.save()
    document = _open(_get(client, world.staff, reverse("proposal_form_docx", args=[p.pk])))
    text = _text(document)
    assert document.paragraphs[0].text == "示例市政协平时提案"  # filed in September: an interim proposal
    assert "第0001号" in text
    assert "张委员(领衔)、李委员" in text
    assert "王委员" not in text  # invited, never accepted
    assert "示例大学 教授" in text
    assert "13912345678" in text  # staff see the number
    assert "关于发展普惠托育服务的提案" in text
    for label, body in (("案由", "托育服务供给不足。"), ("情况分析", "全市托位缺口较大。")):
        assert label in text
        assert body in text
    assert "一、加快建设普惠性托育机构" in text
    assert "主办:市教育局" in text
    assert "协办:市财政局" in text
    assert "2025年9月1日" in text  # submitted, filed and assigned on the clock's day
    title_run = document.paragraphs[0].runs[0]
    assert official.east_asia_font(title_run) == official.FONT_TITLE
    assert title_run.font.size.pt == 22


def test_proposal_form_masks_phone_for_others_and_shows_collective(client, world):
    p = handling(world, kind="collective")
    text = _text(_open(_get(client, world.agent, reverse("proposal_form_docx", args=[p.pk]))))
    assert "民盟示例市委(集体提案)" in text
    p2 = handling(world)
    world.member_a.phone = "13912345678"
    world.member_a.save()
    text = _text(_open(_get(client, world.member, reverse("proposal_form_docx", args=[p2.pk]))))
    assert "139****5678" in text
    assert "13912345678" not in text
    text = _text(_open(_get(client, world.lead_liaison, reverse("proposal_form_docx", args=[p2.pk]))))
    assert "139****5678" in text


def test_proposal_form_access(client, world):
    p = handling(world)
    url = reverse("proposal_form_docx", args=[p.pk])
    for user in (
        world.staff,
        world.leader,
        world.supervisor,
        world.member,
        world.lead_liaison,
        world.co_liaison,
    ):
        assert _get(client, user, url).status_code == 200
    for user in (world.stranger_liaison, world.other_staff, world.other_member, world.member_c_user):
        assert _get(client, user, url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302  # to the login page


# --- reply letter --------------------------------------------------------------------------------------------


def _letter_url(reply) -> str:
    return reverse("reply_letter_docx", args=[reply.pk])


def test_reply_letter_layout_and_content(client, world, joint_handling):
    p = joint_handling
    reply = approved_reply(world, p, result="B")
    document = _open(_get(client, world.member, _letter_url(reply)))
    section = document.sections[0]
    assert round(section.page_width.mm) == 210
    assert round(section.page_height.mm) == 297
    for margin, mm in (("top", 37), ("bottom", 35), ("left", 28), ("right", 26)):
        assert getattr(section, f"{margin}_margin").mm == pytest.approx(mm, abs=0.05)
    width = Length(section.page_width - section.left_margin - section.right_margin)
    height = Length(section.page_height - section.top_margin - section.bottom_margin)
    assert (width.mm, height.mm) == (pytest.approx(156, abs=0.1), pytest.approx(225, abs=0.1))
    normal = document.styles["Normal"]
    assert official.east_asia_font(normal) == official.FONT_BODY
    assert normal.font.size.pt == 16
    assert normal.paragraph_format.line_spacing.pt == pytest.approx(28.95, abs=0.05)

    paragraphs = [p.text for p in document.paragraphs]
    assert paragraphs[0] == "市教育局〔2025〕1号"
    title = next(x for x in document.paragraphs if x.text.startswith("关于"))
    assert title.text == "关于示例市政协2025年第0001号提案答复的函"
    assert official.east_asia_font(title.runs[0]) == official.FONT_TITLE
    assert title.runs[0].font.size.pt == 22
    assert "(B类)" in paragraphs
    assert "张委员委员:" in paragraphs
    body = next(x for x in document.paragraphs if x.text.startswith("经研究"))
    assert official.east_asia_font(body.runs[0]) == official.FONT_BODY
    assert body.runs[0].font.size.pt == 16
    assert "1. 年底前新增托位2000个(2026年12月31日前完成)" in paragraphs
    assert "市教育局" in paragraphs
    assert "二〇二五年九月一日" in paragraphs
    assert "(联系人:王联络;联系电话:13800000000)" in paragraphs
    assert "抄送:示例市政协提案委员会,市财政局。" in paragraphs
    footer = section.footer.paragraphs[0]
    assert footer.text == "— 1 —"
    assert footer.runs[0].font.size.pt == 14
    assert official.east_asia_font(footer.runs[0]) == official.FONT_PAGE_NUMBER


def test_reply_letter_class_a_collective(client, world):
    p = replied(world, kind="collective", result="A")
    reply = p.replies.get()
    text = _text(_open(_get(client, world.agent, _letter_url(reply))))
    assert "(A类)" in text
    assert "民盟示例市委:" in text
    assert "承诺事项" not in text
    assert "贵单位提出的《关于发展普惠托育服务的提案》(第0001号)收悉。现答复如下:" in text


def test_reply_letter_access_before_and_after_approval(client, world):
    p = handling(world, separate=True)
    reply = drafted_reply(world, p, result="A")
    url = _letter_url(reply)
    for user in (world.staff, world.lead_liaison, world.member, world.supervisor):
        assert _get(client, user, url).status_code == 404  # a draft has no letter
    reply = services.proposal_submit_reply(actor=world.lead_liaison, reply=reply)
    for cs in reply.countersignatures.all():
        services.proposal_countersign(actor=world.co_liaison, countersignature=cs, sign=True)
    services.proposal_supervise_review(actor=world.supervisor, reply=reply, approve=True)
    assert refresh(p).state == "handling"  # the separate unit has not answered: not published yet
    for user in (world.staff, world.supervisor, world.leader, world.lead_liaison, world.co_liaison):
        assert _get(client, user, url).status_code == 200, user
    for user in (world.member, world.separate_liaison, world.stranger_liaison, world.other_staff):
        assert _get(client, user, url).status_code == 404, user
    approved_reply(world, p, unit=world.separate_unit, actor=world.separate_liaison)
    assert refresh(p).state == "replied"
    assert _get(client, world.member, url).status_code == 200
    assert _get(client, world.other_member, url).status_code == 404


def test_reply_letter_is_fast_enough_to_build_on_demand(world):
    reply = approved_reply(world, handling(world), result="B")
    data = sel.reply_letter_data(reply)
    started = time.perf_counter()
    for _i in range(5):
        content = documents.reply_letter_docx(data)
    per_letter = (time.perf_counter() - started) / 5
    assert content.startswith(b"PK")
    assert per_letter < 0.5  # measured ≈ 50 ms; generated on demand, never stored


def test_html_blocks_keep_lists_and_bold():
    blocks = official.html_blocks(
        "<p>甲<strong>乙</strong></p><ol><li>一</li><li>二</li></ol><ul><li>三</li></ul>"
    )
    texts = ["".join(t for t, _b in b["runs"]) for b in blocks]
    assert texts == ["甲乙", "1. 一", "2. 二", "· 三"]
    assert blocks[0]["runs"][1] == ("乙", True)
