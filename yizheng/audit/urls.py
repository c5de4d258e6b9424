from django.urls import include, path

urlpatterns = [path("", include("yizheng.audit.views"))]
