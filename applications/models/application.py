"""An application for biospecimens and its lifecycle (DESIGN.md "Application").

The status field is one field with one table: the package's own states (draft,
submitted, screening, returned, withdrawn) and the board's (in review, revisions
requested, approved on condition of funding, approved, denied, appealed, denied final),
whose transitions the review app's services take.
"""

from django.conf import settings
from django.db import models

from portal.lifecycles import Lifecycle, Transition


class Application(models.Model):
    class Kind(models.TextChoices):
        NEW = "new", "New application"
        AMENDMENT = "amendment", "Amendment (policy 3.2)"
        ADDITIONAL_SPECIMENS = "additional_specimens", "Additional-specimen request (policy 2.3)"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"
        SCREENING = "screening", "Screening"
        RETURNED = "returned", "Returned as incomplete"
        WITHDRAWN = "withdrawn", "Withdrawn"
        IN_REVIEW = "in_review", "In review"
        REVISIONS_REQUESTED = "revisions_requested", "Revisions requested"
        CONDITIONALLY_APPROVED = "conditionally_approved", "Approved on condition of funding"
        APPROVED = "approved", "Approved"
        DENIED = "denied", "Denied"
        APPEALED = "appealed", "Appealed"
        DENIED_FINAL = "denied_final", "Denied (final)"

    class FundingSource(models.TextChoices):
        PUBLIC = "public", "Public"
        COMMERCIAL = "commercial", "Commercial"
        BOTH = "both", "Public and commercial"

    class FundingStatus(models.TextChoices):
        SECURED = "secured", "Secured"
        CONTINGENT = "contingent", "Contingent on approval"

    LIFECYCLE = Lifecycle(
        field="status",
        states=Status,
        noun="application",
        transitions=[
            Transition(Status.DRAFT, Status.SUBMITTED, "application.submit"),
            Transition(Status.RETURNED, Status.SUBMITTED, "application.submit"),
            Transition(Status.SUBMITTED, Status.SCREENING, "application.screen"),
            Transition(Status.SCREENING, Status.IN_REVIEW, "application.accept"),
            Transition(Status.SCREENING, Status.RETURNED, "application.return"),
            Transition(Status.DRAFT, Status.WITHDRAWN, "application.withdraw"),
            Transition(Status.SUBMITTED, Status.WITHDRAWN, "application.withdraw"),
            Transition(Status.SCREENING, Status.WITHDRAWN, "application.withdraw"),
            Transition(Status.RETURNED, Status.WITHDRAWN, "application.withdraw"),
            # Board review (the review app's services; policy 2.3, 3.1 to 3.5).
            Transition(Status.IN_REVIEW, Status.APPROVED, "review.decide"),
            Transition(Status.IN_REVIEW, Status.CONDITIONALLY_APPROVED, "review.decide"),
            Transition(Status.IN_REVIEW, Status.REVISIONS_REQUESTED, "review.decide"),
            Transition(Status.IN_REVIEW, Status.DENIED, "review.decide"),
            Transition(Status.IN_REVIEW, Status.APPROVED, "review.approve_without_review"),
            Transition(Status.REVISIONS_REQUESTED, Status.IN_REVIEW, "application.resubmit"),
            Transition(Status.REVISIONS_REQUESTED, Status.WITHDRAWN, "application.withdraw"),
            Transition(Status.CONDITIONALLY_APPROVED, Status.APPROVED, "review.funding.accept"),
            Transition(Status.DENIED, Status.APPEALED, "review.appeal"),
            Transition(Status.APPEALED, Status.DENIED_FINAL, "review.appeal.uphold"),
            Transition(Status.APPEALED, Status.IN_REVIEW, "review.appeal.return"),
        ],
    )
    # The applicant may change the package only in these states.
    EDITABLE = frozenset({Status.DRAFT, Status.RETURNED, Status.REVISIONS_REQUESTED})

    reference = models.CharField(
        max_length=20, unique=True, help_text="The number people quote, e.g. BSA-2026-00042."
    )
    kind = models.CharField(max_length=24, choices=Kind.choices, default=Kind.NEW)
    status = models.CharField(
        max_length=24, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="applications",
        help_text="The principal investigator, who manages the package and the team.",
    )
    template_version = models.ForeignKey(
        "applications.TemplateVersion",
        on_delete=models.PROTECT,
        related_name="applications",
        help_text="The template version the application started on and keeps.",
    )
    original = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="follow_ups",
        help_text="For an amendment or additional-specimen request: the approved application "
        "it builds on.",
    )
    title = models.CharField(
        max_length=200, help_text="Shown in the public directory once approved."
    )
    public_summary = models.TextField(
        blank=True,
        help_text="A plain-language summary for the public directory once approved.",
    )
    funding_source = models.CharField(max_length=12, choices=FundingSource.choices, blank=True)
    commercial_terms_accepted = models.BooleanField(
        default=False,
        help_text="Policy 4.7: the commercial funder accepts the full MTA, Code of Conduct "
        "and data-sharing terms; the applicant confirms it.",
    )
    funding_status = models.CharField(max_length=12, choices=FundingStatus.choices, blank=True)
    recontact_requested = models.BooleanField(
        null=True,
        blank=True,
        help_text="Policy 1.1: whether participants would be re-contacted (only with the "
        "board's explicit approval). Empty: not answered yet.",
    )
    recontact_justification = models.TextField(blank=True)
    derivatives_acknowledged = models.BooleanField(
        default=False,
        help_text="Policy 4.8: no immortalized cell lines or other derivatives.",
    )
    fee_acknowledged = models.BooleanField(
        default=False, help_text="Policy 4.4: the processing fee of the template's schedule."
    )
    budget_notes = models.TextField(
        blank=True,
        help_text="Policy 4.4: how the budget covers preparing data and documentation for "
        "return, and data curation and QC support.",
    )
    scope_unchanged = models.BooleanField(
        null=True,
        blank=True,
        help_text="Additional-specimen requests (2.3): whether scope and objectives are "
        "unchanged, which lets the chair approve without full review.",
    )
    includes_ai_an = models.BooleanField(
        default=False,
        help_text="Policy 3.3: a specimen line asks for American Indian or Alaska Native "
        "participants' biospecimens; review routes on it.",
    )
    search_document = models.TextField(
        blank=True,
        help_text="The title, abstract and aims as last submitted: what board members compare "
        "applications by (policy 3.1, non-duplication).",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(
        null=True, blank=True, help_text="The latest submission's time."
    )
    status_changed_at = models.DateTimeField(
        null=True, blank=True, help_text="When the status last changed (ages in queues)."
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # The screening queue, oldest submission first, read in order from here whatever
            # subset of its states is asked for.
            models.Index(
                fields=["submitted_at", "id"],
                name="application_queue",
                condition=models.Q(status__in=["submitted", "screening", "returned"]),
            ),
            # A researcher's own list, newest first.
            models.Index(fields=["applicant", "-created_at", "id"], name="application_mine"),
        ]

    def __str__(self) -> str:
        return f"{self.reference}: {self.title}"

    @property
    def editable(self) -> bool:
        return self.status in self.EDITABLE
