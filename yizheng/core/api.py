"""What every JSON endpoint shares: authentication, error answers, pagination and the OpenAPI snapshot.

Two ways in: the browser's Django session (with CSRF on unsafe methods) and, for integrations, a bearer token
(`Authorization: Bearer <key>`, see `yizheng.org.services_tokens`). Every error answer has one shape,
`{"detail": "…", "errors": {"field": ["…"]}}`, in the request's language.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Field, NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.openapi.docs import Swagger
from ninja.pagination import PaginationBase
from ninja.responses import NinjaJSONEncoder
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from yizheng.core.errors import ApplicationError

# A token's last use is written at most this often, so busy integrations do not write on every request.
TOKEN_TOUCH_INTERVAL = timedelta(minutes=1)
KEY_PREFIX_LENGTH = 8


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


# --- authentication ---------------------------------------------------------------------------------------


class TokenAuth(HttpBearer):
    """`Authorization: Bearer <key>` checked against org.ApiToken. A bad key is refused outright (401): the
    request does not fall back to the session, so a misconfigured integration fails loudly."""

    openapi_bearerFormat = "opaque"
    openapi_description = gettext_lazy("接口令牌:请求头 Authorization: Bearer <令牌>")

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        from yizheng.org.models import ApiToken

        key = token.strip()
        if not key:
            raise AuthenticationError()
        digest = hash_key(key)
        found = None
        for candidate in ApiToken.objects.filter(prefix=key[:KEY_PREFIX_LENGTH]).select_related("user"):
            if hmac.compare_digest(candidate.key_hash, digest):
                found = candidate
        if found is None or found.revoked_at is not None or not found.user.is_active:
            raise AuthenticationError()
        now = timezone.now()
        if found.last_used_at is None or now - found.last_used_at >= TOKEN_TOUCH_INTERVAL:
            ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)
        request.user = found.user
        return found.user


class SessionAuth(APIKeyCookie):
    """The browser's Django session. Unsafe methods must carry the CSRF token (header X-CSRFToken)."""

    param_name = "sessionid"
    openapi_description = gettext_lazy("浏览器登录会话;修改类请求须带 X-CSRFToken 请求头")

    def __init__(self, csrf: bool = True) -> None:
        from django.conf import settings

        self.param_name = settings.SESSION_COOKIE_NAME
        super().__init__(csrf=csrf)

    def __call__(self, request: HttpRequest) -> Any:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.is_active:
            return None  # anonymous: 401, not a CSRF 403
        if self.csrf and not getattr(request, "_ninja_csrf_exempt", False) and check_csrf(request):
            raise HttpError(403, _("安全校验失败(CSRF),请刷新页面后重试"))
        return user

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:  # pragma: no cover - see __call__
        return self(request)


# --- errors -----------------------------------------------------------------------------------------------


class ErrorOut(Schema):
    detail: str
    errors: dict[str, list[str]] = Field(default_factory=dict)


ERROR_RESPONSES: dict[int, type[Schema]] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut}


def _error(api: NinjaAPI, request: HttpRequest, status: int, detail: str, errors=None) -> HttpResponse:
    return api.create_response(request, {"detail": str(detail), "errors": errors or {}}, status=status)


def _param_message(error: dict[str, Any]) -> str:
    """Pydantic's English message for a bad query or path parameter, said in the user's language."""
    ctx = error.get("ctx") or {}
    kind = error.get("type", "")
    if kind == "missing":
        return _("此项为必填项")
    if kind in {"int_parsing", "int_type", "int_from_float"}:
        return _("请输入整数")
    if kind in {"bool_parsing", "bool_type"}:
        return _("请输入 true 或 false")
    if kind in {"date_parsing", "date_from_datetime_parsing", "date_type"}:
        return _("日期格式应为 YYYY-MM-DD")
    if kind == "greater_than_equal":
        return _("不能小于 %(n)s") % {"n": ctx.get("ge")}
    if kind == "greater_than":
        return _("必须大于 %(n)s") % {"n": ctx.get("gt")}
    if kind == "less_than_equal":
        return _("不能大于 %(n)s") % {"n": ctx.get("le")}
    if kind == "less_than":
        return _("必须小于 %(n)s") % {"n": ctx.get("lt")}
    if kind == "string_too_long":
        return _("长度不能超过 %(n)s 个字符") % {"n": ctx.get("max_length")}
    if kind == "string_too_short":
        return _("长度不能少于 %(n)s 个字符") % {"n": ctx.get("min_length")}
    if kind in {"enum", "literal_error"}:
        return _("取值无效,可选值:%(values)s") % {"values": ctx.get("expected", "")}
    return _("取值无效")


