from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from config.api import api
from yizheng.core import views as core_views

urlpatterns = [
    path("", core_views.home, name="home"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            redirect_authenticated_user=True,
            extra_context={"login_failure_limit": settings.AXES_FAILURE_LIMIT},
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("org/", include("yizheng.org.urls")),
    path("audit/", include("yizheng.audit.urls")),
    path("calendar/", include("yizheng.core.urls_calendar")),
    path("proposals/", include("yizheng.proposals.urls")),
    path("followups/", include("yizheng.followups.urls")),
    path("notifications/", include("yizheng.notifications.urls")),
    path("api/v1/", api.urls),
    path("django-admin/", admin.site.urls),
]
