"""Appeals of a denial (policy 3.5), adjudicated by the RAB."""

from django.conf import settings
from django.db import models


class Appeal(models.Model):
    class Outcome(models.TextChoices):
        PENDING = "pending", "Waiting for the RAB"
        UPHELD = "upheld", "Denial upheld (final)"
        RETURNED = "returned", "Returned to the PRAB for a new review"

    application = models.ForeignKey(
        "applications.Application", on_delete=models.PROTECT, related_name="appeals"
    )
    decision = models.ForeignKey(
        "review.Decision",
        on_delete=models.PROTECT,
        related_name="appeals",
        help_text="The denial appealed.",
    )
    grounds = models.TextField(help_text="Why the applicant asks for reconsideration.")
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField()
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.PENDING)
    determination = models.TextField(
        blank=True, help_text="The RAB's reasons; the applicant sees them."
    )
    determined_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    determined_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["application", "submitted_at"]
        indexes = [
            models.Index(
                fields=["submitted_at", "id"],
                name="appeal_open",
                condition=models.Q(outcome="pending"),
            )
        ]

    def __str__(self) -> str:
        return f"Appeal on {self.application_id}"


class AppealDocument(models.Model):
    """A supporting document uploaded with an appeal."""

    appeal = models.ForeignKey(Appeal, on_delete=models.PROTECT, related_name="documents")
    document = models.ForeignKey("portal.Document", on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["appeal", "id"]

    def __str__(self) -> str:
        return f"{self.document} for appeal {self.appeal_id}"
