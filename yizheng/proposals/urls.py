from django.urls import include, path

urlpatterns = [
    path("", include("yizheng.proposals.views.common")),
    path("", include("yizheng.proposals.views.member")),
    path("review/", include("yizheng.proposals.views.review")),
    path("handling/", include("yizheng.proposals.views.handling")),
    path("documents/", include("yizheng.proposals.views.documents")),
    path("selections/", include("yizheng.proposals.views.selection")),
]
