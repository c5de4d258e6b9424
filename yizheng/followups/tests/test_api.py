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


# 销号 with an evidence file, as multipart/form-data: the same checks, permissions and version check as the web
# form; a refusal writes no row and stores no file.


def upload(user, item, data: dict):
    client = Client()
    if user is not None:
        client.force_login(user)
    return client.post(f"{API}/followups/{item.pk}/actions/complete-with-file", data)


def pdf(name: str = "验收报告.pdf"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, b"%PDF-1.4 test", content_type="application/pdf")


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def stored(media) -> list:
    return [p for p in media.rglob("*") if p.is_file()]


def test_complete_with_file(setting, media):
    item = setting["item"]
    response = upload(setting["liaison"], item, {"evidence": "已新增托位2100个", "expected_version": 1,
                                                 "file": pdf()})  # fmt: skip
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["evidence"], body["evidence_file_name"], body["version"]) == (
        "done",
        "已新增托位2100个",
        "验收报告.pdf",
        2,
    )
    assert body["evidence_file"] == f"/api/v1/followups/{item.pk}/evidence-file"
    download = call(setting["staff"], f"/followups/{item.pk}/evidence-file", method="get")
    assert b"".join(download.streaming_content) == b"%PDF-1.4 test"
    assert download["Content-Type"] == "application/pdf"
    before = rows()
    assert upload(setting["liaison"], item, {"evidence": "再次销号", "file": pdf()}).status_code == 409
    assert rows() == before
    assert len(stored(media)) == 1


def test_complete_with_file_the_file_is_optional(setting, media):
    response = upload(setting["staff"], setting["item"], {"evidence": "已完成"})
    assert (response.status_code, response.json()["evidence_file"]) == (200, None)
    assert stored(media) == []


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("a.exe", b"MZ....", "只能上传"),
        ("a.png", b"%PDF-1.4", "不符"),
        ("a.docx", b"PK\x03\x04 not a zip", "不符"),
        ("a.pdf", b"", "空文件"),
    ],
)
def test_complete_with_file_refuses_a_wrong_type(setting, media, name, content, message):
    from django.core.files.uploadedfile import SimpleUploadedFile

    before = rows()
    response = upload(setting["liaison"], setting["item"],
                      {"evidence": "已完成", "file": SimpleUploadedFile(name, content)})  # fmt: skip
    assert response.status_code == 400
    assert message in str(response.json())
    assert rows() == before
    assert stored(media) == []


def test_complete_with_file_refuses_an_oversize_file(setting, media, monkeypatch):
    from yizheng.core import uploads

    monkeypatch.setattr(uploads, "MAX_BYTES", 8)  # the limit, without sending 20 MB through the test client
    before = rows()
    response = upload(setting["liaison"], setting["item"], {"evidence": "已完成", "file": pdf()})
    assert response.status_code == 400
    assert "20 MB" in str(response.json())
    assert rows() == before
    assert stored(media) == []


def test_complete_with_file_refuses_bad_input_and_stale_version(setting, media):
    item = setting["item"]
    before = rows()
    for data, status in [
        ({"evidence": " ", "file": pdf()}, 400),  # the text evidence is still required
        ({"file": pdf()}, 400),
        ({"evidence": "已完成", "expected_version": 7, "file": pdf()}, 409),
        ({"evidence": "已完成", "expected_version": "七", "file": pdf()}, 400),
    ]:
        assert upload(setting["liaison"], item, data).status_code == status, data
    assert rows() == before
    assert stored(media) == []


def test_complete_with_file_wrong_unit_role_or_council(setting, media):
    item = setting["item"]
    before = rows()
    for who, status in [
        ("other_liaison", 404),
        ("foreign_staff", 404),
        ("member", 404),
        ("leader", 403),  # reads, not acts
    ]:
        assert upload(setting[who], item, {"evidence": "已完成", "file": pdf()}).status_code == status, who
    assert upload(None, item, {"evidence": "已完成", "file": pdf()}).status_code == 401
    assert rows() == before
    assert stored(media) == []
