"""The proposals API: each endpoint for the right actor, and refused for the wrong role (403), another unit or
council (404), anonymous callers (401), the wrong state or a stale version (409) and a bad body (400), with
nothing written; the whole loop run through the API alone; the list's query count."""

from __future__ import annotations

import pytest
from django.test import Client

from yizheng.org.services_tokens import api_token_issue
from yizheng.proposals import services as s
from yizheng.proposals.models import DEFAULT_DECLINE_REASONS, Assignment

from .conftest import (
    assignment,
    draft,
    drafted_reply,
    evaluation_of,
    filed,
    handling,
    joint_draft,
    refresh,
    replied,
    submitted,
)
from .conftest import db_state as all_rows

pytestmark = pytest.mark.django_db

API = "/api/v1"


def db_state() -> dict[str, list]:
    """Every tracked table, leaving out the sign-in events the test clients cause."""
    rows = all_rows()
    rows["Event"] = [e for e in rows["Event"] if not e["action"].startswith("auth.")]
    return rows


def as_user(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def post(user, path: str, body: dict | None = None, method: str = "post"):
    return getattr(as_user(user), method)(API + path, body or {}, content_type="application/json")


def get(user, path: str, **params):
    return as_user(user).get(API + path, params)


def ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.content.decode()
    return response.json()


def refused(response, status: int, before: dict) -> dict:
    assert response.status_code == status, response.content.decode()
    body = response.json()
    assert set(body) == {"detail", "errors"}
    assert body["detail"]
    assert db_state() == before
    return body


# --- anonymous ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/proposals"),
        ("get", "/proposals/1"),
        ("get", "/proposals/1/timeline"),
        ("get", "/proposals/review-queue"),
        ("get", "/units/me/inbox"),
        ("get", "/replies/to-review"),
        ("get", "/cosignatures/mine"),
        ("get", "/evaluations/due"),
        ("get", "/followups"),
        ("post", "/proposals"),
        ("post", "/proposals/1/actions/submit"),
        ("post", "/assignments/1/actions/record_contact"),
        ("post", "/replies/1/actions/review"),
        ("post", "/evaluations/1/actions/evaluate"),
        ("post", "/proposals/assign-batch"),
    ],
)
def test_anonymous_gets_401(db, method, path):
    response = getattr(Client(), method)(API + path, {}, content_type="application/json")
    assert response.status_code == 401
    assert response.json()["detail"] == "请先登录,或提供有效的接口令牌"


# --- lists and detail -------------------------------------------------------------------------------------------


def test_list_is_scoped_and_filtered(world):
    mine = draft(world)
    p = handling(world)
    other = filed(world)
    s.proposal_set_key(actor=world.staff, proposal=other, is_key=True)
    body = ok(get(world.staff, "/proposals"))
    assert {row["id"] for row in body["items"]} == {p.pk, other.pk}  # never-submitted drafts stay private
    assert body["count"] == 2
    assert body["limit"] == 50
    assert body["offset"] == 0
    assert [r["id"] for r in ok(get(world.staff, "/proposals", state="handling"))["items"]] == [p.pk]
    assert [r["id"] for r in ok(get(world.staff, "/proposals", is_key="true"))["items"]] == [other.pk]
    unit_rows = ok(get(world.staff, "/proposals", unit=world.lead_unit.pk))["items"]
    assert [r["id"] for r in unit_rows] == [p.pk]
    assert unit_rows[0]["submitter"] == "张委员"
    assert unit_rows[0]["is_overdue"] is False
    assert ok(get(world.staff, "/proposals", q="普惠托育"))["count"] == 2
    assert ok(get(world.staff, "/proposals", year=1999))["count"] == 0
    assert {r["id"] for r in ok(get(world.member, "/proposals"))["items"]} == {mine.pk, p.pk, other.pk}
    assert [r["id"] for r in ok(get(world.lead_liaison, "/proposals"))["items"]] == [p.pk]
    assert ok(get(world.stranger_liaison, "/proposals"))["count"] == 0
    assert ok(get(world.other_staff, "/proposals"))["count"] == 0


def test_list_filter_with_a_bad_value_is_400(world):
    body = get(world.staff, "/proposals", state="nonsense").json()
    assert "state" in body["errors"]
    assert get(world.staff, "/proposals", year="x").status_code == 400


