"""A review round of one application: its reviewers, their conflict declarations and score
sheets, the board's discussion, escalations to the RAB and consultations.

An application has one current round while the board has it. Revisions go back into the
same round; an appeal returned for re-review opens a new round with new reviewers.
"""

from django.conf import settings
from django.db import models


class ReviewRound(models.Model):
    class Stage(models.TextChoices):
        AWAITING_ASSIGNMENT = "awaiting_assignment", "Awaiting assignment"
        IN_REVIEW = "in_review", "In review"
        READY = "ready", "Ready for decision"
        DEFERRED = "deferred", "Deferred"
        REVISIONS = "revisions", "Waiting for revisions"
        DECIDED = "decided", "Decided"

    # The stage is the board's bookkeeping inside the application's `in_review` status (the
    # application's lifecycle is the one table); each review service sets it.
    OPEN = frozenset({Stage.AWAITING_ASSIGNMENT, Stage.IN_REVIEW, Stage.READY, Stage.DEFERRED})

    application = models.ForeignKey(
        "applications.Application", on_delete=models.PROTECT, related_name="review_rounds"
    )
    number = models.PositiveSmallIntegerField(
        help_text="1 for the first review; 2 after an appeal returned it for a new review."
    )
    current = models.BooleanField(
        default=True, help_text="The round the board works on now (one per application)."
    )
    stage = models.CharField(
        max_length=24, choices=Stage.choices, default=Stage.AWAITING_ASSIGNMENT
    )
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The chair or program admin who took the application over from a "
        "conflicted chair; empty: any chair who is not recused.",
    )
    full_review = models.BooleanField(
        default=True,
        help_text="False when the chair approved an additional-specimen request with the "
        "scope unchanged without full review (policy 2.3).",
    )
    opened_at = models.DateTimeField()
    stage_changed_at = models.DateTimeField(help_text="When the stage last changed (ages).")
    due_on = models.DateField(
        null=True, blank=True, help_text="When the reviews are due (the latest assignment's)."
    )
    reviewers = models.PositiveSmallIntegerField(
        default=0, help_text="Reviewers assigned and not recused or removed."
    )
    sheets_submitted = models.PositiveSmallIntegerField(
        default=0, help_text="Score sheets submitted by those reviewers."
    )
    escalated = models.BooleanField(
        default=False, help_text="A question to the RAB is open: no decision until answered."
    )

    class Meta:
        ordering = ["application", "number"]
        constraints = [
            models.UniqueConstraint(fields=["application", "number"], name="round_number"),
            models.UniqueConstraint(
                fields=["application"], condition=models.Q(current=True), name="round_current"
            ),
        ]
        indexes = [
            # The chair's queue, by stage, oldest first or by due date.
            models.Index(
                fields=["stage", "stage_changed_at", "id"],
                name="round_queue_age",
                condition=models.Q(current=True),
            ),
            models.Index(
                fields=["stage", "due_on", "id"],
                name="round_queue_due",
                condition=models.Q(current=True),
            ),
            models.Index(
                fields=["stage_changed_at", "id"],
                name="round_escalated",
                condition=models.Q(current=True, escalated=True),
            ),
        ]

    def __str__(self) -> str:
        return f"Review {self.number} of {self.application_id}"


class Assignment(models.Model):
    """A board member asked to review an application in a round, by a due date."""

    class State(models.TextChoices):
        DECLARING = "declaring", "Conflict of interest to declare"
        REVIEWING = "reviewing", "Scoring"
        SUBMITTED = "submitted", "Score sheet submitted"
        RECUSED = "recused", "Recused (conflict of interest)"
        REMOVED = "removed", "Removed"

    ACTIVE = frozenset({State.DECLARING, State.REVIEWING, State.SUBMITTED})

    round = models.ForeignKey(ReviewRound, on_delete=models.PROTECT, related_name="assignments")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="review_assignments"
    )
    state = models.CharField(max_length=12, choices=State.choices, default=State.DECLARING)
    due_on = models.DateField(help_text="When the score sheet is due (program time zone).")
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    assigned_at = models.DateTimeField()
    removed_reason = models.CharField(
        max_length=300, blank=True, help_text="Why the assignment ended (left the board …)."
    )

    class Meta:
        ordering = ["round", "assigned_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["round", "reviewer"], name="assignment_once")
        ]
        indexes = [
            # A member's own queue, soonest due first.
            models.Index(fields=["reviewer", "state", "due_on", "id"], name="assignment_mine")
        ]

    def __str__(self) -> str:
        return f"{self.reviewer} on {self.round}"


class ConflictDeclaration(models.Model):
    """A board member's declaration on one application (policy 4.5, 1.2): no conflict, or a
    conflict by type. A conflict recuses the member from the application for good: they
    cannot open it, its scores, discussion or PDF, and do not count toward quorum."""

    class Type(models.TextChoices):
        INSTITUTIONAL = "institutional", "Institutional"
        COLLABORATOR = "collaborator", "Recent collaborator"
        ADVISOR = "advisor", "Advisor or advisee"
        PERSONAL = "personal", "Personal"
        FINANCIAL = "financial", "Financial"
        OTHER = "other", "Other"

    class Source(models.TextChoices):
        MEMBER = "member", "Declared by the member"
        CHAIR = "chair", "Confirmed by the chair from a suggestion"

    application = models.ForeignKey(
        "applications.Application", on_delete=models.PROTECT, related_name="conflicts"
    )
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="conflict_declarations"
    )
    conflicted = models.BooleanField(help_text="True: a conflict, and the member is recused.")
    conflict_type = models.CharField(max_length=16, choices=Type.choices, blank=True)
    description = models.TextField(blank=True, help_text="The conflict, in the member's words.")
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.MEMBER)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    declared_at = models.DateTimeField()

    class Meta:
        ordering = ["application", "declared_at"]
        constraints = [
            models.UniqueConstraint(fields=["application", "member"], name="declaration_once")
        ]
        indexes = [
            models.Index(
                fields=["member", "application"],
                name="recusal",
                condition=models.Q(conflicted=True),
            )
        ]

    def __str__(self) -> str:
        return (
            f"{self.member} on {self.application_id}: {'conflict' if self.conflicted else 'none'}"
        )


