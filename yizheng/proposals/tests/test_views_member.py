"""The member's screens: my proposals, the draft form, attachments, co-signing, submit, withdraw, conversion
consent and evaluation — each allowed for the right person and refused (nothing written) otherwise."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from yizheng.proposals import models as m
from yizheng.proposals import services

from .conftest import db_state, draft, evaluation_of, joint_draft, refresh, replied, submitted

pytestmark = pytest.mark.django_db


def login(client, user):
    client.force_login(user)
    return client


def unchanged(client, method, url, data=None, *, status: int, contains: str | None = None):
    """POST/GET and prove the status, the message and that nothing was written."""
    before = db_state()
    r = getattr(client, method)(url, data or {})
    assert r.status_code == status, r.content.decode()[:2000]
    if contains:
        assert contains in r.content.decode()
    assert db_state() == before
    return r


def form_data(w, **kw):
    data = {"title": "关于发展普惠托育服务的提案", "kind": "individual", "category": w.category.pk, "tags": "托育 民生",
            "reason": "<p>托育服务供给不足。</p><script>alert(1)</script>", "analysis": "<p>缺口较大</p>",
            "suggestions": "<p>一、加快建设普惠性托育机构。</p>"}  # fmt: skip
    data.update(kw)
    return data


# --- my proposals -----------------------------------------------------------------------------------------


def test_mine_tabs_invitations_and_evaluations(client, world):
    d = draft(world, title="草稿中的提案")
    s = submitted(world, title="已提交的提案")
    r = replied(world)
    joint = joint_draft(world, accept=False)  # member_b and member_c are invited
    login(client, world.member)
    html = client.get(reverse("proposal_mine")).content.decode()
    assert d.title in html
    assert s.title not in html
    html = client.get(reverse("proposal_mine"), {"tab": "submitted"}).content.decode()
    assert s.title in html
    assert d.title not in html
    html = client.get(reverse("proposal_mine"), {"tab": "replied"}).content.decode()
    assert "第0002号" in html or "第0001号" in html
    assert 'data-testid="evaluations-due"' in html
    assert reverse("proposal_evaluate", args=[evaluation_of(r, world.member_a).pk]) in html
    login(client, world.member_b_user)
    html = client.get(reverse("proposal_mine")).content.decode()
    assert 'data-testid="invitations"' in html
    assert joint.title in html


def test_mine_refused_for_staff_and_unit(client, world):
    assert login(client, world.staff).get(reverse("proposal_mine")).status_code == 403
    assert login(client, world.lead_liaison).get(reverse("proposal_mine")).status_code == 403


def test_mine_for_collective_agent(client, world):
    p = draft(world, kind="collective", title="民盟的集体提案")
    html = login(client, world.agent).get(reverse("proposal_mine")).content.decode()
    assert p.title in html


def test_mine_query_count_is_constant(client, world, django_assert_max_num_queries):
    for i in range(2):
        submitted(world, title=f"关于{i}的提案")
    login(client, world.member)
    url = reverse("proposal_mine") + "?tab=submitted"
    client.get(url)
    with django_assert_max_num_queries(20) as few:
        client.get(url)
    n = len(few.captured_queries)
    for i in range(10):
        submitted(world, title=f"关于另{i}的提案")
    with django_assert_max_num_queries(n):
        r = client.get(url)
    assert "关于另9的提案" in r.content.decode()


# --- create and edit ----------------------------------------------------------------------------------------


def test_create_draft_sanitises_and_redirects_to_edit(client, world):
    login(client, world.member)
    page = client.get(reverse("proposal_create")).content.decode()
    assert "关于……的提案" in page
    assert "一事一案" in page
    assert 'value="collective"' not in page
    r = client.post(reverse("proposal_create"), form_data(world))
    p = m.Proposal.objects.get()
    assert r.status_code == 302
    assert r["Location"] == reverse("proposal_edit", args=[p.pk])
    assert p.lead_member == world.member_a
    assert p.state == "draft"
    assert "<script>" not in p.reason
    assert p.tags == ["托育", "民生"]


def test_create_collective_only_for_agent(client, world):
    login(client, world.agent)
    page = client.get(reverse("proposal_create")).content.decode()
    assert 'value="collective"' in page
    assert "民盟示例市委" in page
    r = client.post(
        reverse("proposal_create"),
        form_data(world, kind="collective", collective=f"organization:{world.organization.pk}"),
    )
    assert r.status_code == 302
    p = m.Proposal.objects.get()
    assert p.kind == "collective"
    assert p.organization == world.organization
    assert p.lead_member is None


def test_create_bad_input_is_400_and_writes_nothing(client, world):
    login(client, world.member)
    unchanged(
        client, "post", reverse("proposal_create"), form_data(world, title=""), status=400, contains="必填"
    )
    unchanged(
        client, "post", reverse("proposal_create"), form_data(world, kind="collective"), status=400
    )  # a member is no agent: collective is not a choice


def test_create_refused_for_staff(client, world):
    login(client, world.staff)
    assert client.get(reverse("proposal_create")).status_code == 403
    unchanged(client, "post", reverse("proposal_create"), form_data(world), status=403)


def test_edit_saves_and_stale_form_is_409(client, world):
    p = draft(world)
    login(client, world.member)
    assert client.get(reverse("proposal_edit", args=[p.pk])).status_code == 200
    r = client.post(
        reverse("proposal_edit", args=[p.pk]),
        form_data(world, title="关于新标题的提案", version=p.version, do="save"),
    )
    assert r.status_code == 302
    assert refresh(p).title == "关于新标题的提案"
    unchanged(
        client, "post", reverse("proposal_edit", args=[p.pk]),
        form_data(world, title="旧表单", version=1, do="save"), status=409, contains="已被他人修改",
    )  # fmt: skip


def test_edit_refused_for_others(client, world):
    p = draft(world)
    url = reverse("proposal_edit", args=[p.pk])
    for user, status in (
        (world.member_b_user, 404),
        (world.other_member, 404),
        (world.staff, 404),
        (world.lead_liaison, 404),
    ):
        login(client, user)
        unchanged(client, "post", url, form_data(world, version=p.version, do="save"), status=status)


def test_edit_of_submitted_proposal_is_409(client, world):
    p = submitted(world)
    login(client, world.member)
    r = client.get(reverse("proposal_edit", args=[p.pk]))
    assert r.status_code == 409
    assert "不能修改" in r.content.decode()
    unchanged(
        client, "post", reverse("proposal_edit", args=[p.pk]),
        form_data(world, version=p.version, do="save"), status=409, contains="待审查",
    )  # fmt: skip


def test_submit_from_form_and_double_submit(client, world):
    p = draft(world)
    login(client, world.member)
    r = client.post(reverse("proposal_edit", args=[p.pk]), form_data(world, version=p.version, do="submit"))
    assert r.status_code == 302
    assert refresh(p).state == "submitted"
    unchanged(
        client,
        "post",
        reverse("proposal_submit", args=[p.pk]),
        {"version": p.version},
        status=409,
        contains="待审查",
    )


def test_submit_joint_without_accepted_cosigner_is_refused(client, world):
    p = joint_draft(world, accept=False)
    login(client, world.member)
    unchanged(
        client, "post", reverse("proposal_edit", args=[p.pk]),
        form_data(world, kind="joint", title="改过的标题", version=p.version, do="submit"),
        status=400, contains="联名提案至少需要一位委员接受联名",
    )  # fmt: skip
    assert refresh(p).title != "改过的标题"  # the edit was not kept either
    unchanged(
        client, "post", reverse("proposal_submit", args=[p.pk]), {"version": p.version},
        status=400, contains="联名提案至少需要一位委员接受联名",
    )  # fmt: skip


def test_submit_stale_version_and_wrong_role(client, world):
    p = draft(world)
    login(client, world.member)
    unchanged(client, "post", reverse("proposal_submit", args=[p.pk]), {"version": 99}, status=409)
    unchanged(client, "post", reverse("proposal_submit", args=[p.pk]), {}, status=400)
    s = submitted(world)
    login(client, world.staff)
    unchanged(client, "post", reverse("proposal_submit", args=[s.pk]), {"version": s.version}, status=403)


# --- attachments ------------------------------------------------------------------------------------------


def test_attachment_upload_and_remove(client, world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    p = draft(world)
    login(client, world.member)
    pdf = SimpleUploadedFile("调研报告.pdf", b"%PDF-1.4 test", content_type="application/pdf")
    r = client.post(reverse("proposal_attachment_add", args=[p.pk]), {"file": pdf})
    assert r.status_code == 302
    a = p.attachments.get()
    assert a.original_name == "调研报告.pdf"
    r = client.post(reverse("proposal_attachment_remove", args=[p.pk, a.pk]))
    assert r.status_code == 302
    assert not p.attachments.exists()


def test_attachment_bad_type_is_400(client, world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    p = draft(world)
    login(client, world.member)
    fake = SimpleUploadedFile("病毒.pdf", b"MZ\x90\x00", content_type="application/pdf")
    unchanged(
        client,
        "post",
        reverse("proposal_attachment_add", args=[p.pk]),
        {"file": fake},
        status=400,
        contains="不符",
    )
    login(client, world.member_b_user)
    ok = SimpleUploadedFile("a.pdf", b"%PDF-1.4", content_type="application/pdf")
    unchanged(client, "post", reverse("proposal_attachment_add", args=[p.pk]), {"file": ok}, status=404)


# --- co-signing ---------------------------------------------------------------------------------------------


def test_cosign_search_invite_respond_withdraw(client, world):
    p = draft(world, kind="joint")
    login(client, world.member)
    r = client.get(
        reverse("proposal_cosign_search", args=[p.pk]), {"q": "李"}, headers={"HX-Request": "true"}
    )
    assert r.status_code == 200
    assert "李委员" in r.content.decode()
    assert "张委员" not in r.content.decode()
    page = client.get(reverse("proposal_edit", args=[p.pk]), {"q": "王"}).content.decode()
    assert "王委员" in page  # works without htmx too
    r = client.post(reverse("proposal_cosign_invite", args=[p.pk]), {"members": [world.member_b.pk]})
    assert r.status_code == 302
    c = p.cosignatures.get()
    assert c.member == world.member_b
    assert c.status == "invited"
    r = client.post(reverse("proposal_cosign_invite", args=[p.pk]), {"group": world.group.pk})
    assert r.status_code == 302
    assert p.cosignatures.count() == 2
    # the invitee answers
    login(client, world.member_b_user)
    r = client.post(reverse("cosignature_respond", args=[c.pk]), {"answer": "accept"})
    assert r.status_code == 302
    assert refresh(c).status == "accepted"
    unchanged(client, "post", reverse("cosignature_respond", args=[c.pk]), {"answer": "accept"}, status=409)
    # another member cannot answer someone else's invitation; the lead cancels one
    c2 = p.cosignatures.get(member=world.member_c)
    unchanged(client, "post", reverse("cosignature_respond", args=[c2.pk]), {"answer": "accept"}, status=403)
    login(client, world.member)
    r = client.post(reverse("cosignature_withdraw", args=[c2.pk]))
    assert r.status_code == 302
    assert refresh(c2).status == "withdrawn"


def test_cosign_invite_bad_input_and_scope(client, world):
    p = draft(world, kind="joint")
    login(client, world.member)
    url = reverse("proposal_cosign_invite", args=[p.pk])
    unchanged(client, "post", url, {}, status=400, contains="请选择要邀请联名的委员")
    from yizheng.org.models import Member

    outsider = Member.objects.get(council=world.other_council)
    unchanged(client, "post", url, {"members": [outsider.pk]}, status=400, contains="不属于本会")
    individual = draft(world)
    unchanged(
        client, "post", reverse("proposal_cosign_invite", args=[individual.pk]),
        {"members": [world.member_b.pk]}, status=400, contains="只有联名提案",
    )  # fmt: skip
    login(client, world.member_b_user)
    unchanged(client, "post", url, {"members": [world.member_c.pk]}, status=404)


def test_cosign_respond_after_deadline_is_400(client, world, clock):
    p = joint_draft(world, accept=False)
    c = p.cosignatures.get(member=world.member_c)
    clock.advance(30)
    login(client, world.member_c_user)
    unchanged(
        client,
        "post",
        reverse("cosignature_respond", args=[c.pk]),
        {"answer": "accept"},
        status=400,
        contains="截止",
    )


# --- withdraw, consent, evaluate ---------------------------------------------------------------------------


def test_withdraw(client, world):
    p = submitted(world)
    login(client, world.member_b_user)
    unchanged(client, "post", reverse("proposal_withdraw", args=[p.pk]), {"version": p.version}, status=404)
    login(client, world.member)
    unchanged(client, "post", reverse("proposal_withdraw", args=[p.pk]), {"version": 99}, status=409)
    r = client.post(
        reverse("proposal_withdraw", args=[p.pk]), {"version": p.version, "reason": "已由其他途径解决"}
    )
    assert r.status_code == 302
    assert refresh(p).state == "withdrawn"
    unchanged(
        client, "post", reverse("proposal_withdraw", args=[p.pk]), {"version": refresh(p).version}, status=409
    )


def test_conversion_consent(client, world):
    p = submitted(world)
    services.proposal_decline(actor=world.staff, proposal=p, reason=services.proposal_settings_get(world.council).decline_reasons[4],
                              disposition="to_opinion_report")  # fmt: skip
    p = refresh(p)
    login(client, world.member)
    html = client.get(reverse("proposal_detail", args=[p.pk])).content.decode()
    assert 'data-testid="consent-form"' in html
    unchanged(
        client,
        "post",
        reverse("proposal_consent", args=[p.pk]),
        {"version": p.version, "consent": "maybe"},
        status=400,
    )
    r = client.post(reverse("proposal_consent", args=[p.pk]), {"version": p.version, "consent": "yes"})
    assert r.status_code == 302
    assert refresh(p).conversion_consent is True
    unchanged(
        client, "post", reverse("proposal_consent", args=[p.pk]), {"version": refresh(p).version, "consent": "no"},
        status=409, contains="已答复",
    )  # fmt: skip
    login(client, world.staff)
    unchanged(
        client,
        "post",
        reverse("proposal_consent", args=[p.pk]),
        {"version": refresh(p).version, "consent": "no"},
        status=403,
    )


def test_evaluate(client, world):
    p = replied(world)
    e = evaluation_of(p, world.member_a)
    url = reverse("proposal_evaluate", args=[e.pk])
    for user, status in ((world.lead_liaison, 403), (world.member_c_user, 404), (world.other_member, 404)):
        login(client, user)
        assert client.get(url).status_code == status
    login(client, world.member)
    page = client.get(url)
    assert page.status_code == 200
    assert "承办单位是否与您沟通" in page.content.decode()
    unchanged(client, "post", url, {"version": p.version, "work_rating": "great"}, status=400)
    unchanged(client, "post", url, {"version": 99, "work_rating": "satisfied", "result_rating": "satisfied", "consulted": "yes"},
              status=409)  # fmt: skip
    r = client.post(url, {"version": p.version, "work_rating": "satisfied", "result_rating": "basically_satisfied",
                          "consulted": "yes", "comment": "沟通充分"})  # fmt: skip
    assert r.status_code == 302
    e = refresh(e)
    assert (e.status, e.work_rating, e.result_rating, e.consulted) == (
        "rated",
        "satisfied",
        "basically_satisfied",
        True,
    )
    unchanged(client, "post", url, {"version": refresh(p).version, "work_rating": "satisfied", "result_rating": "satisfied",
                                    "consulted": "yes"}, status=409, contains="不能重复评价")  # fmt: skip
