"""The follow-ups API: the list and one item for owners and council staff, start and complete (销号) by the owner
or staff; another unit or council 404, a member 403, anonymous 401, stale version and done items 409, missing
evidence 400 — with nothing written."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from yizheng.followups import services as s
from yizheng.followups.models import FollowUp
from yizheng.org.models import Office, Role
from yizheng.org.tests.factories import UnitFactory

pytestmark = pytest.mark.django_db

API = "/api/v1"


@pytest.fixture
def setting(council, other_council, make_user):
    unit = UnitFactory(council=council, name="市教育局")
    other_unit = UnitFactory(council=council, name="市财政局")
    staff = make_user(Role.STAFF, council, office=Office.PROPOSAL)
    item = s.followup_create(actor=staff, council=council, source=unit, title="年底前新增托位2000个",
                             due_date=dt.date(2030, 12, 31), owner_unit=unit)  # fmt: skip
    return {
        "item": item,
        "staff": staff,
        "liaison": make_user(Role.UNIT_LIAISON, council, unit=unit),
        "other_liaison": make_user(Role.UNIT_LIAISON, council, unit=other_unit),
        "member": make_user(Role.MEMBER, council),
        "leader": make_user(Role.LEADER, council),
        "foreign_staff": make_user(Role.STAFF, other_council),
    }


def call(user, path: str, body: dict | None = None, method: str = "post"):
    client = Client()
    if user is not None:
        client.force_login(user)
    if method == "get":
        return client.get(API + path, body or {})
    return client.post(API + path, body or {}, content_type="application/json")


def rows() -> list:
    return list(FollowUp.objects.order_by("pk").values())


def test_list_and_detail_are_scoped(setting):
    item = setting["item"]
    for who in ("staff", "liaison"):
        body = call(setting[who], "/followups", method="get").json()
        assert [r["id"] for r in body["items"]] == [item.pk]
        assert body["items"][0]["owner_unit"]["name"] == "市教育局"
        assert call(setting[who], f"/followups/{item.pk}", method="get").json()["status"] == "open"
    for who in ("other_liaison", "foreign_staff", "member"):
        assert call(setting[who], "/followups", method="get").json()["count"] == 0
        assert call(setting[who], f"/followups/{item.pk}", method="get").status_code == 404
    assert call(None, "/followups", method="get").status_code == 401
    assert call(setting["staff"], "/followups", {"status": "done"}, "get").json()["count"] == 0
    assert call(setting["staff"], "/followups", {"overdue": "false"}, "get").json()["count"] == 1
    assert call(setting["staff"], "/followups", {"status": "bogus"}, "get").status_code == 400


def test_start_and_complete(setting):
    item = setting["item"]
    before = rows()
    assert call(setting["other_liaison"], f"/followups/{item.pk}/actions/start").status_code == 404
    assert call(setting["foreign_staff"], f"/followups/{item.pk}/actions/start").status_code == 404
    assert call(None, f"/followups/{item.pk}/actions/start").status_code == 401
    assert (
        call(setting["leader"], f"/followups/{item.pk}/actions/start").status_code == 403
    )  # reads, not acts
    assert (
        call(setting["liaison"], f"/followups/{item.pk}/actions/start", {"expected_version": 7}).status_code
        == 409
    )
    response = call(setting["liaison"], f"/followups/{item.pk}/actions/complete", {"evidence": " "})
    assert response.status_code == 400
    assert call(setting["liaison"], f"/followups/{item.pk}/actions/complete", {}).status_code == 400
    assert rows() == before
    started = call(setting["liaison"], f"/followups/{item.pk}/actions/start", {"expected_version": 1}).json()
    assert started["status"] == "in_progress"
    done = call(
        setting["liaison"], f"/followups/{item.pk}/actions/complete", {"evidence": "已新增托位2100个"}
    )
    assert done.json()["status"] == "done"
    before = rows()
    assert call(setting["staff"], f"/followups/{item.pk}/actions/start").status_code == 409
    assert rows() == before


def test_a_member_may_not_act(setting, make_user, council):
    owner = make_user(Role.MEMBER, council)
    item = s.followup_create(actor=setting["staff"], council=council, source=setting["item"], title="个人事项",
                             due_date=dt.date(2030, 1, 1), owner_user=owner)  # fmt: skip
    other_member = setting["member"]
    assert call(other_member, f"/followups/{item.pk}/actions/start").status_code == 404
    assert call(owner, f"/followups/{item.pk}/actions/start").json()["status"] == "in_progress"