def test_overdue_filter(world, clock):
    p = handling(world)
    clock.advance(200)
    rows = ok(get(world.staff, "/proposals", overdue="true"))["items"]
    assert [r["id"] for r in rows] == [p.pk]
    assert rows[0]["is_overdue"] is True


def test_list_query_count_does_not_grow_with_rows(world, django_assert_max_num_queries):
    for _ in range(3):
        handling(world)
    client = as_user(world.staff)
    client.get(API + "/proposals")  # warm the session
    with django_assert_max_num_queries(8) as few:
        ok(client.get(API + "/proposals"))
    for _ in range(6):
        handling(world)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert ok(client.get(API + "/proposals"))["count"] == 9


def test_detail_shows_parts_by_who_asks(world):
    p = handling(world)
    reply = drafted_reply(world, p)
    staff_view = ok(get(world.staff, f"/proposals/{p.pk}"))
    assert staff_view["case_label"] == "第0001号"
    assert staff_view["state"] == "handling"
    assert {a["unit"]["name"] for a in staff_view["assignments"]} == {"市教育局", "市财政局"}
    assert [r["id"] for r in staff_view["replies"]] == [reply.pk]  # the draft, for council readers
    assert "set_key" in staff_view["allowed_actions"]
    assert "submit" not in staff_view["allowed_actions"]
    assert staff_view["submitters"] == [
        {"source_id": p.pk, "member": {"id": world.member_a.pk, "name": "张委员"}, "label": "张委员"}
    ]
    member_view = ok(get(world.member, f"/proposals/{p.pk}"))
    assert member_view["replies"] == []  # drafts are the unit's business
    assert member_view["allowed_actions"] == []
    assert "draft_reply" in ok(get(world.lead_liaison, f"/proposals/{p.pk}"))["allowed_actions"]


@pytest.mark.parametrize("who", ["stranger_liaison", "other_staff", "other_member", "member_b_user"])
def test_detail_outside_scope_is_404(world, who):
    p = handling(world)
    response = get(getattr(world, who), f"/proposals/{p.pk}")
    assert response.status_code == 404
    assert response.json()["detail"] == "未找到该记录"
    assert get(getattr(world, who), f"/proposals/{p.pk}/timeline").status_code == 404


def test_timeline_newest_first(world):
    p = filed(world)
    rows = ok(get(world.staff, f"/proposals/{p.pk}/timeline"))["items"]
    assert [r["action"] for r in rows] == ["proposal.file", "proposal.submit", "proposal.create"]
    assert rows[0]["from_state"] == "submitted"
    assert rows[0]["to_state"] == "filed"


# --- drafting -----------------------------------------------------------------------------------------------------


def test_member_creates_and_edits_a_draft(world):
    created = ok(
        post(world.member, "/proposals", {"council": world.council.pk, "title": "关于加强养老服务的提案",
             "suggestions": "<p>建议</p><script>x</script>", "category": world.category.pk}),
        201,
    )  # fmt: skip
    # The create answer is slim (a client creating many drafts reads the rest only when it needs it).
    assert set(created) == {"id", "state", "version", "links"}
    assert created["state"] == "draft"
    assert created["links"]["submit"] == f"{API}/proposals/{created['id']}/actions/submit"
    body = ok(get(world.member, created["links"]["self"].removeprefix(API)))
    assert body["version"] == created["version"]
    assert body["suggestions"] == "<p>建议</p>"
    assert body["category"]["id"] == world.category.pk
    assert body["allowed_actions"][0] == "edit"
    patched = ok(post(world.member, f"/proposals/{body['id']}", {"expected_version": body["version"],
                 "title": "关于加强社区养老服务的提案"}, "patch"))  # fmt: skip
    assert patched["version"] == body["version"] + 1


def test_collective_agent_creates_for_their_organization(world):
    created = ok(post(world.agent, "/proposals", {"council": world.council.pk, "title": "关于集体的提案",
                 "kind": "collective", "organization": world.organization.pk}), 201)  # fmt: skip
    body = ok(get(world.agent, f"/proposals/{created['id']}"))
    assert body["kind"] == "collective"
    assert body["organization"]["name"] == "民盟示例市委"


