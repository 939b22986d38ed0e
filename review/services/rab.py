"""Escalation to the RAB and consultations (policy 1.2, 3.3), and appeals (3.5)."""

from datetime import date

from django.conf import settings
from django.core.files.base import File
from django.db import transaction
from django.utils import timezone

from applications.models import Application
from portal.audit import audit_record
from portal.clock import program_today
from portal.document_checks import validate_board_document
from portal.documents import document_store
from portal.errors import DomainError
from portal.lifecycles import ensure_transition
from portal.models import User
from portal.permissions import ensure_can
from review.actions import ReviewAction
from review.errors import ReviewRefused
from review.models import Appeal, AppealDocument, Consultation, Escalation
from review.selectors.records import appeal_deadline, latest_denial, recused_ids
from review.services._common import (
    applicant_and_team,
    chairs,
    locked_application,
    locked_round,
    move,
    rab_members,
    review_changed,
    review_url,
    tell,
    who_acts_for_board,
)
from review.services.rounds import round_open

TEXT_MIN = 10
APPEAL_DOCUMENTS_MAX = 5


@transaction.atomic
def escalate(*, application: Application, question: str, actor: User) -> Escalation:
    """The chair sends a question to the RAB; no decision can be recorded until the RAB
    answers. RAB members are told. Audited as `review.escalate`."""
    application = locked_application(application)
    ensure_can(actor, "review.escalate", application)
    if application.status != Application.Status.IN_REVIEW:
        raise DomainError("Questions go to the RAB while the application is in review.")
    question = question.strip()
    if len(question) < TEXT_MIN:
        raise DomainError("Write the question for the RAB (at least 10 characters).")
    escalation = Escalation.objects.create(
        application=application, question=question, asked_by=actor, asked_at=timezone.now()
    )
    round_ = locked_round(application)
    if round_ is not None:
        round_.escalated = True
        round_.save(update_fields=["escalated"])
        review_changed()
    audit_record(
        actor=actor,
        action=ReviewAction.ESCALATE,
        target=application,
        before={},
        after={"escalation": escalation.pk},
    )
    tell(
        [m for m in rab_members() if m.pk not in recused_ids(application)],
        template="review_escalation",
        url=f"/review/escalations/{escalation.pk}/",
        application=application,
        question=question,
    )
    return escalation


@transaction.atomic
def escalation_answer(*, escalation: Escalation, determination: str, actor: User) -> Escalation:
    """A RAB member records the RAB's determination; the chair is told, and a decision can
    be recorded again once no other question is open. Audited as `escalation.answer`."""
    escalation = (
        Escalation.objects.select_for_update().select_related("application").get(pk=escalation.pk)
    )
    application = escalation.application
    ensure_can(actor, "review.escalation.answer", escalation)
    if not escalation.is_open:
        raise DomainError("The RAB has already answered this question.")
    determination = determination.strip()
    if len(determination) < TEXT_MIN:
        raise DomainError("Write the RAB's determination (at least 10 characters).")
    escalation.determination = determination
    escalation.answered_by = actor
    escalation.answered_at = timezone.now()
    escalation.save(update_fields=["determination", "answered_by", "answered_at"])
    round_ = locked_round(application)
    if round_ is not None:
        round_.escalated = application.escalations.filter(answered_at__isnull=True).exists()
        round_.save(update_fields=["escalated"])
        review_changed()
    audit_record(
        actor=actor,
        action=ReviewAction.ESCALATION_ANSWER,
        target=application,
        before={"escalation": escalation.pk, "open": True},
        after={"escalation": escalation.pk, "open": False},
    )
    tell(
        who_acts_for_board(application, round_),
        template="review_escalation_answered",
        url=review_url(application),
        application=application,
        determination=determination,
    )
    return escalation


@transaction.atomic
def consultation_record(
    *, application: Application, party: str, held_on: date, summary: str, actor: User
) -> Consultation:
    """The chair records a consultation the board held on an application (policy 1.2: with
    community partners, participant representatives or another governance body; 3.3: with
    tribal representatives for AI/AN requests). Audited as `consultation.record`."""
    application = locked_application(application)
    ensure_can(actor, "review.consultation.record", application)
    problems = []
    if party not in Consultation.Party.values:
        problems.append("Choose who was consulted.")
    if held_on > program_today():
        problems.append("A consultation is recorded once held: its date cannot be in the future.")
    if len(summary.strip()) < TEXT_MIN:
        problems.append("Summarise who was consulted and what they advised.")
    if problems:
        raise ReviewRefused(problems)
    consultation = Consultation.objects.create(
        application=application,
        party=party,
        held_on=held_on,
        summary=summary.strip(),
        recorded_by=actor,
        recorded_at=timezone.now(),
    )
    audit_record(
        actor=actor,
        action=ReviewAction.CONSULTATION_RECORD,
        target=application,
        before={},
        after={"party": party, "held_on": held_on},
    )
    return consultation