class ConflictSuggestion(models.Model):
    """A likely conflict the portal spotted (shared institution, on the team). The chair
    confirms it (the member is recused) or dismisses it with a reason; a dismissed
    suggestion is not suggested again."""

    class State(models.TextChoices):
        OPEN = "open", "To confirm or dismiss"
        CONFIRMED = "confirmed", "Confirmed: recused"
        DISMISSED = "dismissed", "Dismissed as a false positive"

    application = models.ForeignKey(
        "applications.Application", on_delete=models.PROTECT, related_name="conflict_suggestions"
    )
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    basis = models.CharField(max_length=300, help_text="Why the portal suggests a conflict.")
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    reason = models.TextField(blank=True, help_text="Why the chair dismissed it.")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    suggested_at = models.DateTimeField()

    class Meta:
        ordering = ["application", "suggested_at"]
        constraints = [
            models.UniqueConstraint(fields=["application", "member"], name="suggestion_once")
        ]

    def __str__(self) -> str:
        return f"{self.member} on {self.application_id}: {self.basis}"


class ScoreSheet(models.Model):
    """A reviewer's scores on the criteria of policy 3.1, each 1 (exceptional) to 9 (poor)
    with a comment, the overall impact, a recommendation and two kinds of comment: for the
    applicant, and confidential to the board."""

    class Recommendation(models.TextChoices):
        APPROVE = "approve", "Approve"
        CONDITIONAL = "conditional", "Approve on condition of funding"
        REVISE = "revise", "Request revisions"
        DENY = "deny", "Deny"

    assignment = models.OneToOneField(Assignment, on_delete=models.PROTECT, related_name="sheet")
    scores = models.JSONField(
        default=dict, help_text="Per criterion key: {'score': 1..9, 'comment': text}."
    )
    overall = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Overall impact, 1 (exceptional) to 9 (poor)."
    )
    recommendation = models.CharField(max_length=12, choices=Recommendation.choices, blank=True)
    comments_for_applicant = models.TextField(
        blank=True, help_text="Shown to the applicant with the decision."
    )
    confidential_comments = models.TextField(
        blank=True, help_text="For the board only; never shown to the applicant."
    )
    saved_at = models.DateTimeField()
    submitted_at = models.DateTimeField(
        null=True, blank=True, help_text="Empty while a draft (or reopened after revisions)."
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(overall__isnull=True) | models.Q(overall__gte=1, overall__lte=9),
                name="sheet_overall_1_to_9",
            )
        ]

    def __str__(self) -> str:
        return f"Score sheet of {self.assignment}"


class DiscussionPost(models.Model):
    """One message in the board's discussion of an application; closed to recused members."""

    application = models.ForeignKey(
        "applications.Application", on_delete=models.PROTECT, related_name="discussion"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField()
    posted_at = models.DateTimeField()

    class Meta:
        ordering = ["application", "posted_at", "id"]

    def __str__(self) -> str:
        return f"Post by {self.author} on {self.application_id}"


class Escalation(models.Model):
    """A question the PRAB chair sends to the RAB (policy 1.2). While one is open, no
    decision can be recorded on the application."""

    application = models.ForeignKey(
        "applications.Application", on_delete=models.PROTECT, related_name="escalations"
    )
    question = models.TextField(help_text="What the PRAB asks the RAB to determine.")
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    asked_at = models.DateTimeField()
    determination = models.TextField(blank=True, help_text="The RAB's answer.")
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["application", "asked_at"]
        indexes = [
            models.Index(
                fields=["asked_at", "id"],
                name="escalation_open",
                condition=models.Q(answered_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"Escalation on {self.application_id} ({self.asked_at:%Y-%m-%d})"

    @property
    def is_open(self) -> bool:
        return self.answered_at is None


class Consultation(models.Model):
    """Input the board sought on an application (policy 1.2, 3.3): from community partners,
    tribal representatives, participant representatives or another governance body. A
    request including American Indian or Alaska Native biospecimens needs one on record
    before a decision."""

    class Party(models.TextChoices):
        COMMUNITY = "community", "Community partners"
        TRIBAL = "tribal", "Tribal representatives"
        PARTICIPANTS = "participants", "Participant representatives"
        GOVERNANCE = "governance", "Another governance body"

    application = models.ForeignKey(
        "applications.Application", on_delete=models.PROTECT, related_name="consultations"
    )
    party = models.CharField(max_length=16, choices=Party.choices)
    held_on = models.DateField()
    summary = models.TextField(help_text="Who was consulted and what they advised.")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["application", "held_on", "id"]

    def __str__(self) -> str:
        return f"{self.get_party_display()} on {self.application_id}"