def test_create_refusals(world):
    before = db_state()
    refused(post(world.member, "/proposals", {"council": world.council.pk, "title": " "}), 400, before)
    body = refused(post(world.member, "/proposals", {"council": world.council.pk}), 400, before)
    assert "title" in body["errors"]
    body = refused(
        post(world.member, "/proposals", {"council": world.council.pk, "title": "关于", "category": 999999}),
        400,
        before,
    )
    assert body["errors"] == {"category": ["请选择本会的提案分类"]}
    refused(
        post(world.member, "/proposals", {"council": world.other_council.pk, "title": "关于"}), 404, before
    )
    refused(post(world.staff, "/proposals", {"council": world.council.pk, "title": "关于"}), 403, before)
    refused(
        post(world.lead_liaison, "/proposals", {"council": world.council.pk, "title": "关于"}), 403, before
    )


def test_patch_refusals(world):
    p = draft(world)
    before = db_state()
    path = f"/proposals/{p.pk}"
    refused(
        post(world.member, path, {"expected_version": p.version - 1, "title": "新"}, "patch"), 409, before
    )
    refused(post(world.member, path, {"title": "新"}, "patch"), 400, before)  # the version is required
    refused(post(world.member_b_user, path, {"expected_version": p.version}, "patch"), 404, before)
    sub = submitted(world)
    before = db_state()
    refused(post(world.member, f"/proposals/{sub.pk}", {"expected_version": sub.version, "title": "新"}, "patch"),
            409, before)  # fmt: skip
    refused(post(world.staff, f"/proposals/{sub.pk}", {"expected_version": sub.version, "title": "新"}, "patch"),
            403, before)  # fmt: skip


# --- proposal actions -----------------------------------------------------------------------------------------------


def act(user, p, verb: str, **body):
    body.setdefault("expected_version", refresh(p).version)
    return post(user, f"/proposals/{p.pk}/actions/{verb}", body)


def test_submit_and_its_refusals(world):
    p = draft(world)
    before = db_state()
    refused(act(world.member, p, "submit", expected_version=p.version + 5), 409, before)
    refused(act(world.staff, p, "submit"), 404, before)  # staff never see unsubmitted drafts
    refused(act(world.member_b_user, p, "submit"), 404, before)
    refused(post(world.member, f"/proposals/{p.pk}/actions/submit", {}), 400, before)
    assert ok(act(world.member, p, "submit"))["state"] == "submitted"
    before = db_state()
    refused(act(world.member, p, "submit"), 409, before)  # double submit
    refused(act(world.lead_liaison, p, "file"), 404, before)


def test_review_actions(world):
    p = submitted(world)
    before = db_state()
    refused(act(world.general_staff, p, "file"), 403, before)  # may read, not review
    refused(act(world.member, p, "file"), 403, before)
    refused(act(world.other_staff, p, "file"), 404, before)
    body = refused(act(world.staff, p, "file", category=999999), 400, before)
    assert body["errors"] == {"category": ["请选择本会的提案分类"]}
    filed_p = ok(act(world.staff, p, "file", category=world.category.pk))
    assert filed_p["state"] == "filed"
    assert filed_p["case_number"] == 1
    before = db_state()
    refused(act(world.staff, p, "return_for_revision", comments="补充"), 409, before)

    q = submitted(world)
    assert ok(act(world.staff, q, "return_for_revision", comments="请补充数据"))["state"] == "draft"
    r = submitted(world)
    before = db_state()
    refused(act(world.staff, r, "decline", reason="不在列表中", disposition="archive"), 400, before)
    refused(act(world.staff, r, "decline", reason=DEFAULT_DECLINE_REASONS[6], disposition="x"), 400, before)
    declined = ok(
        act(world.staff, r, "decline", reason=DEFAULT_DECLINE_REASONS[6], disposition="to_opinion_report")
    )
    assert declined["state"] == "not_filed"
    assert ok(act(world.member, r, "conversion_consent", consent=True))["state"] == "not_filed"
    before = db_state()
    refused(act(world.member, r, "convert_to_opinion"), 403, before)
    refused(act(world.staff, r, "convert_to_opinion", expected_version=1), 409, before)
    ok(act(world.staff, r, "convert_to_opinion"))
    assert refresh(r).conversion_requested_at is not None

    w = submitted(world)
    assert ok(act(world.member, w, "withdraw", reason="另行提出"))["state"] == "withdrawn"


