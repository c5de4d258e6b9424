"""The shared detail page and the staff list: who sees what, the actions panel, the timeline, query counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from .conftest import draft, filed, handling, replied, submitted

pytestmark = pytest.mark.django_db


def get(client, user, url, **params):
    client.force_login(user)
    return client.get(url, params)


def test_detail_of_replied_proposal_for_submitter_shows_reply_timeline_and_evaluate(client, world):
    p = replied(world, result="B")
    r = get(client, world.member, reverse("proposal_detail", args=[p.pk]))
    assert r.status_code == 200
    html = r.content.decode()
    assert "第0001号" in html
    assert "已答复" in html
    assert "市教育局" in html
    assert "年底前新增托位2000个" in html  # the published reply's commitments
    assert 'data-testid="timeline"' in html
    for label in ("起草提案", "提交提案", "立案", "交办", "督办审核"):
        assert label in html
    assert reverse("proposal_evaluate", args=[p.evaluations.get(member=world.member_a).pk]) in html


def test_detail_for_staff_unit_supervisor_leader(client, world):
    p = handling(world)
    for user in (
        world.staff,
        world.general_staff,
        world.supervisor,
        world.leader,
        world.lead_liaison,
        world.co_liaison,
    ):
        r = get(client, user, reverse("proposal_detail", args=[p.pk]))
        assert r.status_code == 200, user
        assert "市教育局" in r.content.decode()


def test_detail_hides_unpublished_reply_from_submitter(client, world):
    from .conftest import drafted_reply

    p = handling(world)
    drafted_reply(world, p, body="<p>内部草稿文字</p>")
    assert (
        "内部草稿文字"
        not in get(client, world.member, reverse("proposal_detail", args=[p.pk])).content.decode()
    )
    assert (
        "内部草稿文字" in get(client, world.staff, reverse("proposal_detail", args=[p.pk])).content.decode()
    )
    assert (
        "内部草稿文字"
        in get(client, world.lead_liaison, reverse("proposal_detail", args=[p.pk])).content.decode()
    )


def test_detail_out_of_scope_is_404(client, world):
    p = submitted(world)
    for user in (
        world.other_staff,
        world.other_member,
        world.member_c_user,
        world.stranger_liaison,
        world.other_liaison,
    ):
        assert get(client, user, reverse("proposal_detail", args=[p.pk])).status_code == 404, user


def test_detail_anonymous_redirects_to_login(client, world):
    p = submitted(world)
    r = client.get(reverse("proposal_detail", args=[p.pk]))
    assert r.status_code == 302
    assert reverse("login") in r["Location"]


def test_actions_panel_shows_only_allowed_actions(client, world):
    p = submitted(world)
    member_html = get(client, world.member, reverse("proposal_detail", args=[p.pk])).content.decode()
    assert 'data-testid="withdraw-form"' in member_html
    assert 'data-testid="review"' not in member_html
    staff_html = get(client, world.staff, reverse("proposal_detail", args=[p.pk])).content.decode()
    assert 'data-testid="review"' in staff_html
    assert 'data-testid="withdraw-form"' not in staff_html
    leader_html = get(client, world.leader, reverse("proposal_detail", args=[p.pk])).content.decode()
    assert 'data-testid="review"' not in leader_html
    assert 'data-testid="withdraw-form"' not in leader_html


def test_overdue_and_provisional_markers(client, world, clock):
    p = handling(world)
    lead = p.assignments.get(role="lead")
    clock.set(lead.deadline)
    clock.advance(3)
    html = get(client, world.staff, reverse("proposal_detail", args=[p.pk])).content.decode()
    assert "已超期 3 天" in html
    html = get(client, world.staff, reverse("proposal_list"), overdue="on").content.decode()
    assert p.title in html
    assert "已超期 3 天" in html
    m_lead = p.assignments.filter(role="lead")
    m_lead.update(deadline_provisional=True)  # as when the year's holiday notice is not out yet
    html = get(client, world.staff, reverse("proposal_detail", args=[p.pk])).content.decode()
    assert "(暂定)" in html
    assert "该年度法定节假日安排尚未公布,按工作日暂算" in html


def test_proposal_list_filters_and_scope(client, world):
    a = filed(world)
    b = submitted(world, title="关于加强老旧小区改造的提案")
    draft(world, title="未提交的草稿")
    url = reverse("proposal_list")
    html = get(client, world.leader, url).content.decode()
    assert a.title in html
    assert b.title in html
    assert "未提交的草稿" not in html
    html = get(client, world.staff, url, state="submitted").content.decode()
    assert b.title in html
    assert "第0001号" not in html
    html = get(client, world.staff, url, q="0001").content.decode()
    assert "第0001号" in html
    assert b.title not in html
    html = get(client, world.staff, url, q="老旧小区").content.decode()
    assert b.title in html
    assert "第0001号" not in html
    assert get(client, world.other_staff, url).content.decode().count("<tr>") == 0


def test_proposal_list_refused_for_member_and_unit(client, world):
    assert get(client, world.member, reverse("proposal_list")).status_code == 403
    assert get(client, world.lead_liaison, reverse("proposal_list")).status_code == 403


def test_proposal_list_bad_filter_is_harmless(client, world):
    r = get(client, world.staff, reverse("proposal_list"), year="abc", category="x")
    assert r.status_code == 200


def test_list_filter_options_follow_new_units_categories_and_years(client, world, clock):
    """The filter's options are cached per council tree, yet a unit or category added, or a proposal submitted
    in a year not listed before, is offered by the very next page; another council's never."""
    from yizheng.org.tests.factories import UnitFactory
    from yizheng.proposals.models import Category

    filed(world)
    client.force_login(world.staff)
    url = reverse("proposal_list")
    html = client.get(url).content.decode()
    assert '<option value="2025">2025</option>' in html
    assert "新组建的市数据局" not in html
    assert "数字经济" not in html
    UnitFactory(council=world.council, name="新组建的市数据局")
    UnitFactory(council=world.other_council, name="另一市数据局")
    Category.objects.create(council=world.council, name="数字经济", order=99)
    clock.set(dt.date(2026, 1, 5))
    submitted(world, title="关于发展数字经济的提案")
    html = client.get(url).content.decode()
    assert ">新组建的市数据局</option>" in html
    assert ">数字经济</option>" in html
    assert '<option value="2026">2026</option>' in html
    assert "另一市数据局" not in html


