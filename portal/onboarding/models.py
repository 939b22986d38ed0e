"""Records that make up a researcher's access status (policy 2.1).

Nothing here is overwritten: every consent, signature, profile confirmation and roster
import is a new row, so an auditor can see what held on any past day.
"""

from datetime import date, timedelta

from django.conf import settings
from django.db import models

from portal.lifecycles import Lifecycle, Transition
from portal.models.agreements import AgreementVersion
from portal.onboarding.eligibility import REQUIREMENT_LABELS, Requirement

REQUIREMENT_CHOICES = [(r.value, REQUIREMENT_LABELS[r]) for r in Requirement]


class ResearcherProfile(models.Model):
    """Contact details and affiliations a researcher keeps current (reviewed yearly)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="researcher_profile",
        help_text="The researcher whose profile this is.",
    )
    institution = models.CharField(
        max_length=255, help_text="The researcher's primary institution (employer of record)."
    )
    other_affiliations = models.TextField(
        blank=True, help_text="Other institutions or organisations, one per line."
    )
    job_title = models.CharField(
        max_length=200, blank=True, help_text="The researcher's position at the institution."
    )
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
    updated_at = models.DateTimeField(auto_now=True, help_text="When the profile last changed.")

    class Meta:
        verbose_name = "researcher profile"

    def __str__(self) -> str:
        return f"Profile of {self.user}"


class ConflictOfInterest(models.Model):
    """One declared conflict of interest (policy 2.2, 4.5). Retired, never deleted."""

    class Kind(models.TextChoices):
        FINANCIAL = "financial", "Financial"
        NON_FINANCIAL = "non_financial", "Non-financial"

    class State(models.TextChoices):
        DECLARED = "declared", "In force"
        RETIRED = "retired", "No longer applies"

    LIFECYCLE = Lifecycle(
        field="state",
        states=State,
        transitions=[Transition(State.DECLARED, State.RETIRED, "conflict.retire")],
        noun="conflict of interest",
    )

    profile = models.ForeignKey(
        ResearcherProfile,
        on_delete=models.PROTECT,
        related_name="conflicts",
        help_text="The profile of the researcher who declared it.",
    )
    kind = models.CharField(
        max_length=20, choices=Kind.choices, help_text="Financial or non-financial."
    )
    description = models.TextField(
        help_text="What the conflict is and how its influence on the research is mitigated."
    )
    declared_at = models.DateTimeField(auto_now_add=True, help_text="When it was declared.")
    retired_at = models.DateTimeField(
        null=True, blank=True, help_text="When the researcher said it no longer applies."
    )

    class Meta:
        ordering = ["declared_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} conflict of {self.profile.user}"

    @property
    def state(self) -> str:
        return self.State.RETIRED if self.retired_at is not None else self.State.DECLARED


class RosterImport(models.Model):
    """One import of the Researcher Workbench's Controlled Tier roster."""

    imported_at = models.DateTimeField(auto_now_add=True, help_text="When it was imported.")
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
    row_count = models.PositiveIntegerField(help_text="How many users the roster listed.")
    is_current = models.BooleanField(
        default=False, help_text="True for the import in force, which eligibility uses."
    )
    confirmed_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When it was put in force after its preview; empty while it awaits review.",
    )
    discarded_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When its preview was set aside without putting it in force.",
    )
    drop_reason = models.TextField(
        blank=True,
        help_text="Why a roster that drops many entries was put in force (the second "
        "confirmation a large drop needs).",
    )
    restored_from = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The earlier import whose entries this import restores, if it is a restore.",
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

    @property
    def awaiting_review(self) -> bool:
        """Uploaded and previewed, neither put in force nor set aside."""
        return not self.is_current and self.confirmed_at is None and self.discarded_at is None

    @staticmethod
    def awaiting_review_q() -> models.Q:
        """`awaiting_review` as a query filter."""
        return models.Q(is_current=False, confirmed_at__isnull=True, discarded_at__isnull=True)


class RosterEntry(models.Model):
    """An authorized Controlled Tier user, as one roster import listed them."""

    roster = models.ForeignKey(
        RosterImport,
        on_delete=models.PROTECT,
        related_name="entries",
        help_text="The import that listed this user.",
    )
    email = models.EmailField(
        db_index=True,
        help_text="The Workbench account's email, stored lower-case; matched against the "
        "portal users' verified addresses.",
    )
    workbench_username = models.CharField(
        max_length=150, blank=True, help_text="The user's name in the Researcher Workbench."
    )
    access_expires_on = models.DateField(
        help_text="The last day the Controlled Tier authorization is valid."
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["roster", "email"], name="roster_email_once")
        ]

    def __str__(self) -> str:
        return f"{self.email} until {self.access_expires_on}"

    @property
    def lapses_on(self) -> date:
        """The first day the authorization no longer holds: the day every page names."""
        return self.access_expires_on + timedelta(days=1)