def test_merge(world):
    primary = submitted(world)
    other = submitted(world)
    before = db_state()
    body = refused(act(world.staff, primary, "merge", merged=[999999]), 400, before)
    assert "merged" in body["errors"]
    refused(act(world.staff, primary, "merge", merged=[]), 400, before)
    ok(act(world.staff, primary, "merge", merged=[other.pk], note="同一主题"))
    assert refresh(other).state == "merged"
    assert refresh(other).merged_into_id == primary.pk


def test_assign_and_marks(world, make_user):
    p = filed(world)
    before = db_state()
    refused(act(world.staff, p, "assign", lead_unit=999999), 400, before)
    refused(act(world.staff, p, "assign", co_units=[world.co_unit.pk]), 400, before)  # no lead unit
    refused(act(world.lead_liaison, p, "assign", lead_unit=world.lead_unit.pk), 404, before)
    refused(act(world.staff, p, "assign", lead_unit=world.lead_unit.pk, months=99), 400, before)
    body = ok(act(world.staff, p, "assign", lead_unit=world.lead_unit.pk, co_units=[world.co_unit.pk],
                  is_key=True, supervising_leaders=[world.leader.pk]))  # fmt: skip
    assert body["state"] == "handling"
    assert body["is_key"] is True
    assert ok(act(world.staff, p, "set_key", is_key=False))["is_key"] is False
    assert ok(act(world.staff, p, "set_public", is_public=True))["is_public"] is True
    before = db_state()
    refused(act(world.staff, p, "set_public", is_public=False, expected_version=1), 409, before)
    refused(act(world.member, p, "mark_excellent", reason="更正"), 403, before)
    refused(
        act(world.staff, p, "mark_excellent", is_excellent=True), 400, before
    )  # only the excellent round awards
    refused(act(world.staff, p, "rehandle"), 409, db_state())
    refused(act(world.staff, p, "close"), 409, db_state())


def test_assign_batch_is_all_or_nothing(world):
    a, b = filed(world), filed(world)
    items = [
        {"proposal": a.pk, "expected_version": a.version, "lead_unit": world.lead_unit.pk},
        {"proposal": b.pk, "expected_version": b.version, "lead_unit": world.lead_unit.pk, "months": 99},
    ]
    before = db_state()
    refused(post(world.staff, "/proposals/assign-batch", {"items": items}), 400, before)
    refused(post(world.member, "/proposals/assign-batch", {"items": items[:1]}), 403, before)
    refused(post(world.staff, "/proposals/assign-batch", {"items": []}), 400, before)
    items[1].pop("months")
    rows = ok(post(world.staff, "/proposals/assign-batch", {"items": items}))
    assert [r["state"] for r in rows] == ["handling", "handling"]


def test_cosign_invite_and_responses(world):
    p = draft(world, kind="joint")
    before = db_state()
    refused(act(world.member, p, "cosign_invite", members=[999999]), 400, before)
    refused(
        act(world.member, p, "cosign_invite", members=[world.member_b.pk], expected_version=9), 409, before
    )
    ok(act(world.member, p, "cosign_invite", members=[world.member_b.pk, world.member_c.pk]))
    invitations = ok(get(world.member_b_user, "/cosignatures/mine"))["items"]
    assert len(invitations) == 1
    assert invitations[0]["proposal"]["id"] == p.pk
    cid = invitations[0]["id"]
    before = db_state()
    refused(post(world.member_c_user, f"/cosignatures/{cid}/actions/accept"), 403, before)
    refused(post(world.other_member, f"/cosignatures/{cid}/actions/accept"), 404, before)
    refused(get(world.staff, "/cosignatures/mine"), 403, before)
    assert ok(post(world.member_b_user, f"/cosignatures/{cid}/actions/accept"))["status"] == "accepted"
    c_id = ok(get(world.member_c_user, "/cosignatures/mine"))["items"][0]["id"]
    assert ok(post(world.member_c_user, f"/cosignatures/{c_id}/actions/decline"))["status"] == "declined"
    refused(post(world.member_c_user, f"/cosignatures/{c_id}/actions/accept"), 404, db_state())
    assert ok(post(world.member, f"/cosignatures/{cid}/actions/withdraw"))["status"] == "withdrawn"


