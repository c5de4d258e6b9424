import pytest
from django.conf import settings
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_pages_open_in_chinese_even_when_the_browser_prefers_english(client):
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response.status_code == 200
    assert '<html lang="zh-hans"' in response.content.decode()


def test_the_language_switch_is_honoured(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert '<html lang="en"' in response.content.decode()


def test_switching_back_and_forth_through_the_set_language_view(client):
    client.post(reverse("set_language"), {"language": "en", "next": "/login/"})
    assert '<html lang="en"' in client.get(reverse("login")).content.decode()
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/login/"})
    assert '<html lang="zh-hans"' in client.get(reverse("login")).content.decode()


def test_the_api_still_answers_in_the_language_an_integration_asks_for(client):
    response = client.get("/api/v1/members", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 401
    assert response.headers["Content-Language"] == "en"
