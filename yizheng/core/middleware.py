from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from .context import client_ip

# Every page works offline: scripts, styles and fonts come from our own origin only.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
    "connect-src 'self'; font-src 'self' data:; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if response.get("Content-Type", "").startswith("text/html"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response


class IdleSessionMiddleware:
    """Renews a signed-in session's idle timeout (SESSION_COOKIE_AGE) at most once a minute.

    Django's SESSION_SAVE_EVERY_REQUEST writes the session row (and its cached copy) on every page: one UPDATE
    per request for a timeout measured in minutes. Here a request saves the session only when the last renewal
    is `SESSION_RENEW_SECONDS` old, so an idle session still expires 30 minutes (less at most a minute) after the
    user's last request. Sits just inside SessionMiddleware, which saves what this marks modified."""

    KEY = "_renewed_at"

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.every = getattr(settings, "SESSION_RENEW_SECONDS", 60)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is None or response.status_code >= 500 or session.is_empty():
            return response
        now = int(timezone.now().timestamp())
        if now - session.get(self.KEY, 0) >= self.every:
            session[self.KEY] = now
        return response


class RequestContextMiddleware:
    """Makes the client address available to services, for the audit trail."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = client_ip.set(request.META.get("REMOTE_ADDR"))
        try:
            return self.get_response(request)
        finally:
            client_ip.reset(token)


class PasswordChangeRequiredMiddleware:
    """Users with an initial or reset password reach nothing but the password-change page (and sign-out) until
    they have chosen their own."""

    ALLOWED_URL_NAMES = frozenset({"password_change", "logout", "login", "set_language"})

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and getattr(user, "must_change_password", False):
            response = self._refuse(request)
            if response is not None:
                return response
        return self.get_response(request)

    def _refuse(self, request: HttpRequest) -> HttpResponse | None:
        path = request.path_info
        if path.startswith("/" + settings.STATIC_URL.lstrip("/")):
            return None
        try:
            if resolve(path).url_name in self.ALLOWED_URL_NAMES:
                return None
        except Resolver404:
            return None
        if path.startswith("/api/"):
            return JsonResponse({"detail": _("请先修改初始密码")}, status=403)
        target = reverse("password_change")
        if request.method == "GET":
            target += "?" + urlencode({"next": request.get_full_path()})
        if request.headers.get("HX-Request"):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = target
            return response
        return HttpResponseRedirect(target)


class ChineseFirstMiddleware:
    """Pages open in Chinese unless the user chose another language with the switch (language cookie).

    A browser's Accept-Language (often English on office computers) does not override the council's working
    language; integrations calling the API may still ask for English with Accept-Language."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith("/api/"):
            request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)