# --- units' work -------------------------------------------------------------------------------------------------


def test_unit_actions(world, clock):
    p = handling(world)
    lead, co = assignment(p, world.lead_unit), assignment(p, world.co_unit)
    path = f"/assignments/{lead.pk}/actions"
    before = db_state()
    ext_body = {"reason": "x", "requested_deadline": "2026-01-31"}
    refused(post(world.co_liaison, f"{path}/request_extension", ext_body), 404, before)  # another unit's part
    refused(post(world.co_liaison, f"/assignments/{co.pk}/actions/request_extension", ext_body), 403, before)
    refused(post(world.staff, f"{path}/request_extension", ext_body), 403, before)
    refused(post(world.stranger_liaison, f"{path}/record_contact", {}), 400, before)
    refused(post(world.stranger_liaison, f"{path}/record_contact",
                 {"date": "2025-09-01", "method": "phone", "summary": "电话沟通"}), 404, before)  # fmt: skip
    refused(post(world.other_liaison, f"{path}/record_contact",
                 {"date": "2025-09-01", "method": "phone", "summary": "电话沟通"}), 404, before)  # fmt: skip
    refused(post(world.lead_liaison, f"{path}/record_contact",
                 {"date": "2025-09-01", "method": "phone", "summary": " "}), 400, before)  # fmt: skip
    contact = ok(post(world.lead_liaison, f"{path}/record_contact", {"date": "2025-09-01", "method": "visit",
                      "summary": "上门走访", "members_met": [world.member_a.pk]}), 201)  # fmt: skip
    assert contact["method"] == "visit"
    adj = ok(post(world.lead_liaison, f"{path}/request_adjustment", {"reason": "不属于本单位职责"}), 201)
    assert adj["status"] == "pending"
    assert [r["id"] for r in ok(get(world.staff, "/adjustment-requests"))["items"]] == [adj["id"]]
    refused(post(world.lead_liaison, f"/adjustment-requests/{adj['id']}/actions/decide", {"grant": False}), 403,
            db_state())  # fmt: skip
    assert ok(post(world.staff, f"/adjustment-requests/{adj['id']}/actions/decide", {"grant": False, "note": "属本单位职责"}))[
        "status"] == "refused"  # fmt: skip
    ext = ok(post(world.lead_liaison, f"{path}/request_extension",
                  {"reason": "需调研", "requested_deadline": "2026-01-30"}), 201)  # fmt: skip
    refused(post(world.other_staff, f"/extension-requests/{ext['id']}/actions/decide", {"grant": True}), 404,
            db_state())  # fmt: skip
    granted = ok(post(world.staff, f"/extension-requests/{ext['id']}/actions/decide", {"grant": True}))
    assert granted["status"] == "granted"
    assert granted["granted_deadline"] == "2026-01-30"
    opinion = ok(
        post(world.co_liaison, f"/assignments/{co.pk}/actions/co_opinion", {"opinion": "同意主办意见"})
    )
    assert opinion["opinion"] == "同意主办意见"
    refused(post(world.lead_liaison, f"/assignments/{co.pk}/actions/co_opinion", {"opinion": "x"}), 404,
            db_state())  # fmt: skip