def test_list_filter_options_renew_again_when_the_change_commits(world, django_capture_on_commit_callbacks):
    """Saving inside a transaction renews the cached options at once and again on commit (a page read in
    between would cache them without the new row); default categories, bulk-created, renew on commit too."""
    from yizheng.org.tests.factories import CouncilFactory, UnitFactory
    from yizheng.proposals import selectors as sel
    from yizheng.proposals import services

    with django_capture_on_commit_callbacks() as callbacks:
        UnitFactory(council=world.council, name="新组建的市数据局")
    assert sel.forget_filter_choices in callbacks
    with django_capture_on_commit_callbacks() as callbacks:
        services.categories_ensure(CouncilFactory(name="新设县政协", short_name="新设县"))
    assert sel.forget_filter_choices in callbacks


def test_list_filter_options_are_escaped_and_keep_the_choice(client, world):
    from yizheng.org.tests.factories import UnitFactory

    unit = UnitFactory(council=world.council, name='市"城管"局<b>&</b>')
    client.force_login(world.staff)
    html = client.get(reverse("proposal_list"), {"unit": unit.pk, "state": "filed"}).content.decode()
    assert f'<option value="{unit.pk}" selected>市&quot;城管&quot;局&lt;b&gt;&amp;&lt;/b&gt;</option>' in html
    assert '<option value="filed" selected>' in html
    assert "<b>&</b>" not in html
    elsewhere = UnitFactory(council=world.other_council, name="另一市城管局")
    html = client.get(reverse("proposal_list"), {"unit": elsewhere.pk}).content.decode()
    assert 'class="errorlist" role="alert"' in html  # not an option here: refused, not silently applied
    assert f'value="{elsewhere.pk}"' not in html


def test_proposal_list_htmx_returns_results_only(client, world):
    filed(world)
    client.force_login(world.staff)
    r = client.get(reverse("proposal_list"), headers={"HX-Request": "true"})
    assert r.status_code == 200
    assert "<html" not in r.content.decode()
    assert 'id="results"' in r.content.decode()


LIST_QUERIES = 10


def test_proposal_list_query_count_is_constant(
    client, world, django_assert_num_queries, django_assert_max_num_queries
):
    """The list pages ids, then reads the rows of the page: the same queries for 3 rows as for a full page of 50
    over 62 proposals (one fewer where the session is read from Redis), and one more, for the deadlines of the
    assigned units, when some row of the page is being handled (`mark_deadlines`)."""
    for i in range(3):
        filed(world, title=f"关于第{i}件事的提案")
    client.force_login(world.staff)
    url = reverse("proposal_list")
    client.get(url)
    with django_assert_max_num_queries(LIST_QUERIES) as few:
        client.get(url)
    n = len(few.captured_queries)
    for i in range(59):
        handling(world, title=f"关于另{i}件事的提案")
    client.get(url)  # the new proposals renewed the filter's cached options
    with django_assert_num_queries(n + 1):
        r = client.get(url)
    with django_assert_num_queries(n + 1):
        r2 = client.get(url + "?page=2")
    assert r.content.decode().count("proposal_detail") == 0  # links are URLs, not names
    assert "关于另11件事的提案" in r.content.decode()
    assert r.content.decode().count("<tr>") == 1 + 50
    assert r2.content.decode().count("<tr>") == 1 + 12  # 62 in all


DETAIL_QUERIES = 16


