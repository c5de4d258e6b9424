"""The OpenAPI document equals the committed snapshot, and the interactive docs work offline under our CSP."""

import difflib
import json
import os
import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

from config.api import api
from yizheng.core.api import openapi_snapshot

SNAPSHOT = Path(__file__).resolve().parents[3] / "docs" / "openapi.json"
REFRESH = "scripts/update-openapi-snapshot.sh"


def test_openapi_document_equals_the_committed_snapshot():
    generated = openapi_snapshot(api)
    committed = SNAPSHOT.read_text(encoding="utf-8") if SNAPSHOT.exists() else ""
    if generated != committed:
        diff = "".join(
            difflib.unified_diff(
                committed.splitlines(keepends=True),
                generated.splitlines(keepends=True),
                "docs/openapi.json (committed)",
                "generated",
                n=2,
            )
        )
        pytest.fail(
            f"The API changed but docs/openapi.json did not. If the change is intended, run {REFRESH} and "
            f"commit docs/openapi.json with it.\n{diff[:6000]}"
        )


def test_openapi_json_is_served_and_documents_both_ways_in(db):
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    served = response.json()
    assert served == json.loads(openapi_snapshot(api))
    schemes = served["components"]["securitySchemes"]
    assert schemes["TokenAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "opaque",
        "description": "接口令牌:请求头 Authorization: Bearer <令牌>",
    }
    assert schemes["SessionAuth"]["in"] == "cookie"
    for path in ("/councils", "/members", "/units", "/sectors", "/committees"):
        params = {p["name"] for p in served["paths"][f"/api/v1{path}"]["get"]["parameters"]}
        assert {"limit", "offset"} <= params


def test_docs_page_loads_nothing_from_outside_and_has_no_inline_code(db):
    response = Client().get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    csp = response["Content-Security-Policy"]
    assert "script-src 'self';" in csp
    assert "unsafe-eval" not in csp
    refs = re.findall(r'(?:src|href)="([^"]*)"', html)
    assert refs
    for ref in refs:
        assert ref.startswith("/static/"), f"docs page loads {ref} from elsewhere"
        assert finders.find(ref.removeprefix("/static/")), f"{ref} is not a bundled static file"
    # every <script> either loads a same-origin file or is an inert JSON data block (CSP allows both)
    for attrs, body in re.findall(r"<script([^>]*)>(.*?)</script>", html, flags=re.S):
        assert "src=" in attrs or 'type="application/json"' in attrs, attrs
        if "src=" in attrs:
            assert not body.strip()
    settings = json.loads(re.search(r'id="swagger-settings">(.*?)</script>', html, flags=re.S).group(1))
    assert settings["url"] == "/api/v1/openapi.json"
    assert settings["validatorUrl"] is None  # no badge fetched from validator.swagger.io


@pytest.mark.browser
def test_docs_page_renders_offline_in_chromium(live_server, council, make_user):
    """Swagger UI renders every endpoint with the network limited to our own origin and no CSP violation, and
    "Try it out" answers with the signed-in user's session."""
    from yizheng.org.models import Role

    client = Client()
    client.force_login(make_user(Role.MEMBER, council))
    session_cookie = client.cookies["sessionid"].value
    chromium = "/usr/bin/chromium"
    if not Path(chromium).exists():
        pytest.fail("Debian's chromium is not installed")
    from playwright.sync_api import sync_playwright

    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    problems: list[str] = []
    outside: list[str] = []
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=flags)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.add_cookies([{"name": "sessionid", "value": session_cookie, "url": live_server.url}])
        page = context.new_page()
        page.on("console", lambda m: m.type == "error" and problems.append(m.text))
        page.on("pageerror", lambda e: problems.append(str(e)))

        def route(r):
            if r.request.url.startswith(live_server.url):
                r.continue_()
            else:
                outside.append(r.request.url)
                r.abort()

        page.route("**/*", route)
        page.goto(f"{live_server.url}/api/v1/docs")
        page.wait_for_selector(".opblock-summary-path", timeout=15000)
        paths = page.locator(".opblock-summary-path").all_inner_texts()
        page.locator("#operations-org-yizheng_org_api_sector_list .opblock-summary").click()
        page.get_by_role("button", name="Try it out").click()
        page.get_by_role("button", name="Execute").click()
        status = page.locator(".live-responses-table .response .response-col_status").first
        status.wait_for(timeout=15000)
        answered = status.inner_text().strip()
        shots = Path(__file__).resolve().parents[3] / "artifacts" / "screenshots"
        shots.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shots / "api-docs.png"), full_page=True)
        browser.close()
    assert "/api/v1/members" in [p.strip().replace("\u200b", "") for p in paths]
    assert answered == "200"
    assert not outside, outside
    assert not problems, problems