def test_reply_countersign_review_and_evaluate(world):
    p = handling(world)
    lead = assignment(p, world.lead_unit)
    path = f"/assignments/{lead.pk}/actions/draft_reply"
    before = db_state()
    bad = {"result": "B", "commitments": [{"text": "没有时限"}]}
    body = refused(post(world.lead_liaison, path, bad), 400, before)
    assert "due" in body["errors"]
    refused(post(world.lead_liaison, path, {"result": "A", "expected_version": 1}), 409, before)
    refused(post(world.co_liaison, path, {"result": "A"}), 404, before)  # another unit's part
    co_path = f"/assignments/{assignment(p, world.co_unit).pk}/actions/draft_reply"
    refused(post(world.co_liaison, co_path, {"result": "A"}), 403, before)  # co units do not answer
    reply = ok(post(world.lead_liaison, path, {"result": "B", "body": "<p>答复</p>",
                    "commitments": [{"text": "年底前新增托位", "due": "2026-12-31"}]}))  # fmt: skip
    rid = reply["id"]
    refused(post(world.lead_liaison, f"/replies/{rid}/actions/countersign", {"sign": True}), 403, db_state())
    sub = ok(post(world.lead_liaison, f"/replies/{rid}/actions/submit", {}))
    assert sub["status"] == "countersigning"
    refused(post(world.lead_liaison, f"/replies/{rid}/actions/submit", {}), 409, db_state())
    refused(post(world.supervisor, f"/replies/{rid}/actions/review", {"approve": True}), 409, db_state())
    signed = ok(post(world.co_liaison, f"/replies/{rid}/actions/countersign", {"sign": True}))
    assert signed["status"] == "signed"
    assert [r["id"] for r in ok(get(world.supervisor, "/replies/to-review"))["items"]] == [rid]
    refused(get(world.member, "/replies/to-review"), 403, db_state())
    refused(post(world.lead_liaison, f"/replies/{rid}/actions/review", {"approve": True}), 403, db_state())
    refused(post(world.supervisor, f"/replies/{rid}/actions/review", {}), 400, db_state())
    assert (
        ok(post(world.supervisor, f"/replies/{rid}/actions/review", {"approve": True}))["status"]
        == "approved"
    )
    assert refresh(p).state == "replied"

    due = ok(get(world.member, "/evaluations/due"))["items"]
    assert len(due) == 1
    assert due[0]["unit"]["name"] == "市教育局"
    eid = due[0]["id"]
    body = {"work_rating": "satisfied", "result_rating": "satisfied"}
    refused(post(world.lead_liaison, f"/evaluations/{eid}/actions/evaluate", body), 403, db_state())
    refused(get(world.lead_liaison, "/evaluations/due"), 403, db_state())
    refused(
        post(world.member, f"/evaluations/{eid}/actions/evaluate", {"work_rating": "great"}), 400, db_state()
    )
    assert ok(post(world.member, f"/evaluations/{eid}/actions/evaluate", body))["status"] == "rated"
    refused(post(world.member, f"/evaluations/{eid}/actions/evaluate", body), 409, db_state())


def test_staff_records_a_paper_evaluation(world):
    p = replied(world)
    e = evaluation_of(p, world.member_a)
    body = {"work_rating": "satisfied", "result_rating": "basically_satisfied", "on_paper": True}
    refused(post(world.supervisor, f"/evaluations/{e.pk}/actions/evaluate", body), 403, db_state())
    assert ok(post(world.staff, f"/evaluations/{e.pk}/actions/evaluate", body))["on_paper"] is True


def test_unit_inbox_buckets(world):
    handling(world)
    handling(world)
    body = ok(get(world.lead_liaison, "/units/me/inbox", limit=1))
    assert body["new"]["count"] == 2
    assert len(body["new"]["items"]) == 1
    assert body["new"]["items"][0]["unit"]["name"] == "市教育局"
    assert {k: v["count"] for k, v in body.items()} == {"new": 2, "handling": 0, "due_soon": 0, "overdue": 0,
                                                       "rehandle": 0}  # fmt: skip
    assert ok(get(world.stranger_liaison, "/units/me/inbox"))["new"]["count"] == 0
    refused(get(world.member, "/units/me/inbox"), 403, db_state())
    refused(get(world.member, "/proposals/review-queue"), 403, db_state())
    submitted(world)
    assert ok(get(world.staff, "/proposals/review-queue"))["count"] == 1


def test_token_auth_works_like_the_session(world):
    _token, key = api_token_issue(actor=None, user=world.member, name="集成测试")
    client = Client(headers={"authorization": f"Bearer {key}"})
    response = client.post(API + "/proposals", {"council": world.council.pk, "title": "关于令牌的提案",
                           "suggestions": "<p>建议</p>"}, content_type="application/json")  # fmt: skip
    assert response.status_code == 201
    pid = response.json()["id"]
    response = client.post(API + f"/proposals/{pid}/actions/submit", {"expected_version": 1},
                           content_type="application/json")  # fmt: skip
    assert response.json()["state"] == "submitted"


