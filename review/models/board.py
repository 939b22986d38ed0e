"""The board's members and the biobank's available volumes."""

from django.conf import settings
from django.db import models


class BoardMember(models.Model):
    """A PRAB member's expertise and institution (policy 1.2: the board is diverse and
    includes participants). Kept by program admins; used to suggest reviewers and to spot
    likely conflicts of interest."""

    class Expertise(models.TextChoices):
        SCIENTIFIC = "scientific", "Scientific"
        ELSI = "elsi", "Ethical, legal and social implications (ELSI)"
        PARTICIPANT = "participant", "Participant representative"
        COMMUNITY = "community", "Community partner"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="board_member"
    )
    expertise = models.CharField(
        max_length=16,
        choices=Expertise.choices,
        default=Expertise.SCIENTIFIC,
        help_text="What the member brings to the board; assignment needs a participant "
        "representative and an ELSI member on every application.",
    )
    institution = models.CharField(
        max_length=255,
        blank=True,
        help_text="The member's institution: a shared institution with the applicant or the "
        "team suggests a conflict of interest.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["user__full_name"]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_expertise_display()})"


class AvailableVolume(models.Model):
    """What the biobank reports available of one specimen type, as of a date. Never
    changed: a new report is a new row, so the history stays (policy 3.1, scarcity)."""

    specimen_type = models.CharField(
        max_length=24, help_text="A specimen type of applications.SpecimenLine.Type."
    )
    volume = models.DecimalField(
        max_digits=14,
        decimal_places=3,
        help_text="Available volume in the type's base unit (mL; µg for DNA).",
    )
    note = models.CharField(max_length=300, blank=True, help_text="Where the figure comes from.")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["specimen_type", "-recorded_at", "-id"]
        indexes = [models.Index(fields=["specimen_type", "-recorded_at"], name="volume_latest")]

    def __str__(self) -> str:
        return f"{self.specimen_type}: {self.volume} ({self.recorded_at:%Y-%m-%d})"
