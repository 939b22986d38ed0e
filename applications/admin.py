"""Admin registrations: read-only. Applications change only through their services, and a
template only by publishing a new version (the template versions page)."""

from django.contrib import admin

from applications.models import Application, ApplicationTemplate, Submission, TemplateVersion
from portal.admin import ReadOnlyAdmin


@admin.register(ApplicationTemplate)
class ApplicationTemplateAdmin(ReadOnlyAdmin):
    list_display = ("name", "created_at")


@admin.register(TemplateVersion)
class TemplateVersionAdmin(ReadOnlyAdmin):
    list_display = ("template", "number", "is_current", "accepted_until", "published_at")
    list_filter = ("template", "is_current")
    readonly_fields = (
        "template",
        "number",
        "is_current",
        "accepted_until",
        "published_at",
        "published_by",
        "notes",
        "sha256",
        "sections",
        "fee_schedule",
    )
    fields = readonly_fields


@admin.register(Application)
class ApplicationAdmin(ReadOnlyAdmin):
    list_display = ("reference", "title", "kind", "status", "applicant", "submitted_at")
    list_filter = ("status", "kind", "includes_ai_an")
    search_fields = ("reference", "title", "applicant__email", "applicant__full_name")
    show_full_result_count = False


@admin.register(Submission)
class SubmissionAdmin(ReadOnlyAdmin):
    list_display = ("application", "number", "submitted_at", "outcome", "sha256")
    list_filter = ("outcome",)
    readonly_fields = (
        "application",
        "number",
        "submitted_at",
        "submitted_by",
        "sha256",
        "outcome",
        "screened_at",
        "screened_by",
        "screening_comments",
        "snapshot",
    )
    fields = readonly_fields
