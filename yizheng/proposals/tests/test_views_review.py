"""The proposal office's review screens: queue, file, decline, return, merge, conversion — allowed for proposal
staff, refused (nothing written) for other roles, other councils, wrong states, stale forms and bad input."""

from __future__ import annotations

import pytest
from django.urls import reverse

from yizheng.proposals import models as m
from yizheng.proposals import services

from .conftest import db_state, draft, filed, refresh, submitted

pytestmark = pytest.mark.django_db


def login(client, user):
    client.force_login(user)
    return client


def unchanged(client, url, data=None, *, status: int, contains: str | None = None, method: str = "post"):
    before = db_state()
    r = getattr(client, method)(url, data or {})
    assert r.status_code == status, r.content.decode()[:1500]
    if contains:
        assert contains in r.content.decode()
    assert db_state() == before
    return r


def reasons(w):
    return services.proposal_settings_get(w.council).decline_reasons


def test_queue_oldest_first_with_awaiting_conversion(client, world, clock):
    first = submitted(world, title="关于最早提交的提案")
    clock.advance(1)
    second = submitted(world, title="关于后来提交的提案")
    declined = submitted(world, title="关于个人诉求的提案")
    services.proposal_decline(actor=world.staff, proposal=declined, reason=reasons(world)[4],
                              disposition="to_opinion_report", conversion_consent=True)  # fmt: skip
    html = login(client, world.staff).get(reverse("proposal_review_queue")).content.decode()
    assert html.index(first.title) < html.index(second.title)
    assert 'data-testid="awaiting-conversion"' in html
    assert declined.title in html
    assert f'data-testid="convert-{declined.pk}"' in html


def test_queue_refused_for_other_roles(client, world):
    for user in (world.member, world.leader, world.supervisor, world.lead_liaison):
        assert login(client, user).get(reverse("proposal_review_queue")).status_code == 403, user


def test_queue_other_council_sees_nothing(client, world):
    p = submitted(world)
    html = login(client, world.other_staff).get(reverse("proposal_review_queue")).content.decode()
    assert p.title not in html


def test_general_staff_may_not_review(client, world):
    p = submitted(world)
    login(client, world.general_staff)
    assert client.get(reverse("proposal_review_queue")).status_code == 403
    assert client.get(reverse("proposal_review", args=[p.pk])).status_code == 403
    unchanged(
        client,
        reverse("proposal_file", args=[p.pk]),
        {"version": p.version, "category": world.category.pk},
        status=403,
    )


def test_review_page_and_file(client, world):
    p = submitted(world)
    login(client, world.staff)
    page = client.get(reverse("proposal_review", args=[p.pk])).content.decode()
    assert "不予立案" in page
    assert reasons(world)[0] in page
    assert "并案" in page
    r = client.post(
        reverse("proposal_file", args=[p.pk]),
        {"version": p.version, "category": world.category.pk, "tags": "托育,民生"},
    )
    assert r.status_code == 302
    p = refresh(p)
    assert p.state == "filed"
    assert p.case_number == 1
    assert p.tags == ["托育", "民生"]
    detail = client.get(r["Location"]).content.decode()
    assert "已立案,案号为第0001号" in detail
    # double submit: the second is refused, nothing written
    unchanged(
        client,
        reverse("proposal_file", args=[p.pk]),
        {"version": p.version - 1, "category": world.category.pk},
        status=409,
    )
    unchanged(client, reverse("proposal_file", args=[p.pk]), {"version": p.version, "category": world.category.pk},
              status=409, contains="已立案")  # fmt: skip


def test_file_bad_input_and_stale(client, world):
    p = submitted(world)
    login(client, world.staff)
    url = reverse("proposal_file", args=[p.pk])
    unchanged(client, url, {"version": p.version, "category": ""}, status=400)
    unchanged(client, url, {"version": p.version, "category": 99999}, status=400)
    unchanged(
        client,
        url,
        {"version": p.version + 5, "category": world.category.pk},
        status=409,
        contains="已被他人修改",
    )


def test_file_refused_other_council_and_member(client, world):
    p = submitted(world)
    data = {"version": p.version, "category": world.category.pk}
    login(client, world.other_staff)
    unchanged(client, reverse("proposal_file", args=[p.pk]), data, status=404)
    assert client.get(reverse("proposal_review", args=[p.pk])).status_code == 404
    login(client, world.member)
    unchanged(client, reverse("proposal_file", args=[p.pk]), data, status=403)
    login(client, world.member_c_user)
    unchanged(client, reverse("proposal_file", args=[p.pk]), data, status=404)


