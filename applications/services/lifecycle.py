"""The application's transitions before review (DESIGN.md "Lifecycles"): each locks the
row, checks permission and guard, changes state, writes one audit event, and tells whoever
must act next, after commit."""

import hashlib
import json
from datetime import datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from applications.actions import ApplicationAction
from applications.checks import submission_problems
from applications.errors import ApplicationIncomplete
from applications.extensions import after_accept
from applications.models import Application, Submission
from portal.audit import audit_record
from portal.errors import DomainError
from portal.lifecycles import ensure_transition
from portal.models import User
from portal.notifications import notify
from portal.permissions import ensure_can
from portal.roles import Role

RETURN_COMMENTS_MIN = 10  # characters: the applicant must learn what to fix


def package_snapshot(application: Application) -> dict[str, Any]:
    """Every part of the package, as plain data, for the submission record and the PDF."""
    version = application.template_version
    return {
        "reference": application.reference,
        "kind": application.kind,
        "original": application.original.reference if application.original else None,
        "template": {
            "name": version.template.name,
            "version": version.number,
            "sha256": version.sha256,
        },
        "details": {
            field: getattr(application, field)
            for field in (
                "title",
                "public_summary",
                "funding_source",
                "commercial_terms_accepted",
                "funding_status",
                "recontact_requested",
                "recontact_justification",
                "derivatives_acknowledged",
                "fee_acknowledged",
                "budget_notes",
                "scope_unchanged",
                "includes_ai_an",
            )
        },
        "sections": dict(application.answers.order_by("key").values_list("key", "text")),
        "lines": list(
            application.lines.order_by("pk").values(
                "specimen_type",
                "other_description",
                "volume_per_aliquot",
                "unit",
                "aliquots_per_participant",
                "participants",
                "subpopulation_criteria",
                "includes_ai_an",
                "qc_samples",
                "justification",
                "normalised_total",
            )
        ),
        "applicant": {"id": application.applicant_id, "name": str(application.applicant)},
        "team": [
            {
                "id": m.user_id,
                "name": str(m.user),
                "role_on_project": m.role_on_project,
                "accepted_at": m.accepted_at,
            }
            for m in application.team.filter(removed_at__isnull=True).select_related("user")
        ],
        "uploads": [
            {
                "kind": u.kind,
                "name": u.document.original_name,
                "sha256": u.document.sha256,
                "size": u.document.size,
                "uploaded_by": u.uploaded_by_id,
                "uploaded_at": u.uploaded_at,
                "person": u.person_id,
            }
            for u in application.uploads.filter(replaced_by__isnull=True).select_related("document")
        ],
    }


