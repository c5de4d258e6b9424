"""Follow-up screens: the list (staff: their councils with filters; units: their own), the detail with start and
销号 (evidence text required, optional file). Wrong role 403, other unit / council 404, wrong state and stale
form 409, bad input 400 — nothing written when refused."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from yizheng.audit.models import Event
from yizheng.core.errors import ApplicationError
from yizheng.followups import services as s
from yizheng.followups.models import FollowUp
from yizheng.org.models import Office, Role
from yizheng.org.tests.factories import UnitFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def x(council, other_council, make_user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    unit = UnitFactory(council=council, name="市教育局")
    other_unit = UnitFactory(council=council, name="市财政局")
    return {
        "council": council,
        "unit": unit,
        "other_unit": other_unit,
        "staff": make_user(Role.STAFF, council, office=Office.PROPOSAL),
        "liaison": make_user(Role.UNIT_LIAISON, council, unit=unit),
        "other_liaison": make_user(Role.UNIT_LIAISON, council, unit=other_unit),
        "member": make_user(Role.MEMBER, council),
        "foreign_staff": make_user(Role.STAFF, other_council, office=Office.PROPOSAL),
    }


def make(x, **kw):
    data = {"actor": x["staff"], "council": x["council"], "source": x["unit"], "title": "年底前新增托位2000个",
            "due_date": dt.date(2030, 12, 31), "owner_unit": x["unit"],
            "source_label": "第0001号《关于发展普惠托育服务的提案》答复"}  # fmt: skip
    data.update(kw)
    return s.followup_create(**data)


def as_user(client, user):
    client.force_login(user)
    return client


def snapshot():
    return list(FollowUp.objects.order_by("pk").values()), Event.objects.count()


def post_refused(client, url, data, status):
    before = snapshot()
    response = client.post(url, data)
    assert response.status_code == status, response.content.decode()[:2000]
    assert snapshot() == before
    return response


def test_staff_list_with_filters_and_overdue_marker(client, x):
    make(x)
    late = make(x, title="出台托育补贴办法", due_date=dt.date(2020, 1, 31), owner_unit=x["other_unit"])
    c = as_user(client, x["staff"])
    page = c.get(reverse("followup_list")).content.decode()
    assert "年底前新增托位2000个" in page
    assert "出台托育补贴办法" in page
    assert page.count('data-testid="overdue"') == 1
    overdue_only = c.get(reverse("followup_list") + "?overdue=on").content.decode()
    assert late.title in overdue_only
    assert "年底前新增托位2000个" not in overdue_only
    by_unit = c.get(reverse("followup_list") + f"?unit={x['unit'].pk}").content.decode()
    assert late.title not in by_unit
    assert "出台托育补贴办法" not in c.get(reverse("followup_list") + "?status=done").content.decode()


def test_units_see_their_own_others_see_nothing(client, x):
    mine = make(x)
    theirs = make(x, title="其他单位的事项", owner_unit=x["other_unit"])
    page = as_user(client, x["liaison"]).get(reverse("followup_list")).content.decode()
    assert mine.title in page
    assert theirs.title not in page
    assert as_user(client, x["liaison"]).get(reverse("followup_detail", args=[theirs.pk])).status_code == 404
    assert (
        as_user(client, x["foreign_staff"]).get(reverse("followup_detail", args=[mine.pk])).status_code == 404
    )
    assert as_user(client, x["member"]).get(reverse("followup_list")).status_code == 403


def test_start_then_complete_with_evidence_and_a_file(client, x):
    f = make(x)
    c = as_user(client, x["liaison"])
    assert c.get(reverse("followup_detail", args=[f.pk])).status_code == 200
    assert c.post(reverse("followup_start", args=[f.pk]), {"version": f.version}).status_code == 302
    post_refused(c, reverse("followup_start", args=[f.pk]), {"version": f.version + 1}, 409)  # wrong state
    url = reverse("followup_complete", args=[f.pk])
    response = post_refused(c, url, {"version": f.version + 1, "evidence": ""}, 400)
    assert "落实情况" in response.content.decode()
    bad = SimpleUploadedFile("x.pdf", b"not a pdf", content_type="application/pdf")
    post_refused(c, url, {"version": f.version + 1, "evidence": "已完成", "file": bad}, 400)
    post_refused(c, url, {"version": f.version, "evidence": "已完成"}, 409)  # stale form
    pdf = SimpleUploadedFile("验收报告.pdf", b"%PDF-1.4 test", content_type="application/pdf")
    data = {"version": f.version + 1, "evidence": "已新增托位2100个,经验收合格", "file": pdf}
    assert c.post(url, data).status_code == 302
    f.refresh_from_db()
    assert f.status == "done"
    assert f.evidence == "已新增托位2100个,经验收合格"  # the file is a field of its own, not a line of text
    assert (f.evidence_file_name, f.evidence_file_type) == ("验收报告.pdf", "application/pdf")
    assert f.evidence_file.name.startswith(f"followups/{f.pk}/")
    assert Event.objects.filter(action="followup.complete").get().payload["evidence_file"] == "验收报告.pdf"
    page = c.get(reverse("followup_detail", args=[f.pk])).content.decode()
    assert "已新增托位2100个" in page
    link = reverse("followup_evidence_file", args=[f.pk])
    assert f'href="{link}"' in page
    assert page.count("验收报告.pdf") == 1  # listed once, not again as a file of the folder
    download = c.get(link)
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"%PDF-1.4 test"
    assert download["Content-Type"] == "application/pdf"
    assert (
        download["Content-Disposition"]
        == "attachment; filename*=utf-8''%E9%AA%8C%E6%94%B6%E6%8A%A5%E5%91%8A.pdf"
    )
    assert download["X-Content-Type-Options"] == "nosniff"
    assert as_user(client, x["staff"]).get(link).status_code == 200
    for user in ("other_liaison", "foreign_staff", "member"):
        assert as_user(client, x[user]).get(link).status_code == 404, user
    post_refused(as_user(client, x["liaison"]), url, {"version": f.version, "evidence": "再次销号"}, 409)


def test_evidence_file_checks_size_and_type_and_stores_nothing_when_refused(client, x, settings):
    f = make(x)
    c = as_user(client, x["liaison"])
    url = reverse("followup_complete", args=[f.pk])
    for upload, message in [
        (SimpleUploadedFile("a.exe", b"MZ...."), "只能上传"),
        (SimpleUploadedFile("a.png", b"%PDF-1.4"), "不符"),
        (SimpleUploadedFile("a.pdf", b""), "空文件"),
    ]:
        response = post_refused(c, url, {"version": f.version, "evidence": "已完成", "file": upload}, 400)
        assert message in response.content.decode()
    big = SimpleUploadedFile("大.pdf", b"%PDF-" + b"0" * 32)
    big.size = 21 * 1024 * 1024  # the limit, without sending 21 MB through the test client
    with pytest.raises(ApplicationError, match="20 MB"):
        s.followup_complete(actor=x["liaison"], followup=f, evidence="已完成", evidence_file=big)
    ok = SimpleUploadedFile("验收报告.pdf", b"%PDF-1.4 test")
    post_refused(
        c, url, {"version": f.version, "evidence": "", "file": ok}, 400
    )  # text evidence still required
    assert not list(settings.MEDIA_ROOT.rglob("*.*"))  # nothing stored by any refusal


def test_no_evidence_file_is_404(client, x):
    f = make(x)
    s.followup_complete(actor=x["liaison"], followup=f, evidence="已完成")
    assert (
        as_user(client, x["liaison"]).get(reverse("followup_evidence_file", args=[f.pk])).status_code == 404
    )


def test_wrong_role_and_other_unit_are_refused(client, x):
    f = make(x)
    post_refused(
        as_user(client, x["other_liaison"]), reverse("followup_complete", args=[f.pk]), {"evidence": "x"}, 404
    )
    post_refused(as_user(client, x["foreign_staff"]), reverse("followup_start", args=[f.pk]), {}, 404)
    leader = x["member"]
    post_refused(as_user(client, leader), reverse("followup_start", args=[f.pk]), {}, 404)


def test_api_names_and_serves_the_evidence_file(client, x):
    f = make(x)
    pdf = SimpleUploadedFile("验收报告.pdf", b"%PDF-1.4 test")
    s.followup_complete(actor=x["liaison"], followup=f, evidence="已完成", evidence_file=pdf)
    body = as_user(client, x["staff"]).get(f"/api/v1/followups/{f.pk}").json()
    assert (body["evidence_file_name"], body["evidence_file"]) == (
        "验收报告.pdf",
        f"/api/v1/followups/{f.pk}/evidence-file",
    )
    download = as_user(client, x["liaison"]).get(body["evidence_file"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"%PDF-1.4 test"
    assert as_user(client, x["other_liaison"]).get(body["evidence_file"]).status_code == 404


def test_a_failure_after_storing_the_file_removes_it(x, settings, monkeypatch):
    f = make(x)

    def broken(*args, **kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr(s, "_record", broken)
    with pytest.raises(RuntimeError):
        s.followup_complete(actor=x["liaison"], followup=f, evidence="已完成",
                            evidence_file=SimpleUploadedFile("验收报告.pdf", b"%PDF-1.4 test"))  # fmt: skip
    assert not list(settings.MEDIA_ROOT.rglob("*.*"))
    f.refresh_from_db()
    assert (f.status, f.evidence_file.name) == ("open", "")
