"""Records that make up a researcher's access status (policy 2.1).

Nothing here is overwritten: every consent, signature, profile confirmation and roster
import is a new row, so an auditor can see what held on any past day.
"""

from django.conf import settings
from django.db import models


class ResearcherProfile(models.Model):
    """Contact details and affiliations a researcher keeps current (reviewed yearly)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="researcher_profile"
    )
    institution = models.CharField(
        max_length=255, help_text="The researcher's primary institution (employer of record)."
    )
    other_affiliations = models.TextField(
        blank=True, help_text="Other institutions or organisations, one per line."
    )
    job_title = models.CharField(max_length=200, blank=True)
    phone = models.CharField(max_length=40, blank=True, help_text="A work telephone number.")
    postal_address = models.TextField(blank=True, help_text="A work postal address.")
    orcid = models.CharField(
        max_length=19,
        blank=True,
        help_text="ORCID iD as 0000-0000-0000-000X; its check digit is validated.",
    )
    research_purposes = models.TextField(
        help_text="Plain-language descriptions of the researcher's research purposes."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "researcher profile"

    def __str__(self) -> str:
        return f"Profile of {self.user}"


class ConflictOfInterest(models.Model):
    """One declared conflict of interest (policy 2.2, 4.5). Retired, never deleted."""

    class Kind(models.TextChoices):
        FINANCIAL = "financial", "Financial"
        NON_FINANCIAL = "non_financial", "Non-financial"

    profile = models.ForeignKey(
        ResearcherProfile, on_delete=models.CASCADE, related_name="conflicts"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    description = models.TextField(
        help_text="What the conflict is and how its influence on the research is mitigated."
    )
    declared_at = models.DateTimeField(auto_now_add=True)
    retired_at = models.DateTimeField(
        null=True, blank=True, help_text="When the researcher said it no longer applies."
    )

    class Meta:
        ordering = ["declared_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} conflict of {self.profile.user}"


class RosterImport(models.Model):
    """One import of the Researcher Workbench's Controlled Tier roster."""

    imported_at = models.DateTimeField(auto_now_add=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The program admin who imported it; empty for a scheduled or command import.",
    )
    source = models.CharField(
        max_length=200, help_text="Where the roster came from: a file name or a source's name."
    )
    sha256 = models.CharField(max_length=64, help_text="SHA-256 of the imported content.")
    row_count = models.PositiveIntegerField()
    is_current = models.BooleanField(
        default=False, help_text="True for the latest successful import, which eligibility uses."
    )

    class Meta:
        ordering = ["-imported_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_current"],
                condition=models.Q(is_current=True),
                name="one_current_roster_import",
            )
        ]

    def __str__(self) -> str:
        return f"Roster {self.source} ({self.row_count} rows)"


class RosterEntry(models.Model):
    """An authorized Controlled Tier user, as one roster import listed them."""

    roster = models.ForeignKey(RosterImport, on_delete=models.CASCADE, related_name="entries")
    email = models.EmailField(db_index=True, help_text="Stored lower-case.")
    workbench_username = models.CharField(max_length=150, blank=True)
    access_expires_on = models.DateField(
        help_text="The last day the Controlled Tier authorization is valid."
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["roster", "email"], name="roster_email_once")
        ]

    def __str__(self) -> str:
        return f"{self.email} until {self.access_expires_on}"


class RequirementBypass(models.Model):
    """A program admin's audited exception to one requirement, with a written reason."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="requirement_bypasses"
    )
    requirement = models.CharField(
        max_length=40, help_text="Which requirement is bypassed (see Requirement in eligibility)."
    )
    reason = models.TextField(help_text="Why the requirement is waived, in the admin's words.")
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    granted_at = models.DateTimeField(auto_now_add=True)
    expires_on = models.DateField(
        null=True, blank=True, help_text="Last day the bypass holds; empty until revoked."
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-granted_at"]

    def __str__(self) -> str:
        return f"Bypass of {self.requirement} for {self.user}"


class Consent(models.Model):
    """One consent given (or withdrawn) with the exact wording version shown."""

    class Kind(models.TextChoices):
        PUBLIC_DISPLAY = (
            "public_display",
            "Public display of name, affiliation and plain-language project descriptions",
        )
        VIOLATION_RELEASE = (
            "violation_release",
            "Public release of name and institution if found in violation of program policy",
        )

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="consents"
    )
    kind = models.CharField(max_length=30, choices=Kind.choices)
    wording_version = models.CharField(
        max_length=20, help_text="Version of the consent wording the researcher agreed to."
    )
    wording_sha256 = models.CharField(max_length=64, help_text="SHA-256 of the wording text shown.")
    given_at = models.DateTimeField()
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-given_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} consent of {self.user}"


class CodeOfConductVersion(models.Model):
    """A published version of the Biospecimen Access Code of Conduct. Never edited."""

    version = models.CharField(max_length=20, unique=True, help_text="e.g. 2026.1")
    title = models.CharField(max_length=200, default="Biospecimen Access Code of Conduct")
    body = models.TextField(help_text="The full text the signer reads (Markdown-free plain text).")
    statements = models.JSONField(
        help_text="The statements the signer acknowledges, in order: "
        '[{"text": "...", "initials": true}, ...].'
    )
    sha256 = models.CharField(
        max_length=64, help_text="SHA-256 of the title, body and statements as published."
    )
    published_at = models.DateTimeField(auto_now_add=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-published_at", "-id"]

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"


class CodeOfConductSignature(models.Model):
    """A signature on one exact version of the Code of Conduct (DESIGN: Signatures)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="coc_signatures"
    )
    version = models.ForeignKey(
        CodeOfConductVersion, on_delete=models.PROTECT, related_name="signatures"
    )
    printed_name = models.CharField(max_length=200, help_text="The full name the signer typed.")
    initials = models.JSONField(
        help_text="Initials entered against each statement that asks for them, by index."
    )
    meaning = models.CharField(
        max_length=255,
        help_text="What the signature means, as shown to the signer.",
    )
    document_sha256 = models.CharField(
        max_length=64, help_text="The version's hash at signing; must still match to verify."
    )
    signed_at = models.DateTimeField(help_text="UTC time of signing.")
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    signed_copy = models.ForeignKey(
        "portal.Document",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The signed PDF the signer can download at any time.",
    )

    class Meta:
        ordering = ["-signed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.printed_name} signed v{self.version.version}"


class ProfileReview(models.Model):
    """One annual confirmation of the profile, with what was confirmed."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile_reviews"
    )
    confirmed_at = models.DateTimeField()
    snapshot = models.JSONField(
        help_text="The profile, affiliations, conflicts and research purposes as confirmed."
    )
    changed = models.BooleanField(help_text="Whether anything was updated during the review.")

    class Meta:
        ordering = ["-confirmed_at", "-id"]

    def __str__(self) -> str:
        return f"Profile review of {self.user} on {self.confirmed_at:%Y-%m-%d}"


class EligibilitySnapshot(models.Model):
    """The last computed verdict per user, so the daily job can record changes only."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="eligibility_snapshot"
    )
    eligible = models.BooleanField()
    failing = models.JSONField(
        default=list,
        blank=True,
        help_text="The requirements that did not hold at the last check (Requirement values).",
    )
    earliest_expiry = models.DateField(null=True, blank=True)
    computed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.user}: {'eligible' if self.eligible else 'not eligible'}"
