"""Read-mostly admin views for support staff. State changes go through the services, never through the admin:
the workflow fields are read-only here."""

from django.contrib import admin

from .models import (
    Assignment,
    Category,
    CoSignature,
    Evaluation,
    Nomination,
    Proposal,
    ProposalSettings,
    Reply,
    Selection,
)

WORKFLOW_FIELDS = (
    "state",
    "case_number",
    "case_scope",
    "merged_into",
    "round",
    "version",
    "submitted_at",
    "filed_at",
    "replied_at",
    "closed_at",
)


@admin.register(ProposalSettings)
class ProposalSettingsAdmin(admin.ModelAdmin):
    list_display = ("council", "case_scope", "handling_months", "evaluation_window_days")


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "council", "order", "is_active")
    list_filter = ("council",)


class CoSignatureInline(admin.TabularInline):
    model = CoSignature
    extra = 0
    readonly_fields = ("member", "status", "via_group", "invited_by", "invited_at", "responded_at")
    can_delete = False


class AssignmentInline(admin.TabularInline):
    model = Assignment
    extra = 0
    fields = ("unit", "role", "deadline", "deadline_provisional", "active", "round")
    readonly_fields = fields
    can_delete = False


@admin.register(Proposal)
class ProposalAdmin(admin.ModelAdmin):
    list_display = ("title", "council", "year", "kind", "state", "case_number", "is_key")
    list_filter = ("state", "kind", "year", "is_key")
    search_fields = ("title",)
    readonly_fields = WORKFLOW_FIELDS
    raw_id_fields = (
        "lead_member",
        "drafted_by",
        "plenary",
        "organization",
        "committee",
        "sector",
        "category",
    )
    filter_horizontal = ("supervising_leaders",)
    inlines = [CoSignatureInline, AssignmentInline]

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Reply)
class ReplyAdmin(admin.ModelAdmin):
    list_display = ("proposal", "assignment", "round", "result", "status", "published_at")
    list_filter = ("status", "result", "round")
    readonly_fields = (
        "proposal",
        "assignment",
        "round",
        "status",
        "published_at",
        "reviewed_by",
        "reviewed_at",
    )


@admin.register(Evaluation)
class EvaluationAdmin(admin.ModelAdmin):
    list_display = ("proposal", "member", "round", "status", "work_rating", "result_rating", "on_paper")
    list_filter = ("status", "round", "on_paper")
    readonly_fields = ("proposal", "reply", "source", "member", "round", "status", "rated_at", "recorded_by")


class NominationInline(admin.TabularInline):
    model = Nomination
    extra = 0
    can_delete = False
    fields = ("proposal", "source", "source_name", "decision", "score", "opinion", "decided_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Selection)
class SelectionAdmin(admin.ModelAdmin):
    """Read-only: rounds move only through services_selection."""

    list_display = ("year", "kind", "council", "state", "decided_on")
    list_filter = ("kind", "state", "council")
    inlines = [NominationInline]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