@transaction.atomic
def appeal_submit(
    *, application: Application, grounds: str, files: list["File[bytes]"], actor: User
) -> Appeal:
    """The principal investigator appeals a denial within REVIEW_APPEAL_WINDOW_DAYS, with
    grounds and up to five supporting documents (PDF or DOCX). RAB members are told.
    Audited as `review.appeal`."""
    application = locked_application(application)
    ensure_can(actor, "review.appeal", application)
    if application.status != Application.Status.DENIED:
        raise DomainError(
            f"{application.reference} is {application.get_status_display().lower()}: only a "
            "denied application can be appealed."
        )
    ensure_transition(application, to=Application.Status.APPEALED)
    denial = latest_denial(application)
    problems = []
    if denial is None:
        problems.append("No denial is on record for this application.")
    elif program_today() > appeal_deadline(denial):
        problems.append(
            f"The appeal window closed on {appeal_deadline(denial):%-d %B %Y} "
            f"({settings.REVIEW_APPEAL_WINDOW_DAYS} days after the denial)."
        )
    if len(grounds.strip()) < TEXT_MIN:
        problems.append("Give the grounds for your appeal.")
    if len(files) > APPEAL_DOCUMENTS_MAX:
        problems.append(f"Attach at most {APPEAL_DOCUMENTS_MAX} documents.")
    for upload in files:
        try:
            size = upload.size if upload.size is not None else len(upload.read())
            validate_board_document(upload, size=size)
            upload.seek(0)
        except DomainError as refused:
            problems.append(f"{upload.name}: {refused.message}")
    if problems:
        raise ReviewRefused(problems)
    assert denial is not None  # noqa: S101  # checked above
    appeal = Appeal.objects.create(
        application=application,
        decision=denial,
        grounds=grounds.strip(),
        submitted_by=actor,
        submitted_at=timezone.now(),
    )
    for upload in files:
        document = document_store(upload=upload, owner=actor, purpose="appeal", actor=actor)
        AppealDocument.objects.create(appeal=appeal, document=document)
    move(application, Application.Status.APPEALED, appeal.submitted_at)
    audit_record(
        actor=actor,
        action=ReviewAction.APPEAL,
        target=application,
        before={"status": Application.Status.DENIED},
        after={"status": application.status, "appeal": appeal.pk, "documents": len(files)},
    )
    tell(
        rab_members(),
        template="review_appeal",
        url=f"/review/appeals/{appeal.pk}/",
        application=application,
    )
    return appeal


@transaction.atomic
def appeal_determine(*, appeal: Appeal, uphold: bool, determination: str, actor: User) -> Appeal:
    """A RAB member records the RAB's determination: the denial upheld (final), or the
    application returned to the PRAB for a new review by new reviewers (a new round). The
    applicant is told. Audited as `review.appeal_uphold` or `review.appeal_return`."""
    appeal = Appeal.objects.select_for_update().get(pk=appeal.pk)
    application = locked_application(appeal.application)
    action = "review.appeal.uphold" if uphold else "review.appeal.return"
    ensure_can(actor, action, application)
    target = Application.Status.DENIED_FINAL if uphold else Application.Status.IN_REVIEW
    ensure_transition(application, to=target, action=action)
    if appeal.outcome != Appeal.Outcome.PENDING:
        raise DomainError("The RAB has already determined this appeal.")
    determination = determination.strip()
    if len(determination) < TEXT_MIN:
        raise DomainError(
            "Write the RAB's reasons (at least 10 characters): the applicant reads them."
        )
    now = timezone.now()
    appeal.outcome = Appeal.Outcome.UPHELD if uphold else Appeal.Outcome.RETURNED
    appeal.determination = determination
    appeal.determined_by = actor
    appeal.determined_at = now
    appeal.save(update_fields=["outcome", "determination", "determined_by", "determined_at"])
    move(application, target, now)
    if not uphold:
        round_open(application=application, actor=actor)
    audit_record(
        actor=actor,
        action=ReviewAction.APPEAL_UPHOLD if uphold else ReviewAction.APPEAL_RETURN,
        target=application,
        before={"status": Application.Status.APPEALED},
        after={"status": application.status, "appeal": appeal.pk},
    )
    tell(
        applicant_and_team(application),
        template="review_appeal_outcome",
        url=f"/applications/{application.pk}/",
        application=application,
        appeal=appeal,
    )
    if not uphold:
        tell(
            chairs(excluding=recused_ids(application)),
            template="review_appeal_returned",
            url=f"{review_url(application)}assign/",
            application=application,
        )
    return appeal
