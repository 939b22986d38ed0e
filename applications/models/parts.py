"""The parts of an application package: section answers, specimen lines, the team and the
supplementary uploads."""

from decimal import Decimal

from django.conf import settings
from django.db import models

from applications.models.application import Application


class SectionAnswer(models.Model):
    """The applicant's text for one section of the template version.

    `revision` counts saves: a save names the revision it started from, and a save from an
    older revision (another tab saved in between) is refused with both texts shown.
    """

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="answers")
    key = models.CharField(max_length=64, help_text="The section's key in the template version.")
    text = models.TextField(blank=True)
    revision = models.PositiveIntegerField(default=0, help_text="Saves so far.")
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["application", "key"], name="answer_one_per_section")
        ]

    def __str__(self) -> str:
        return f"{self.key} (revision {self.revision})"


class SpecimenLine(models.Model):
    """One requested biospecimen type (policy 2.3, 4.6), with volumes normalised to
    millilitres (liquids) or micrograms (DNA) so that totals can be compared with what the
    biobank reports available."""

    class Type(models.TextChoices):
        WHOLE_BLOOD = "whole_blood", "Whole blood"
        WHITE_BLOOD_CELLS = "white_blood_cells", "White blood cells"
        SERUM = "serum", "Serum"
        PLASMA = "plasma", "Plasma"
        DNA = "dna", "DNA"
        URINE = "urine", "Urine"
        OTHER = "other", "Other"

    class Unit(models.TextChoices):
        ML = "ml", "mL"
        UL = "ul", "µL"
        UG = "ug", "µg"
        NG = "ng", "ng"

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="lines")
    specimen_type = models.CharField(max_length=24, choices=Type.choices)
    other_description = models.CharField(
        max_length=200, blank=True, help_text="What the specimen is, for type 'other'."
    )
    volume_per_aliquot = models.DecimalField(max_digits=10, decimal_places=3)
    unit = models.CharField(max_length=4, choices=Unit.choices)
    aliquots_per_participant = models.PositiveIntegerField()
    participants = models.PositiveIntegerField(help_text="Number of participants.")
    subpopulation_criteria = models.TextField(
        blank=True, help_text="Which participants: ages, conditions, ancestry groups …"
    )
    includes_ai_an = models.BooleanField(
        default=False,
        help_text="The line asks for American Indian or Alaska Native participants' "
        "biospecimens (policy 3.3).",
    )
    qc_samples = models.PositiveIntegerField(default=0, help_text="QC samples needed.")
    justification = models.TextField(help_text="Why this type and this volume (policy 2.3).")
    normalised_total = models.DecimalField(
        max_digits=16,
        decimal_places=3,
        help_text="Total requested in the type's base unit (mL, or µg for DNA): volume per "
        "aliquot times aliquots per participant times participants.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_specimen_type_display()}: {self.normalised_total}"


class TeamMember(models.Model):
    """Someone the principal investigator names on the application (policy 2.3). They are
    invited by email, accept in the portal, and must be eligible before submission."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="team")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="team_memberships"
    )
    role_on_project = models.CharField(
        max_length=120, blank=True, help_text="e.g. co-investigator, laboratory manager."
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    invited_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    removed_at = models.DateTimeField(
        null=True, blank=True, help_text="Taken off the team (kept for the history)."
    )

    class Meta:
        ordering = ["invited_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "user"],
                condition=models.Q(removed_at__isnull=True),
                name="team_member_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} on {self.application_id}"


class ApplicationUpload(models.Model):
    """A supplementary document (policy 2.3). Replacing one keeps the old row, marked
    `replaced_by`, so the history stays."""

    class Kind(models.TextChoices):
        FUNDING_PROOF = "funding_proof", "Proof of funding"
        CV = "cv", "CV or biosketch"
        JUSTIFICATION = "justification", "Justification of types and volumes"
        OTHER = "other", "Other supporting document"

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="uploads")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Whose CV or biosketch this is.",
    )
    document = models.ForeignKey("portal.Document", on_delete=models.PROTECT, related_name="+")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField()
    replaced_by = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="replaces"
    )

    class Meta:
        ordering = ["kind", "uploaded_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.uploaded_at:%Y-%m-%d})"


class Submission(models.Model):
    """The package exactly as submitted, kept for ever with its hash; each submission of a
    returned application is a new row. Screening records its outcome here."""

    class Outcome(models.TextChoices):
        PENDING = "pending", "Waiting for screening"
        ACCEPTED = "accepted", "Accepted into review"
        RETURNED = "returned", "Returned as incomplete"
        WITHDRAWN = "withdrawn", "Withdrawn"

    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, related_name="submissions"
    )
    number = models.PositiveIntegerField(help_text="1 for the first submission, 2 after a return …")
    submitted_at = models.DateTimeField()
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    snapshot = models.JSONField(help_text="Every part of the package as submitted.")
    sha256 = models.CharField(max_length=64, help_text="SHA-256 of the snapshot's canonical JSON.")
    outcome = models.CharField(max_length=12, choices=Outcome.choices, default=Outcome.PENDING)
    screened_at = models.DateTimeField(null=True, blank=True)
    screened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    screening_comments = models.TextField(
        blank=True, help_text="What the applicant must fix; they see it."
    )

    class Meta:
        ordering = ["application", "number"]
        constraints = [
            models.UniqueConstraint(fields=["application", "number"], name="submission_number")
        ]

    def __str__(self) -> str:
        return f"Submission {self.number} of {self.application_id}"


# Normalisation to each type's base unit: liquids in mL, DNA in µg.
UNIT_FACTORS: dict[str, Decimal] = {
    SpecimenLine.Unit.ML: Decimal(1),
    SpecimenLine.Unit.UL: Decimal("0.001"),
    SpecimenLine.Unit.UG: Decimal(1),
    SpecimenLine.Unit.NG: Decimal("0.001"),
}