def test_proposal_detail_query_count_is_constant(
    client, world, django_assert_num_queries, django_assert_max_num_queries
):
    """A proposal just filed and one with lead, co and separate units, replies and a longer timeline cost the
    same queries."""
    small = filed(world)
    big = replied(world, separate=True)
    client.force_login(world.staff)
    client.get(reverse("proposal_detail", args=[small.pk]))
    with django_assert_max_num_queries(DETAIL_QUERIES) as few:
        client.get(reverse("proposal_detail", args=[small.pk]))
    with django_assert_num_queries(len(few.captured_queries)):
        r = client.get(reverse("proposal_detail", args=[big.pk]))
    assert world.separate_unit.name in r.content.decode()


# The round that made a proposal key or excellent, in the header; the link to the round only for those who may
# open it (proposal staff, leaders).


def approved_key_round(w):
    from yizheng.proposals import services_selection as sel
    from yizheng.proposals.selection_workflow import Decision, SelectionKind

    r = sel.selection_open(actor=w.staff, council=w.council, year=2025, kind=SelectionKind.KEY)
    a, b = handling(w), filed(w)
    na = sel.nomination_add(actor=w.staff, selection=r, proposal=a, reason="关系民生")
    nb = sel.nomination_add(actor=w.staff, selection=r, proposal=b, reason="社会关注")
    sel.selection_start_review(actor=w.staff, selection=r)
    sel.nomination_decide(actor=w.staff, nomination=na, decision=Decision.SELECTED)
    sel.nomination_decide(actor=w.staff, nomination=nb, decision=Decision.SELECTED)
    r = sel.selection_submit(actor=w.staff, selection=r)
    r = sel.selection_approve(actor=w.leader, selection=r, meeting_name="六届主席会议第十二次会议",
                              decided_on=dt.date(2025, 9, 20), struck=[nb.pk])  # fmt: skip
    return r, a, b


def test_detail_names_the_key_round_and_links_it_for_staff_and_leaders(client, world):
    r, key, struck = approved_key_round(world)
    link = f'href="{reverse("selection_detail", args=[r.pk])}"'
    for user in (world.staff, world.leader):
        page = get(client, user, reverse("proposal_detail", args=[key.pk])).content.decode()
        assert 'data-testid="selection-round"' in page
        assert "重点提案 · <a " in page
        assert link in page
        assert "2025年重点提案遴选</a>(六届主席会议第十二次会议审定)" in page
    for user in (world.member, world.lead_liaison, world.general_staff):
        page = get(client, user, reverse("proposal_detail", args=[key.pk])).content.decode()
        assert "重点提案 · 2025年重点提案遴选(六届主席会议第十二次会议审定)" in page, user
        assert link not in page
    page = get(client, world.staff, reverse("proposal_detail", args=[struck.pk])).content.decode()
    assert 'data-testid="selection-round"' not in page  # struck at approval: not key, no round


def test_detail_names_the_announced_excellent_round(client, world):
    from yizheng.proposals import services_selection as sel
    from yizheng.proposals.selection_workflow import Decision, SelectionKind

    r = sel.selection_open(actor=world.staff, council=world.council, year=2025, kind=SelectionKind.EXCELLENT)
    p = replied(world)
    n = sel.nomination_add(actor=world.staff, selection=r, proposal=p, reason="建议被采纳")
    sel.selection_start_review(actor=world.staff, selection=r)
    sel.nomination_decide(actor=world.staff, nomination=n, decision=Decision.SELECTED, score=95)
    r = sel.selection_submit(actor=world.staff, selection=r)
    url = reverse("proposal_detail", args=[p.pk])
    assert 'data-testid="selection-round"' not in get(client, world.staff, url).content.decode()  # not yet
    client.force_login(world.staff)
    data = {"document_number": "示政协〔2025〕12号", "decided_on": "2025-09-20", "version": r.version}
    assert client.post(reverse("selection_approval", args=[r.pk]), data).status_code == 302
    page = get(client, world.staff, url).content.decode()
    assert '<span class="badge ok">优秀提案</span>' in page
    assert "优秀提案 · <a " in page
    assert "2025年优秀提案评选</a> 示政协〔2025〕12号" in page
    page = get(client, world.member, url).content.decode()
    assert "优秀提案 · 2025年优秀提案评选 示政协〔2025〕12号" in page


def test_detail_of_a_key_proposal_costs_one_query_more(
    client, world, django_assert_num_queries, django_assert_max_num_queries
):
    _r, key, _struck = approved_key_round(world)
    plain = replied(world)
    client.force_login(world.staff)
    client.get(reverse("proposal_detail", args=[plain.pk]))
    with django_assert_max_num_queries(DETAIL_QUERIES) as few:
        client.get(reverse("proposal_detail", args=[plain.pk]))
    with django_assert_max_num_queries(len(few.captured_queries) + 1):
        r = client.get(reverse("proposal_detail", args=[key.pk]))
    assert 'data-testid="selection-round"' in r.content.decode()
