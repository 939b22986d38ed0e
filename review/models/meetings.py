"""Board meetings (policy 3.2, 3.3) and the decisions recorded at them."""

from django.conf import settings
from django.db import models


class Meeting(models.Model):
    """A regular or ad hoc PRAB meeting. The quorum and the decision rule are stored on the
    meeting when it is scheduled (defaults from settings), so a later change of settings or
    of the board does not rewrite what applied."""

    class Kind(models.TextChoices):
        REGULAR = "regular", "Regular"
        AD_HOC = "ad_hoc", "Ad hoc"

    class Rule(models.TextChoices):
        MAJORITY_PRESENT = "majority_present", "Majority of members present and not recused"
        TWO_THIRDS_PRESENT = "two_thirds_present", "Two thirds of members present and not recused"

    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.REGULAR)
    ai_an_review = models.BooleanField(
        default=False,
        help_text="Policy 3.3: held for requests that include American Indian or Alaska "
        "Native biospecimens; only such a meeting can decide them.",
    )
    starts_at = models.DateTimeField()
    board_size = models.PositiveSmallIntegerField(
        help_text="PRAB members (chairs included) when the meeting was scheduled."
    )
    quorum = models.PositiveSmallIntegerField(
        help_text="Members present and not recused that a decision needs."
    )
    decision_rule = models.CharField(
        max_length=24, choices=Rule.choices, default=Rule.MAJORITY_PRESENT
    )
    notes = models.TextField(blank=True, help_text="General notes for the minutes.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-starts_at", "-id"]

    def __str__(self) -> str:
        return f"{self.title} ({self.starts_at:%Y-%m-%d})"

    def carries(self, votes_for: int, eligible: int) -> bool:
        """Whether `votes_for` out of `eligible` members carries a motion under the rule."""
        if self.decision_rule == self.Rule.TWO_THIRDS_PRESENT:
            return 3 * votes_for >= 2 * eligible
        return 2 * votes_for > eligible


class Attendance(models.Model):
    """A board member present at a meeting."""

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="attendance")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["meeting", "member__full_name"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "member"], name="attendance_once")
        ]

    def __str__(self) -> str:
        return f"{self.member} at {self.meeting_id}"


class AgendaItem(models.Model):
    """An application on a meeting's agenda."""

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="agenda")
    application = models.ForeignKey(
        "applications.Application", on_delete=models.PROTECT, related_name="agenda_items"
    )
    position = models.PositiveSmallIntegerField(default=0)
    added_at = models.DateTimeField()

    class Meta:
        ordering = ["meeting", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "application"], name="agenda_once")
        ]

    def __str__(self) -> str:
        return f"{self.application_id} at {self.meeting_id}"


class Decision(models.Model):
    """The board's decision on an application, recorded by the chair at a meeting with
    quorum (or, for an additional-specimen request with the scope unchanged, by the chair
    without full review). Recused members are not in the tally."""

    class Outcome(models.TextChoices):
        APPROVE = "approve", "Approved"
        CONDITIONAL = "conditional", "Approved on condition of funding"
        REVISIONS = "revisions", "Revisions requested"
        DENY = "deny", "Denied"
        DEFER = "defer", "Deferred to a later meeting"
        APPROVE_WITHOUT_REVIEW = (
            "approve_without_review",
            ("Approved by the chair without full review (additional specimens, scope unchanged)"),
        )

    application = models.ForeignKey(
        "applications.Application", on_delete=models.PROTECT, related_name="decisions"
    )
    round = models.ForeignKey(
        "review.ReviewRound", on_delete=models.PROTECT, related_name="decisions"
    )
    meeting = models.ForeignKey(
        Meeting, null=True, blank=True, on_delete=models.PROTECT, related_name="decisions"
    )
    outcome = models.CharField(max_length=24, choices=Outcome.choices)
    votes_for = models.PositiveSmallIntegerField(default=0)
    votes_against = models.PositiveSmallIntegerField(default=0)
    abstentions = models.PositiveSmallIntegerField(default=0)
    eligible = models.PositiveSmallIntegerField(
        default=0, help_text="Members present and not recused when the vote was taken."
    )
    recused = models.JSONField(
        default=list, help_text="Names of members present who left the room (recused)."
    )
    reasons = models.TextField(blank=True, help_text="A denial's reasons; the applicant sees them.")
    required_changes = models.TextField(
        blank=True, help_text="What a revision must change; the applicant sees it."
    )
    comments_for_applicant = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField()
    funding_accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    funding_accepted_at = models.DateTimeField(
        null=True, blank=True, help_text="When staff accepted the proof of funding (2.3)."
    )

    class Meta:
        ordering = ["application", "recorded_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} on {self.application_id}"


class RecontactDecision(models.Model):
    """The explicit approval, or refusal, of re-contacting participants (policy 1.1),
    recorded separately from the decision on the application."""

    application = models.ForeignKey(
        "applications.Application", on_delete=models.PROTECT, related_name="recontact_decisions"
    )
    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="+")
    approved = models.BooleanField()
    votes_for = models.PositiveSmallIntegerField(default=0)
    votes_against = models.PositiveSmallIntegerField(default=0)
    abstentions = models.PositiveSmallIntegerField(default=0)
    conditions = models.TextField(
        blank=True, help_text="How re-contact must be carried out (only through the program)."
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["application", "recorded_at"]

    def __str__(self) -> str:
        return f"Re-contact {'approved' if self.approved else 'refused'} on {self.application_id}"
