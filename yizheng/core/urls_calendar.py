from django.urls import path

from . import views_calendar as views

urlpatterns = [
    path("", views.calendar_year_list, name="calendar_year_list"),
    path("<int:year>/", views.calendar_year_detail, name="calendar_year_detail"),
    path("<int:year>/edit/", views.calendar_year_edit, name="calendar_year_edit"),
]
