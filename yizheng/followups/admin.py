from django.contrib import admin

from .models import FollowUp


@admin.register(FollowUp)
class FollowUpAdmin(admin.ModelAdmin):
    list_display = ("title", "council", "owner_unit", "owner_user", "due_date", "status")
    list_filter = ("status",)
    search_fields = ("title", "source_label")
    readonly_fields = ("version",)