def snapshot_sha256(snapshot: dict[str, Any]) -> str:
    text = json.dumps(snapshot, cls=DjangoJSONEncoder, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _locked(application: Application) -> Application:
    return (
        Application.objects.select_for_update()
        .select_related("template_version__template", "applicant")
        .get(pk=application.pk)
    )


def _screeners() -> list[User]:
    return list(
        User.objects.filter(
            is_active=True, groups__name__in=[Role.PRAB_CHAIR, Role.PROGRAM_ADMIN]
        ).distinct()
    )


def _team_users(application: Application) -> list[User]:
    return [
        m.user
        for m in application.team.filter(
            removed_at__isnull=True, accepted_at__isnull=False
        ).select_related("user")
    ]


def submission_record(
    *, application: Application, actor: User, now: datetime, outcome: str = ""
) -> Submission:
    """Keep the package exactly as it is now as the application's next Submission, with
    its SHA-256, and the words that board members compare applications by (the title,
    abstract and aims: `Application.search_document`). For the transitions that submit:
    called inside their transaction, after their guard."""
    snapshot = package_snapshot(application)
    number = (application.submissions.aggregate(n=Max("number"))["n"] or 0) + 1
    submission = Submission.objects.create(
        application=application,
        number=number,
        submitted_at=now,
        submitted_by=actor,
        snapshot=json.loads(json.dumps(snapshot, cls=DjangoJSONEncoder)),
        sha256=snapshot_sha256(snapshot),
        outcome=outcome or Submission.Outcome.PENDING,
    )
    sections = snapshot["sections"]
    application.search_document = "\n".join(
        [application.title, sections.get("abstract", ""), sections.get("aims", "")]
    )
    application.save(update_fields=["search_document"])
    return submission


@transaction.atomic
def application_submit(*, application: Application, actor: User) -> Submission:
    """The principal investigator submits a complete package (a draft, or a returned one
    after fixing it). Refused with ApplicationIncomplete listing every problem, with nothing
    changed. Keeps the package exactly as submitted (a Submission with its SHA-256); the
    package is read-only from now on. The applicant and the team get a confirmation, the
    screeners a notice. Audited as `application.submit`."""
    application = _locked(application)
    ensure_can(actor, "application.submit", application)
    ensure_transition(application, to=Application.Status.SUBMITTED)
    problems = submission_problems(application)
    if problems:
        raise ApplicationIncomplete(problems)
    now = timezone.now()
    submission = submission_record(application=application, actor=actor, now=now)
    number = submission.number
    before = application.status
    application.status = Application.Status.SUBMITTED
    application.submitted_at = now
    application.status_changed_at = now
    application.save(update_fields=["status", "submitted_at", "status_changed_at", "updated_at"])
    audit_record(
        actor=actor,
        action=ApplicationAction.APPLICATION_SUBMIT,
        target=application,
        before={"status": before},
        after={"status": application.status, "submission": number, "sha256": submission.sha256},
    )
    url = f"/applications/{application.pk}/"
    for person in [application.applicant, *_team_users(application)]:
        notify(
            user=person,
            template="application_submitted",
            context={"application": application, "submission": submission},
            url=url,
        )
    for screener in _screeners():
        notify(
            user=screener,
            template="application_to_screen",
            context={"application": application},
            url="/applications/screening/",
        )
    return submission


@transaction.atomic
def application_withdraw(*, application: Application, actor: User) -> Application:
    """The principal investigator withdraws the application before a decision. The team is
    told. Audited as `application.withdraw`."""
    application = _locked(application)
    ensure_can(actor, "application.withdraw", application)
    ensure_transition(application, to=Application.Status.WITHDRAWN)
    before = application.status
    application.status = Application.Status.WITHDRAWN
    application.status_changed_at = timezone.now()
    application.save(update_fields=["status", "status_changed_at", "updated_at"])
    application.submissions.filter(outcome=Submission.Outcome.PENDING).update(
        outcome=Submission.Outcome.WITHDRAWN
    )
    audit_record(
        actor=actor,
        action=ApplicationAction.APPLICATION_WITHDRAW,
        target=application,
        before={"status": before},
        after={"status": application.status},
    )
    for person in _team_users(application):
        notify(
            user=person,
            template="application_withdrawn",
            context={"application": application},
            url=f"/applications/{application.pk}/",
        )
    return application


@transaction.atomic
def application_screen(*, application: Application, actor: User) -> Application:
    """The PRAB chair or a program admin takes a submitted application for screening, so
    that two screeners do not screen the same one. Audited as `application.screen`."""
    application = _locked(application)
    ensure_can(actor, "application.screen", application)
    if application.status == Application.Status.SCREENING:
        return application
    ensure_transition(application, to=Application.Status.SCREENING)
    application.status = Application.Status.SCREENING
    application.status_changed_at = timezone.now()
    application.save(update_fields=["status", "status_changed_at", "updated_at"])
    audit_record(
        actor=actor,
        action=ApplicationAction.APPLICATION_SCREEN,
        target=application,
        before={"status": Application.Status.SUBMITTED},
        after={"status": application.status},
    )
    return application


def _latest_submission(application: Application) -> Submission:
    return application.submissions.select_for_update().order_by("-number").first()  # type: ignore[return-value]


@transaction.atomic
def application_accept(*, application: Application, actor: User) -> Application:
    """The screener accepts the application into review. The applicant is told. Audited as
    `application.accept`."""
    application = _locked(application)
    ensure_can(actor, "application.accept", application)
    ensure_transition(application, to=Application.Status.IN_REVIEW)
    now = timezone.now()
    submission = _latest_submission(application)
    submission.outcome = Submission.Outcome.ACCEPTED
    submission.screened_at = now
    submission.screened_by = actor
    submission.save(update_fields=["outcome", "screened_at", "screened_by"])
    application.status = Application.Status.IN_REVIEW
    application.status_changed_at = now
    application.save(update_fields=["status", "status_changed_at", "updated_at"])
    after_accept(application, actor)  # the review app opens the board's review round
    audit_record(
        actor=actor,
        action=ApplicationAction.APPLICATION_ACCEPT,
        target=application,
        before={"status": Application.Status.SCREENING},
        after={"status": application.status, "submission": submission.number},
    )
    notify(
        user=application.applicant,
        template="application_accepted",
        context={"application": application},
        url=f"/applications/{application.pk}/",
    )
    return application


@transaction.atomic
def application_return(*, application: Application, comments: str, actor: User) -> Application:
    """The screener returns the application as incomplete, with comments the applicant
    sees; the applicant fixes it and resubmits (each submission is kept). Audited as
    `application.return`."""
    comments = comments.strip()
    if len(comments) < RETURN_COMMENTS_MIN:
        raise DomainError(
            "Say what the applicant must fix (at least 10 characters): they see your comments."
        )
    application = _locked(application)
    ensure_can(actor, "application.return", application)
    ensure_transition(application, to=Application.Status.RETURNED)
    now = timezone.now()
    submission = _latest_submission(application)
    submission.outcome = Submission.Outcome.RETURNED
    submission.screened_at = now
    submission.screened_by = actor
    submission.screening_comments = comments
    submission.save(update_fields=["outcome", "screened_at", "screened_by", "screening_comments"])
    application.status = Application.Status.RETURNED
    application.status_changed_at = now
    application.save(update_fields=["status", "status_changed_at", "updated_at"])
    audit_record(
        actor=actor,
        action=ApplicationAction.APPLICATION_RETURN,
        target=application,
        before={"status": Application.Status.SCREENING},
        after={"status": application.status, "submission": submission.number},
    )
    notify(
        user=application.applicant,
        template="application_returned",
        context={"application": application, "comments": comments},
        url=f"/applications/{application.pk}/",
    )
    return application