def _param_errors(errors: list[dict[str, Any]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for error in errors:
        loc = [str(part) for part in error.get("loc", ()) if part not in ("query", "path", "body", "header")]
        field = loc[-1] if loc else "__all__"
        out.setdefault(field, []).append(_param_message(error))
    return out


def install_exception_handlers(api: NinjaAPI) -> None:
    """ApplicationError → 400 (ConflictError → 409), PermissionDenied → 403, Http404 → 404, missing or bad
    credentials → 401, a malformed parameter → 400; every message localised."""

    @api.exception_handler(ApplicationError)
    def application_error(request, exc: ApplicationError):
        return _error(api, request, exc.status_code, exc.message, exc.errors)

    @api.exception_handler(DjangoValidationError)
    def django_validation_error(request, exc: DjangoValidationError):
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": list(exc.messages)}
        return _error(api, request, 400, _("提交的数据有误,请检查后重试"), errors)

    @api.exception_handler(NinjaValidationError)
    def param_error(request, exc: NinjaValidationError):
        return _error(api, request, 400, _("请求参数有误"), _param_errors(exc.errors))

    @api.exception_handler(PermissionDenied)
    def permission_denied(request, exc):
        return _error(api, request, 403, _("您没有执行此操作的权限"))

    @api.exception_handler(Http404)
    def not_found(request, exc):
        return _error(api, request, 404, _("未找到该记录"))

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request, exc):
        response = _error(api, request, 401, _("请先登录,或提供有效的接口令牌"))
        response["WWW-Authenticate"] = "Bearer"
        return response

    @api.exception_handler(HttpError)
    def http_error(request, exc: HttpError):
        return _error(api, request, exc.status_code, exc.message)


# --- the API object ---------------------------------------------------------------------------------------


class YizhengAPI(NinjaAPI):
    """Answers are personal data: never stored by browsers or proxies, and they vary by credentials."""

    def create_response(self, request, data, *, status=None, temporal_response=None) -> HttpResponse:
        response = super().create_response(request, data, status=status, temporal_response=temporal_response)
        response["Cache-Control"] = "no-store, private"
        response["Vary"] = "Authorization, Cookie, Accept-Language"
        return response


def build_api(**kwargs: Any) -> NinjaAPI:
    """The API root with our authentication, error handlers and an offline docs page.

    The docs page is django-ninja's own template: settings travel in a JSON data block and the init code is a
    static file, so it runs under our script-src 'self' policy; validatorUrl=None stops Swagger UI from
    loading its online validator badge."""
    api = YizhengAPI(
        auth=[TokenAuth(), SessionAuth()],
        docs=Swagger(settings={"validatorUrl": None, "persistAuthorization": False}),
        **kwargs,
    )
    install_exception_handlers(api)
    return api


# --- pagination -------------------------------------------------------------------------------------------

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


class PageParams(Schema):
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description=gettext_lazy("每页条数"))
    offset: int = Field(0, ge=0, description=gettext_lazy("跳过的条数"))


class Page(Schema):
    count: int = Field(description=gettext_lazy("符合条件的总条数"))
    limit: int
    offset: int
    items: list[Any]


class LimitOffsetPagination(PaginationBase):
    """`?limit=&offset=` on every list; the answer carries the total `count` and the window it shows."""

    Input = PageParams
    Output = Page

    def paginate_queryset(self, queryset, pagination: PageParams, request: HttpRequest, **params: Any) -> Any:
        offset, limit = pagination.offset, pagination.limit
        return {
            "count": self._items_count(queryset),
            "limit": limit,
            "offset": offset,
            "items": queryset[offset : offset + limit],
        }


# --- OpenAPI snapshot -------------------------------------------------------------------------------------


def openapi_snapshot(api: NinjaAPI) -> str:
    """The OpenAPI document as committed in docs/openapi.json: default language, stable key order."""
    with translation.override("zh-hans"):
        schema = api.get_openapi_schema()
        return json.dumps(schema, cls=NinjaJSONEncoder, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
