"""Screens of this round in chromium, with screenshots to look at: the staff's handling page of a closed C-class
proposal (reopening form), the same page once reopened (earlier assignment ended, ready to assign again, the
attachment linked), and a follow-up closed with an evidence file. Screenshots: artifacts/screenshots/reopen-*.png
and followup-evidence-file.png."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from yizheng.core.tests.browser import browser_page, screenshot
from yizheng.followups import services as followup_services
from yizheng.followups.models import FollowUp

from .conftest import closed

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def signed_in(page, live_server, user) -> None:
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}]
    )


def test_reopen_and_evidence_file_screens(world, clock, live_server, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    p = closed(world, result="C", kind="joint")
    clock.set(dt.date(2026, 3, 2))
    with browser_page() as page:
        signed_in(page, live_server, world.staff)
        page.goto(f"{live_server.url}/proposals/handling/proposals/{p.pk}/")
        form = page.locator('[data-testid="reopen"]')
        assert form.is_visible()
        page.fill('[data-testid="reopen"] textarea[name="reason"]', "市城市更新项目已立项,托育设施用地已落实")
        screenshot(page, "reopen-1-closed-c-class")
        page.click('[data-testid="reopen"] button[type="submit"]')
        page.wait_for_load_state()
        assert "提案已重启办理" in page.content()
        assert "已结束(重启办理前)" in page.content()
        screenshot(page, "reopen-2-reopened")
        page.goto(f"{live_server.url}/proposals/{p.pk}/")
        assert "重启办理" in page.locator('[data-testid="timeline"]').inner_text()
        screenshot(page, "reopen-3-timeline")

        f = FollowUp.objects.create(council=world.council, source_type="proposals.reply", source_id="1",
                                    source_label="第0001号 《关于发展普惠托育服务的提案》市教育局答复",
                                    title="年底前新增托位2000个", owner_unit=world.lead_unit,
                                    due_date=dt.date(2026, 12, 31))  # fmt: skip
        followup_services.followup_complete(
            actor=world.lead_liaison,
            followup=f,
            evidence="已新增托位2100个,经市教育局验收合格",
            evidence_file=SimpleUploadedFile("托位验收报告.pdf", b"%PDF-1.4 test"),
        )
        signed_in(page, live_server, world.lead_liaison)
        page.goto(f"{live_server.url}/followups/{f.pk}/")
        assert page.locator('[data-testid="evidence-file"] a').inner_text() == "托位验收报告.pdf"
        screenshot(page, "followup-evidence-file")
