from django.urls import path

from . import views

urlpatterns = [
    path("", views.followup_list, name="followup_list"),
    path("<int:pk>/", views.followup_detail, name="followup_detail"),
    path("<int:pk>/start/", views.followup_start, name="followup_start"),
    path("<int:pk>/complete/", views.followup_complete, name="followup_complete"),
    path("<int:pk>/evidence-file/", views.followup_evidence_file, name="followup_evidence_file"),
    path("<int:pk>/files/<str:name>", views.followup_file, name="followup_file"),
]
