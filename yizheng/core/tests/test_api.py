"""What every endpoint shares: one error shape for each failure, CSRF for session writes, pagination bounds."""

import json

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.middleware.csrf import get_token
from django.test import RequestFactory
from ninja.errors import AuthenticationError, HttpError

from config.api import api
from yizheng.core.api import MAX_LIMIT, LimitOffsetPagination, PageParams, SessionAuth, TokenAuth
from yizheng.core.errors import ApplicationError, ConflictError, TransitionNotAllowed
from yizheng.org.tests.factories import UserFactory


def answer(exc, method="get"):
    request = getattr(RequestFactory(), method)("/api/v1/anything")
    response = api.on_exception(request, exc)
    return response.status_code, json.loads(response.content)


def test_application_error_is_400_with_field_errors():
    exc = ApplicationError("身份证号码校验位错误", errors={"id_number": ["身份证号码校验位错误"]})
    assert answer(exc) == (
        400,
        {"detail": "身份证号码校验位错误", "errors": {"id_number": ["身份证号码校验位错误"]}},
    )


@pytest.mark.parametrize("cls", [ConflictError, TransitionNotAllowed])
def test_conflicts_are_409(cls):
    assert answer(cls("该记录已被他人修改,请刷新后重试")) == (
        409,
        {"detail": "该记录已被他人修改,请刷新后重试", "errors": {}},
    )


def test_permission_denied_is_403_localised():
    assert answer(PermissionDenied()) == (403, {"detail": "您没有执行此操作的权限", "errors": {}})


def test_not_found_is_404_and_does_not_echo_the_reason():
    assert answer(Http404("Member matching query does not exist")) == (
        404,
        {"detail": "未找到该记录", "errors": {}},
    )


def test_missing_credentials_are_401_with_a_bearer_challenge():
    request = RequestFactory().get("/api/v1/members")
    response = api.on_exception(request, AuthenticationError())
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert json.loads(response.content)["detail"] == "请先登录,或提供有效的接口令牌"


def test_django_validation_errors_are_400_by_field():
    status, body = answer(DjangoValidationError({"phone": ["手机号码应为以1开头的11位数字"]}))
    assert status == 400
    assert body["errors"] == {"phone": ["手机号码应为以1开头的11位数字"]}
    status, body = answer(DjangoValidationError("开始日期应早于结束日期"))
    assert body["errors"] == {"__all__": ["开始日期应早于结束日期"]}


def test_other_http_errors_keep_their_status():
    assert answer(HttpError(429, "请求过于频繁")) == (429, {"detail": "请求过于频繁", "errors": {}})


def test_answers_are_never_cached():
    request = RequestFactory().get("/api/v1/members")
    response = api.create_response(request, {"ok": True}, status=200)
    assert response["Cache-Control"] == "no-store, private"
    assert "Authorization" in response["Vary"]


# --- session authentication and CSRF ----------------------------------------------------------------------


def session_request(method: str, user, csrf: str | None = None):
    factory = RequestFactory(enforce_csrf_checks=True)
    request = getattr(factory, method)("/api/v1/anything", **({"HTTP_X_CSRFTOKEN": csrf} if csrf else {}))
    request.user = user
    request.COOKIES["csrftoken"] = csrf or ""
    request._dont_enforce_csrf_checks = False
    return request


def test_session_auth_reads_without_csrf(db):
    user = UserFactory()
    assert SessionAuth()(session_request("get", user)) == user


def test_session_auth_refuses_unsafe_methods_without_csrf(db):
    user = UserFactory()
    with pytest.raises(HttpError) as caught:
        SessionAuth()(session_request("post", user))
    assert caught.value.status_code == 403
    assert "CSRF" in caught.value.message


def test_session_auth_accepts_unsafe_methods_with_csrf(db):
    user = UserFactory()
    probe = RequestFactory().get("/")
    token = get_token(probe)
    request = session_request("post", user, csrf=token)
    request.COOKIES["csrftoken"] = probe.META["CSRF_COOKIE"]
    assert SessionAuth()(request) == user


def test_anonymous_or_disabled_session_is_not_a_csrf_error(db):
    assert SessionAuth()(session_request("post", AnonymousUser())) is None
    disabled = UserFactory(is_active=False)
    assert SessionAuth()(session_request("get", disabled)) is None


def test_token_auth_ignores_other_schemes(db):
    request = RequestFactory().get("/api/v1/members", HTTP_AUTHORIZATION="Basic dXNlcjpwYXNz")
    assert TokenAuth()(request) is None


# --- pagination -------------------------------------------------------------------------------------------


def test_pagination_window_and_total():
    page = LimitOffsetPagination().paginate_queryset(
        list(range(7)), PageParams(limit=3, offset=5), RequestFactory().get("/")
    )
    assert page == {"count": 7, "limit": 3, "offset": 5, "items": [5, 6]}


def test_pagination_bounds():
    assert PageParams().limit == 50
    with pytest.raises(ValueError, match="less than or equal"):
        PageParams(limit=MAX_LIMIT + 1)