def test_session_writes_need_csrf(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.member)
    response = client.post(API + "/proposals", {"council": world.council.pk, "title": "关于"},
                           content_type="application/json")  # fmt: skip
    assert response.status_code == 403


# --- the whole loop through the API alone ------------------------------------------------------------------------


def test_full_loop_through_the_api(world):
    created = ok(post(world.member, "/proposals", {"council": world.council.pk, "title": "关于发展托育的提案",
                      "reason": "<p>案由</p>", "suggestions": "<p>建议</p>", "category": world.category.pk}),
                 201)  # fmt: skip
    pid = created["id"]

    def version():
        return ok(get(world.staff if created.get("submitted") else world.member, f"/proposals/{pid}"))[
            "version"
        ]

    def run(user, verb, **body):
        body["expected_version"] = ok(get(user, f"/proposals/{pid}"))["version"]
        return ok(post(user, f"/proposals/{pid}/actions/{verb}", body))

    assert ok(post(world.member, f"/proposals/{pid}/actions/submit", {"expected_version": created["version"]}))[
        "state"] == "submitted"  # fmt: skip
    assert run(world.staff, "file", category=world.category.pk)["case_number"] == 1
    assert (
        run(world.staff, "assign", lead_unit=world.lead_unit.pk, co_units=[world.co_unit.pk])["state"]
        == "handling"
    )
    detail = ok(get(world.lead_liaison, f"/proposals/{pid}"))
    lead_id = next(a["id"] for a in detail["assignments"] if a["role"] == "lead")
    co_id = next(a["id"] for a in detail["assignments"] if a["role"] == "co")
    ok(
        post(
            world.lead_liaison,
            f"/assignments/{lead_id}/actions/record_contact",
            {
                "date": "2025-09-01",
                "method": "meeting",
                "summary": "座谈",
                "members_met": [world.member_a.pk],
            },
        ),
        201,
    )
    ok(post(world.co_liaison, f"/assignments/{co_id}/actions/co_opinion", {"opinion": "协办意见"}))
    reply = ok(post(world.lead_liaison, f"/assignments/{lead_id}/actions/draft_reply", {"result": "B",
                    "body": "<p>答复</p>", "commitments": [{"text": "新增托位", "due": "2026-06-30"}]}))  # fmt: skip
    ok(post(world.lead_liaison, f"/replies/{reply['id']}/actions/submit", {}))
    ok(post(world.co_liaison, f"/replies/{reply['id']}/actions/countersign", {"sign": True}))
    ok(post(world.supervisor, f"/replies/{reply['id']}/actions/review", {"approve": True}))
    detail = ok(get(world.member, f"/proposals/{pid}"))
    assert detail["state"] == "replied"
    assert [r["status"] for r in detail["replies"]] == ["approved"]
    eid = detail["evaluations"][0]["id"]
    ok(post(world.member, f"/evaluations/{eid}/actions/evaluate",
            {"work_rating": "satisfied", "result_rating": "satisfied", "consulted": True}))  # fmt: skip
    assert run(world.staff, "close")["state"] == "closed"
    followups = ok(get(world.lead_liaison, "/followups"))["items"]
    assert [f["title"] for f in followups] == ["新增托位"]
    timeline = [e["action"] for e in ok(get(world.staff, f"/proposals/{pid}/timeline", limit=200))["items"]]
    assert timeline[0] == "proposal.close"
    assert timeline[-1] == "proposal.create"
    assert Assignment.objects.filter(proposal_id=pid).count() == 2


def test_rehandle_through_the_api(world):
    p = replied(world)
    e = evaluation_of(p, world.member_a)
    ok(post(world.member, f"/evaluations/{e.pk}/actions/evaluate",
            {"work_rating": "dissatisfied", "result_rating": "dissatisfied"}))  # fmt: skip
    refused(act(world.staff, p, "close"), 409, db_state())
    assert ok(act(world.staff, p, "rehandle", note="重新办理"))["state"] == "rehandling"
    assert (
        ok(act(world.staff, p, "rehandle") if False else get(world.staff, f"/proposals/{p.pk}"))["round"] == 2
    )


def test_joint_draft_helper_visible_to_invited(world):
    p = joint_draft(world, accept=False)
    assert ok(get(world.member_c_user, f"/proposals/{p.pk}"))["id"] == p.pk
