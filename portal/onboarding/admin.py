"""The onboarding records in the admin site: read, filtered and searched, never changed.

Auditors and program admins read them here; every change goes through the onboarding
services and their pages, which audit it.
"""

from django.contrib import admin

from portal.admin import ReadOnlyAdmin
from portal.models import (
    CodeOfConductSignature,
    CodeOfConductVersion,
    ConflictOfInterest,
    Consent,
    EligibilitySnapshot,
    ProfileReview,
    RequirementBypass,
    ResearcherProfile,
    RosterEntry,
    RosterImport,
)


@admin.register(ResearcherProfile)
class ResearcherProfileAdmin(ReadOnlyAdmin):
    list_display = ("user", "institution", "orcid", "updated_at")
    search_fields = ("user__email", "user__full_name", "institution", "orcid")
    list_select_related = ("user",)


@admin.register(ConflictOfInterest)
class ConflictOfInterestAdmin(ReadOnlyAdmin):
    list_display = ("profile", "kind", "declared_at", "retired_at")
    list_filter = ("kind", "declared_at", "retired_at")
    search_fields = ("profile__user__email", "description")
    list_select_related = ("profile__user",)


@admin.register(Consent)
class ConsentAdmin(ReadOnlyAdmin):
    list_display = ("user", "kind", "wording_version", "given_at", "withdrawn_at")
    list_filter = ("kind", "wording_version", "given_at", "withdrawn_at")
    search_fields = ("user__email", "wording_sha256")
    list_select_related = ("user",)


@admin.register(CodeOfConductVersion)
class CodeOfConductVersionAdmin(ReadOnlyAdmin):
    list_display = ("version", "title", "is_current", "accepted_until", "published_at")
    list_filter = ("is_current",)
    search_fields = ("version", "title", "sha256")


@admin.register(CodeOfConductSignature)
class CodeOfConductSignatureAdmin(ReadOnlyAdmin):
    list_display = ("user", "version", "printed_name", "signed_at")
    list_filter = ("version", "signed_at")
    search_fields = ("user__email", "printed_name", "document_sha256")
    list_select_related = ("user", "version")


@admin.register(ProfileReview)
class ProfileReviewAdmin(ReadOnlyAdmin):
    list_display = ("user", "confirmed_at", "changed")
    list_filter = ("changed", "confirmed_at")
    search_fields = ("user__email",)
    list_select_related = ("user",)


@admin.register(RosterImport)
class RosterImportAdmin(ReadOnlyAdmin):
    list_display = ("imported_at", "source", "row_count", "is_current", "imported_by")
    list_filter = ("is_current", "imported_at")
    search_fields = ("source", "sha256")
    list_select_related = ("imported_by",)


@admin.register(RosterEntry)
class RosterEntryAdmin(ReadOnlyAdmin):
    list_display = ("email", "workbench_username", "access_expires_on", "roster")
    list_filter = ("roster__is_current",)
    search_fields = ("email", "workbench_username")
    list_select_related = ("roster",)


@admin.register(RequirementBypass)
class RequirementBypassAdmin(ReadOnlyAdmin):
    list_display = ("user", "requirement", "granted_by", "granted_at", "expires_on", "revoked_at")
    list_filter = ("requirement", "granted_at", "revoked_at")
    search_fields = ("user__email", "reason")
    list_select_related = ("user", "granted_by")


@admin.register(EligibilitySnapshot)
class EligibilitySnapshotAdmin(ReadOnlyAdmin):
    list_display = ("user", "eligible", "earliest_expiry", "computed_at")
    list_filter = ("eligible",)
    search_fields = ("user__email",)
    list_select_related = ("user",)