def test_decline_with_reason_and_disposition(client, world):
    p = submitted(world)
    login(client, world.staff)
    url = reverse("proposal_decline", args=[p.pk])
    unchanged(
        client, url, {"version": p.version, "reason": "我编的理由", "disposition": "archive"}, status=400
    )
    unchanged(client, url, {"version": p.version, "reason": reasons(world)[6], "disposition": ""}, status=400)
    r = client.post(
        url,
        {
            "version": p.version,
            "reason": reasons(world)[6],
            "disposition": "member_letter",
            "note": "建议转有关部门参考",
        },
    )
    assert r.status_code == 302
    p = refresh(p)
    assert (p.state, p.decline_reason, p.disposition) == ("not_filed", reasons(world)[6], "member_letter")
    unchanged(
        client, url, {"version": p.version, "reason": reasons(world)[6], "disposition": "archive"}, status=409
    )
    html = login(client, world.member).get(reverse("proposal_detail", args=[p.pk])).content.decode()
    assert reasons(world)[6] in html
    assert "建议转有关部门参考" in html


def test_return_for_revision(client, world):
    p = submitted(world)
    login(client, world.staff)
    url = reverse("proposal_return", args=[p.pk])
    unchanged(
        client, url, {"version": p.version, "comments": " "}, status=400, contains="请写明退回修改的意见"
    )
    r = client.post(url, {"version": p.version, "comments": "请补充调研数据"})
    assert r.status_code == 302
    assert refresh(p).state == "draft"
    html = login(client, world.member).get(reverse("proposal_edit", args=[p.pk])).content.decode()
    assert "请补充调研数据" in html
    login(client, world.leader)
    q = submitted(world)
    unchanged(
        client, reverse("proposal_return", args=[q.pk]), {"version": q.version, "comments": "x"}, status=403
    )


def test_merge_into_primary(client, world):
    primary = filed(world, title="关于托育服务的提案")
    other = submitted(world, title="关于托育补贴的提案")
    login(client, world.staff)
    r = client.get(
        reverse("proposal_merge_search", args=[other.pk]), {"q": "0001"}, headers={"HX-Request": "true"}
    )
    assert r.status_code == 200
    assert primary.title in r.content.decode()
    r = client.get(
        reverse("proposal_merge_search", args=[other.pk]), {"q": "托育服务"}, headers={"HX-Request": "true"}
    )
    assert primary.title in r.content.decode()
    r = client.post(
        reverse("proposal_merge", args=[other.pk]), {"version": other.version, "primary": primary.pk}
    )
    assert r.status_code == 302
    assert r["Location"] == reverse("proposal_detail", args=[primary.pk])
    other = refresh(other)
    assert other.state == "merged"
    assert other.merged_into == primary


def test_merge_bad_input_and_scope(client, world):
    p = submitted(world)
    login(client, world.staff)
    url = reverse("proposal_merge", args=[p.pk])
    unchanged(client, url, {"version": p.version}, status=400, contains="请选择主提案")
    unchanged(client, url, {"version": p.version, "primary": p.pk}, status=400, contains="请选择要并入的提案")
    unchanged(
        client, url, {"version": p.version, "primary": 999999}, status=400, contains="请从本会提案中选择"
    )
    mine = draft(world)  # a draft is not visible to staff: refused as bad input, nothing written
    unchanged(client, url, {"version": p.version, "primary": p.pk, "merged": [mine.pk]}, status=400)
    closed_state = submitted(world)
    services.proposal_withdraw(actor=world.member, proposal=closed_state)
    unchanged(client, url, {"version": p.version, "primary": p.pk, "merged": [closed_state.pk]}, status=409)
    unchanged(
        client, url, {"version": p.version + 3, "primary": p.pk, "merged": [submitted(world).pk]}, status=409
    )


def test_convert_to_opinion(client, world):
    p = submitted(world)
    services.proposal_decline(actor=world.staff, proposal=p, reason=reasons(world)[4],
                              disposition="to_opinion_report", conversion_consent=True)  # fmt: skip
    p = refresh(p)
    url = reverse("proposal_convert", args=[p.pk])
    login(client, world.member)
    unchanged(client, url, {"version": p.version}, status=403)
    login(client, world.staff)
    unchanged(client, url, {"version": p.version + 1}, status=409)
    r = client.post(url, {"version": p.version})
    assert r.status_code == 302
    assert refresh(p).conversion_requested_at is not None
    unchanged(client, url, {"version": refresh(p).version}, status=409, contains="已申请")


def test_convert_needs_consent(client, world):
    p = submitted(world)
    services.proposal_decline(
        actor=world.staff, proposal=p, reason=reasons(world)[4], disposition="to_opinion_report"
    )
    p = refresh(p)
    login(client, world.staff)
    unchanged(
        client,
        reverse("proposal_convert", args=[p.pk]),
        {"version": p.version},
        status=400,
        contains="须经提案人同意",
    )


def test_review_todos(client, world):
    submitted(world)
    import yizheng.proposals.todos_h  # noqa: F401  (the app imports it when it is ready)
    from yizheng.core.todos import todos_for

    assert any(t.count == 1 and "待审查" in str(t.title) for t in todos_for(world.staff))
    assert not any("待审查" in str(t.title) for t in todos_for(world.member))
    assert m.Proposal.objects.count() == 1
