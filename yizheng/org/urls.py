from django.urls import include, path

urlpatterns = [
    path("members/", include("yizheng.org.views.members")),
    path("units/", include("yizheng.org.views.units")),
    path("accounts/", include("yizheng.org.views.accounts")),
    path("roles/", include("yizheng.org.views.roles")),
    path("imports/", include("yizheng.org.views.imports")),
    path("password/", include("yizheng.org.views.password")),
]