class RequirementBypass(models.Model):
    """A program admin's audited exception to one requirement, with a written reason."""

    class State(models.TextChoices):
        GRANTED = "granted", "Granted"
        REVOKED = "revoked", "Revoked"

    LIFECYCLE = Lifecycle(
        field="state",
        states=State,
        transitions=[Transition(State.GRANTED, State.REVOKED, "requirement_bypass.revoke")],
        noun="bypass",
    )

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="requirement_bypasses",
        help_text="The person for whom the requirement is waived.",
    )
    requirement = models.CharField(
        max_length=40, choices=REQUIREMENT_CHOICES, help_text="Which requirement is waived."
    )
    reason = models.TextField(help_text="Why the requirement is waived, in the admin's words.")
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The program admin who waived it.",
    )
    granted_at = models.DateTimeField(auto_now_add=True, help_text="When it was waived.")
    expires_on = models.DateField(
        null=True, blank=True, help_text="Last day the bypass holds; empty until revoked."
    )
    revoked_at = models.DateTimeField(
        null=True, blank=True, help_text="When a program admin ended it; empty while granted."
    )

    class Meta:
        ordering = ["-granted_at"]

    def __str__(self) -> str:
        return f"Bypass of {self.requirement} for {self.user}"

    @property
    def lapses_on(self) -> date | None:
        """The first day the bypass no longer holds (the day every page names); None when
        it has no end."""
        return self.expires_on + timedelta(days=1) if self.expires_on else None

    @property
    def state(self) -> str:
        return self.State.REVOKED if self.revoked_at is not None else self.State.GRANTED


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

    class State(models.TextChoices):
        GIVEN = "given", "Given"
        WITHDRAWN = "withdrawn", "Withdrawn"

    LIFECYCLE = Lifecycle(
        field="state",
        states=State,
        transitions=[Transition(State.GIVEN, State.WITHDRAWN, "consent.withdraw")],
        noun="consent",
    )

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="consents",
        help_text="The researcher who consented.",
    )
    kind = models.CharField(
        max_length=30, choices=Kind.choices, help_text="Which of the two consents of 2.1."
    )
    wording_version = models.CharField(
        max_length=20, help_text="Version of the consent wording the researcher agreed to."
    )
    wording_sha256 = models.CharField(max_length=64, help_text="SHA-256 of the wording text shown.")
    given_at = models.DateTimeField(help_text="When the consent was given (UTC).")
    withdrawn_at = models.DateTimeField(
        null=True, blank=True, help_text="When the researcher withdrew it; empty while given."
    )

    class Meta:
        ordering = ["-given_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} consent of {self.user}"

    @property
    def state(self) -> str:
        return self.State.WITHDRAWN if self.withdrawn_at is not None else self.State.GIVEN


class CodeOfConductVersion(AgreementVersion):
    """A published version of the Biospecimen Access Code of Conduct. Never edited."""

    title = models.CharField(
        max_length=200,
        default="Biospecimen Access Code of Conduct",
        help_text="The agreement's title as published.",
    )

    class Meta(AgreementVersion.Meta):
        verbose_name = "Code of Conduct version"
        constraints = [
            models.UniqueConstraint(
                fields=["is_current"],
                condition=models.Q(is_current=True),
                name="one_current_code_of_conduct_version",
            )
        ]


class CodeOfConductSignature(models.Model):
    """A signature on one exact version of the Code of Conduct (DESIGN: Signatures)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="coc_signatures",
        help_text="The signer.",
    )
    version = models.ForeignKey(
        CodeOfConductVersion,
        on_delete=models.PROTECT,
        related_name="signatures",
        help_text="The exact version signed.",
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
    ip_address = models.GenericIPAddressField(
        null=True, blank=True, help_text="The address the signature came from."
    )
    signed_copy = models.ForeignKey(
        "portal.Document",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The signed PDF the signer can download at any time; empty until it has "
        "been rendered (it is rendered after the signature commits, and again on demand).",
    )

    class Meta:
        ordering = ["-signed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.printed_name} signed v{self.version.version}"


class ProfileReview(models.Model):
    """One annual confirmation of the profile, with what was confirmed."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="profile_reviews",
        help_text="The researcher who confirmed their profile.",
    )
    confirmed_at = models.DateTimeField(help_text="When the profile was confirmed (UTC).")
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
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="eligibility_snapshot",
        help_text="The researcher or authorized biospecimen user checked.",
    )
    eligible = models.BooleanField(help_text="The verdict at the last daily check.")
    failing = models.JSONField(
        default=list,
        blank=True,
        help_text="The requirements that did not hold at the last check (Requirement values).",
    )
    earliest_expiry = models.DateField(
        null=True,
        blank=True,
        help_text="The last day of the first holding requirement to lapse, at the last check.",
    )
    computed_at = models.DateTimeField(help_text="When the daily check last looked.")

    class Meta:
        indexes = [
            # The people list's "expiring within 30 days" filter and its next-expiry sort
            # (ties in the order people joined), read in order from the index.
            models.Index(fields=["earliest_expiry", "user"], name="snapshot_expiry_user"),
        ]

    def __str__(self) -> str:
        return f"{self.user}: {'eligible' if self.eligible else 'not eligible'}"
