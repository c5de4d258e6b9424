"""The selection API: the whole key round and the whole excellent round through the API alone, and refusals —
anonymous 401, wrong role 403, another council 404, wrong state and stale version 409, bad body and full quota
400 — each with nothing written."""

from __future__ import annotations

import pytest
from django.test import Client

from yizheng.audit.models import Event
from yizheng.org.models import Office, Role
from yizheng.org.tests.factories import CouncilFactory
from yizheng.proposals import models as m
from yizheng.proposals import services as s

from .conftest import filed, handling, refresh, replied

pytestmark = pytest.mark.django_db

API = "/api/v1"


def snapshot() -> dict:
    rows = {
        model.__name__: list(model.objects.order_by("pk").values())
        for model in (m.Selection, m.Nomination, m.Proposal)
    }
    rows["Event"] = list(Event.objects.exclude(action__startswith="auth.").order_by("pk").values())
    return rows


def call(user, path: str, body: dict | None = None, method: str = "post"):
    client = Client()
    if user is not None:
        client.force_login(user)
    if method == "get":
        return client.get(API + path)
    return client.post(API + path, body or {}, content_type="application/json")


def ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.content.decode()
    return response.json()


def refused(response, status: int, before: dict) -> dict:
    assert response.status_code == status, response.content.decode()
    body = response.json()
    assert body["detail"]
    assert snapshot() == before
    return body


def open_round(w, kind: str = "key") -> dict:
    return ok(call(w.staff, "/selections", {"council": w.council.pk, "year": 2025, "kind": kind}), 201)


def test_key_round_through_the_api(world):
    a, b = handling(world), filed(world)
    r = open_round(world)
    assert r["state"] == "shortlisting"
    assert r["allowed_actions"] == ["nominate", "withdraw_nomination", "start_review"]
    rid = r["id"]
    r = ok(call(world.staff, f"/selections/{rid}/nominations", {"expected_version": r["version"], "proposal": a.pk,
           "reason": "民生实事", "suggested_leaders": [world.leader.pk], "lead_unit_note": "市教育局牵头"}), 201)  # fmt: skip
    r = ok(call(world.staff, f"/selections/{rid}/nominations", {"expected_version": r["version"], "proposal": b.pk,
           "reason": "社会关注"}), 201)  # fmt: skip
    assert [n["proposal"] for n in r["nominations"]] == [a.pk, b.pk]
    assert r["nominations"][0]["suggested_leaders"] == [world.leader.pk]
    assert r["nominations"][0]["case_label"] == "第0001号"
    r = ok(call(world.staff, f"/selections/{rid}/actions/start_review", {"expected_version": r["version"]}))
    assert r["state"] == "reviewing"
    for n, decision in zip(r["nominations"], ["selected", "rejected"], strict=True):
        r = ok(call(world.staff, f"/selections/{rid}/nominations/{n['id']}/actions/decide",
                    {"expected_version": r["version"], "decision": decision, "opinion": "委员会意见"}))  # fmt: skip
    r = ok(call(world.staff, f"/selections/{rid}/actions/submit", {"expected_version": r["version"]}))
    assert r["state"] == "submitted"
    r = ok(call(world.leader, f"/selections/{rid}", method="get"))
    assert set(r["allowed_actions"]) == {"approve", "send_back"}
    r = ok(call(world.leader, f"/selections/{rid}/actions/approve", {"expected_version": r["version"],
           "meeting_name": "六届主席会议第十二次会议", "decided_on": "2025-09-20",
           "document_number": "示政协〔2025〕9号"}))  # fmt: skip
    assert r["state"] == "approved"
    assert r["meeting_name"] == "六届主席会议第十二次会议"
    assert r["document_number"] == "示政协〔2025〕9号"
    assert refresh(a).is_key
    assert not refresh(b).is_key
    assert list(refresh(a).supervising_leaders.all()) == [world.leader]
    listed = ok(call(world.leader, "/selections", method="get"))
    assert [x["id"] for x in listed["items"]] == [rid]


def test_excellent_round_and_quota_through_the_api(world):
    s.proposal_settings_update(actor=world.staff, council=world.council, data={"excellent_quota": 1})
    a, b = replied(world), replied(world)
    r = open_round(world, "excellent")
    rid = r["id"]
    for p in (a, b):
        r = ok(call(world.staff, f"/selections/{rid}/nominations", {"expected_version": r["version"],
               "proposal": p.pk, "reason": "建议被采纳", "source": "unit", "source_name": "市教育局"}), 201)  # fmt: skip
    r = ok(call(world.staff, f"/selections/{rid}/actions/start_review", {"expected_version": r["version"]}))
    assert r["quota"] == 1
    na, nb = r["nominations"]
    r = ok(call(world.staff, f"/selections/{rid}/nominations/{na['id']}/actions/decide",
                {"expected_version": r["version"], "decision": "selected", "score": "91.5"}))  # fmt: skip
    before = snapshot()
    body = refused(call(world.staff, f"/selections/{rid}/nominations/{nb['id']}/actions/decide",
                        {"expected_version": r["version"], "decision": "selected", "score": 90}), 400, before)  # fmt: skip
    assert "名额" in body["detail"]
    r = ok(call(world.staff, f"/selections/{rid}/nominations/{nb['id']}/actions/decide",
                {"expected_version": r["version"], "decision": "rejected", "opinion": "名额已满"}))  # fmt: skip
    r = ok(call(world.staff, f"/selections/{rid}/actions/submit", {"expected_version": r["version"]}))
    r = ok(call(world.staff, f"/selections/{rid}/actions/announce", {"expected_version": r["version"],
           "document_number": "示政协〔2025〕12号", "decided_on": "2025-12-20"}))  # fmt: skip
    assert r["state"] == "announced"
    assert r["nominations"][0]["score"] == "91.5"
    assert refresh(a).is_excellent
    assert not refresh(b).is_excellent


def test_refusals(world, make_user):
    p = filed(world)
    r = open_round(world)
    rid = r["id"]
    path = f"/selections/{rid}/nominations"
    body = {"expected_version": r["version"], "proposal": p.pk, "reason": "理由"}
    before = snapshot()
    assert call(None, path, body).status_code == 401
    assert snapshot() == before
    refused(call(world.leader, path, body), 403, before)
    county_staff = make_user(
        Role.STAFF, CouncilFactory(parent=world.council, level="county"), office=Office.PROPOSAL
    )
    for outsider in (world.member, world.lead_liaison, world.supervisor, world.other_staff, county_staff):
        refused(call(outsider, path, body), 404, before)
        refused(call(outsider, f"/selections/{rid}", method="get"), 404, before)
    refused(call(world.other_staff, "/selections", {"council": world.council.pk, "year": 2025, "kind": "key"}),
            404, before)  # fmt: skip
    refused(call(world.leader, "/selections", {"council": world.council.pk, "year": 2025, "kind": "excellent"}),
            403, before)  # fmt: skip
    refused(
        call(world.staff, "/selections", {"council": world.council.pk, "year": 2025, "kind": "key"}),
        409,
        before,
    )
    refused(call(world.staff, path, body | {"reason": ""}), 400, before)
    refused(call(world.staff, path, body | {"suggested_leaders": [world.member.pk]}), 400, before)
    refused(call(world.staff, path, body | {"expected_version": r["version"] + 5}), 409, before)
    refused(
        call(world.staff, f"/selections/{rid}/actions/submit", {"expected_version": r["version"]}),
        409,
        before,
    )
    ok(call(world.staff, path, body), 201)
    before = snapshot()
    refused(call(world.staff, path, body), 409, before)  # double submit: the version moved on
