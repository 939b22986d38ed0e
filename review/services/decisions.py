"""The board's decisions (policy 1.1, 2.3, 3.1 to 3.3): recorded by the chair at a meeting
with quorum; approval without full review of an additional-specimen request; acceptance of
the proof of funding after a conditional approval; re-contact of participants; and the
applicant's resubmission after revisions."""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from applications.checks import submission_problems
from applications.errors import ApplicationIncomplete
from applications.models import Application, ApplicationUpload, Submission
from applications.services.lifecycle import submission_record
from portal.audit import audit_record
from portal.clock import program_today
from portal.errors import DomainError
from portal.lifecycles import ensure_transition
from portal.models import User
from portal.permissions import ensure_can
from review.actions import ReviewAction
from review.errors import ReviewRefused
from review.models import (
    Assignment,
    Consultation,
    Decision,
    Escalation,
    Meeting,
    RecontactDecision,
    ReviewRound,
    ScoreSheet,
)
from review.selectors.records import comments_for_applicant_of, quorum_for
from review.services._common import (
    applicant_and_team,
    locked_application,
    locked_round,
    move,
    tell,
)
from review.services.rounds import _set_stage

OUTCOME_STATUS: dict[str, str] = {
    Decision.Outcome.APPROVE: Application.Status.APPROVED,
    Decision.Outcome.CONDITIONAL: Application.Status.CONDITIONALLY_APPROVED,
    Decision.Outcome.REVISIONS: Application.Status.REVISIONS_REQUESTED,
    Decision.Outcome.DENY: Application.Status.DENIED,
}
BOARD_OUTCOMES = (*OUTCOME_STATUS, Decision.Outcome.DEFER)
TEXT_MIN = 10


@dataclass(frozen=True)
class Vote:
    votes_for: int
    votes_against: int
    abstentions: int


def _vote_problems(meeting: Meeting, application: Application, vote: Vote) -> list[str]:
    quorum = quorum_for(meeting, application)
    problems = []
    if not quorum.met:
        problems.append(
            f"No quorum for {application.reference}: {quorum.eligible} member"
            f"{'s' if quorum.eligible != 1 else ''} present and not recused, "
            f"{quorum.needed} needed. Record the attendance first."
        )
    cast = vote.votes_for + vote.votes_against + vote.abstentions
    if min(vote.votes_for, vote.votes_against, vote.abstentions) < 0:
        problems.append("Votes cannot be negative.")
    elif cast > quorum.eligible:
        problems.append(
            f"{cast} votes recorded but only {quorum.eligible} members present may vote "
            "(recused members leave the room)."
        )
    elif quorum.met and not meeting.carries(vote.votes_for, quorum.eligible):
        problems.append(
            f"{vote.votes_for} of {quorum.eligible} does not carry the motion under the "
            f"meeting's rule ({meeting.get_decision_rule_display().lower()})."
        )
    return problems


def _open_escalation(application: Application) -> bool:
    return Escalation.objects.filter(application=application, answered_at__isnull=True).exists()


def _ai_an_problems(application: Application, meeting: Meeting) -> list[str]:
    """Policy 3.3: an AI/AN request is decided at a meeting held for it, after a
    consultation with tribal representatives or community partners."""
    problems: list[str] = []
    if not application.includes_ai_an:
        return problems
    if not meeting.ai_an_review:
        problems.append(
            "This request includes American Indian or Alaska Native biospecimens: decide "
            "it at a meeting held for that review (policy 3.3)."
        )
    if not Consultation.objects.filter(
        application=application,
        party__in=[Consultation.Party.TRIBAL, Consultation.Party.COMMUNITY],
    ).exists():
        problems.append(
            "Record the consultation held with tribal representatives or community "
            "partners before deciding (policy 3.3)."
        )
    return problems


def decision_problems(
    application: Application,
    round_: ReviewRound | None,
    meeting: Meeting,
    *,
    outcome: str,
    vote: Vote,
    reasons: str,
    required_changes: str,
) -> list[str]:
    """Every reason the board cannot record this decision now (empty: it can)."""
    problems: list[str] = []
    if round_ is None or round_.stage not in (ReviewRound.Stage.READY, ReviewRound.Stage.DEFERRED):
        problems.append(
            "Every reviewer's score sheet must be in before the board decides "
            f"({round_.sheets_submitted if round_ else 0} of {round_.reviewers if round_ else 0})."
        )
    if not meeting.agenda.filter(application=application).exists():
        problems.append(f"Put {application.reference} on this meeting's agenda first.")
    elif Decision.objects.filter(application=application, meeting=meeting).exists():
        problems.append(
            f"A decision on {application.reference} is already recorded at this meeting."
        )
    if _open_escalation(application):
        problems.append("A question to the RAB is open: wait for its determination.")
    problems += _ai_an_problems(application, meeting)
    problems += _vote_problems(meeting, application, vote)
    if outcome == Decision.Outcome.DENY and len(reasons.strip()) < TEXT_MIN:
        problems.append("Give the reasons for the denial: the applicant reads them.")
    if outcome == Decision.Outcome.REVISIONS and len(required_changes.strip()) < TEXT_MIN:
        problems.append("List the changes the applicant must make.")
    return problems


@transaction.atomic
def decision_record(
    *,
    application: Application,
    meeting: Meeting,
    outcome: str,
    vote: Vote,
    reasons: str = "",
    required_changes: str = "",
    comments_for_applicant: str = "",
    actor: User,
) -> Decision:
    """The chair records the board's decision at a meeting: approve, approve on condition
    of funding, request revisions (listing the changes), deny (with reasons) or defer to a
    later meeting. Refused, listing every problem and changing nothing, without quorum
    (recused members do not count), with an open question to the RAB, with sheets still
    out, when the vote does not carry, and for an AI/AN request outside a meeting held for
    it or without a recorded consultation. The application row is locked: of two chairs
    deciding at once, the second is told it was already decided. The applicant and team
    are told the outcome with the comments meant for them (nothing confidential).
    Audited once as `review.decide`."""
    application = locked_application(application)
    ensure_can(actor, "review.decide", application)
    if outcome not in BOARD_OUTCOMES:
        raise DomainError("Choose the board's decision from the list.")
    if outcome != Decision.Outcome.DEFER:
        ensure_transition(application, to=OUTCOME_STATUS[outcome], action="review.decide")
    elif application.status != Application.Status.IN_REVIEW:
        ensure_transition(application, to=Application.Status.IN_REVIEW)
    round_ = locked_round(application)
    meeting = Meeting.objects.get(pk=meeting.pk)
    problems = decision_problems(
        application,
        round_,
        meeting,
        outcome=outcome,
        vote=vote,
        reasons=reasons,
        required_changes=required_changes,
    )
    if problems:
        raise ReviewRefused(problems)
    assert round_ is not None  # noqa: S101  # checked above
    quorum = quorum_for(meeting, application)
    now = timezone.now()
    decision = Decision.objects.create(
        application=application,
        round=round_,
        meeting=meeting,
        outcome=outcome,
        votes_for=vote.votes_for,
        votes_against=vote.votes_against,
        abstentions=vote.abstentions,
        eligible=quorum.eligible,
        recused=quorum.recused,
        reasons=reasons.strip(),
        required_changes=required_changes.strip(),
        comments_for_applicant=comments_for_applicant.strip(),
        recorded_by=actor,
        recorded_at=now,
    )
    before = application.status
    if outcome == Decision.Outcome.DEFER:
        _set_stage(round_, ReviewRound.Stage.DEFERRED)
    else:
        move(application, OUTCOME_STATUS[outcome], now)
        _set_stage(
            round_,
            ReviewRound.Stage.REVISIONS
            if outcome == Decision.Outcome.REVISIONS
            else ReviewRound.Stage.DECIDED,
        )
    round_.save()
    audit_record(
        actor=actor,
        action=ReviewAction.DECIDE,
        target=application,
        before={"status": before},
        after={
            "status": application.status,
            "outcome": outcome,
            "meeting": meeting.pk,
            "votes": [vote.votes_for, vote.votes_against, vote.abstentions],
            "eligible": quorum.eligible,
            "recused": len(quorum.recused),
        },
    )
    if outcome != Decision.Outcome.DEFER:
        tell(
            applicant_and_team(application),
            template="review_decision",
            url=f"/applications/{application.pk}/",
            application=application,
            decision=decision,
            reviewer_comments=comments_for_applicant_of(round_),
        )
    return decision


@transaction.atomic
def approve_without_review(
    *, application: Application, comments_for_applicant: str, actor: User
) -> Decision:
    """Policy 2.3: the chair approves a request for additional specimens whose scope and
    objectives are unchanged, linked to an approved application, without full review. The
    record says so (`Decision.Outcome.APPROVE_WITHOUT_REVIEW`, the round's `full_review`
    false). Audited as `review.approve_without_review`."""
    application = locked_application(application)
    ensure_can(actor, "review.approve_without_review", application)
    ensure_transition(
        application, to=Application.Status.APPROVED, action="review.approve_without_review"
    )
    problems = []
    if application.kind != Application.Kind.ADDITIONAL_SPECIMENS:
        problems.append("Only a request for additional specimens can be approved without review.")
    if application.scope_unchanged is not True:
        problems.append(
            "The applicant did not confirm that scope and objectives are unchanged: it needs "
            "full review."
        )
    if application.original is None or application.original.status != Application.Status.APPROVED:
        problems.append("The original application must be approved.")
    if _open_escalation(application):
        problems.append("A question to the RAB is open: wait for its determination.")
    if problems:
        raise ReviewRefused(problems)
    round_ = locked_round(application)
    if round_ is None:
        from review.services.rounds import round_open

        round_ = round_open(application=application, actor=actor)
    now = timezone.now()
    decision = Decision.objects.create(
        application=application,
        round=round_,
        outcome=Decision.Outcome.APPROVE_WITHOUT_REVIEW,
        comments_for_applicant=comments_for_applicant.strip(),
        recorded_by=actor,
        recorded_at=now,
    )
    round_.full_review = False
    _set_stage(round_, ReviewRound.Stage.DECIDED)
    round_.save()
    # Reviewers still out are not needed any more.
    round_.assignments.filter(
        state__in=[Assignment.State.DECLARING, Assignment.State.REVIEWING]
    ).update(state=Assignment.State.REMOVED, removed_reason="Approved without full review.")
    move(application, Application.Status.APPROVED, now)
    audit_record(
        actor=actor,
        action=ReviewAction.APPROVE_WITHOUT_REVIEW,
        target=application,
        before={"status": Application.Status.IN_REVIEW},
        after={"status": application.status, "full_review": False},
    )
    tell(
        applicant_and_team(application),
        template="review_decision",
        url=f"/applications/{application.pk}/",
        application=application,
        decision=decision,
        reviewer_comments=[],
    )
    return decision


@transaction.atomic
def funding_accept(*, application: Application, actor: User) -> Decision:
    """Biobank staff or a program admin accept the proof of funding uploaded after a
    conditional approval (policy 2.3); the application becomes approved. Audited as
    `review.funding_accept`."""
    application = locked_application(application)
    ensure_can(actor, "review.funding.accept", application)
    ensure_transition(application, to=Application.Status.APPROVED, action="review.funding.accept")
    decision = (
        Decision.objects.select_for_update()
        .filter(application=application, outcome=Decision.Outcome.CONDITIONAL)
        .order_by("-recorded_at")
        .first()
    )
    proof = (
        application.uploads.filter(
            kind=ApplicationUpload.Kind.FUNDING_PROOF, replaced_by__isnull=True
        )
        .order_by("-uploaded_at")
        .first()
    )
    if decision is None:
        raise DomainError("No conditional approval is on record for this application.")
    if proof is None or proof.uploaded_at < decision.recorded_at:
        raise DomainError(
            "No proof of funding was uploaded since the conditional approval: ask the "
            "applicant to upload it."
        )
    now = timezone.now()
    decision.funding_accepted_by = actor
    decision.funding_accepted_at = now
    decision.save(update_fields=["funding_accepted_by", "funding_accepted_at"])
    move(application, Application.Status.APPROVED, now)
    audit_record(
        actor=actor,
        action=ReviewAction.FUNDING_ACCEPT,
        target=application,
        before={"status": Application.Status.CONDITIONALLY_APPROVED},
        after={"status": application.status, "proof": proof.pk},
    )
    tell(
        applicant_and_team(application),
        template="review_funding_accepted",
        url=f"/applications/{application.pk}/",
        application=application,
    )
    return decision


RECONTACT_STATES = (
    Application.Status.IN_REVIEW,
    Application.Status.CONDITIONALLY_APPROVED,
    Application.Status.APPROVED,
)


@transaction.atomic
def recontact_decide(
    *,
    application: Application,
    meeting: Meeting,
    approved: bool,
    vote: Vote,
    conditions: str,
    actor: User,
) -> RecontactDecision:
    """Policy 1.1: re-contacting participants needs the board's explicit approval, recorded
    on its own, at a meeting with quorum. Audited as `review.recontact_decide`."""
    application = locked_application(application)
    ensure_can(actor, "review.recontact.decide", application)
    problems = []
    if not application.recontact_requested:
        problems.append("This application does not ask to re-contact participants.")
    if application.status not in RECONTACT_STATES:
        problems.append("Re-contact is decided while the application is in review or approved.")
    if not meeting.agenda.filter(application=application).exists():
        problems.append(f"Put {application.reference} on this meeting's agenda first.")
    quorum = quorum_for(meeting, application)
    if approved:
        problems += _vote_problems(meeting, application, vote)
    elif not quorum.met:
        problems.append(
            f"No quorum: {quorum.eligible} present and not recused, {quorum.needed} needed."
        )
    if problems:
        raise ReviewRefused(problems)
    record = RecontactDecision.objects.create(
        application=application,
        meeting=meeting,
        approved=approved,
        votes_for=vote.votes_for,
        votes_against=vote.votes_against,
        abstentions=vote.abstentions,
        conditions=conditions.strip(),
        recorded_by=actor,
        recorded_at=timezone.now(),
    )
    audit_record(
        actor=actor,
        action=ReviewAction.RECONTACT_DECIDE,
        target=application,
        before={},
        after={"approved": approved, "meeting": meeting.pk},
    )
    return record


@transaction.atomic
def application_resubmit(*, application: Application, actor: User) -> Submission:
    """The principal investigator resubmits after the board requested revisions: the
    package goes back into the same review (no new screening), the reviewers' sheets are
    reopened with a new due date and they are shown what changed. Refused, listing every
    problem, like a first submission. Audited as `application.resubmit`."""
    from datetime import timedelta

    from django.conf import settings

    application = locked_application(application)
    ensure_can(actor, "application.resubmit", application)
    ensure_transition(application, to=Application.Status.IN_REVIEW, action="application.resubmit")
    problems = submission_problems(application)
    if problems:
        raise ApplicationIncomplete(problems)
    now = timezone.now()
    submission = submission_record(
        application=application, actor=actor, now=now, outcome=Submission.Outcome.ACCEPTED
    )
    application.status = Application.Status.IN_REVIEW
    application.submitted_at = now
    application.status_changed_at = now
    application.save(update_fields=["status", "submitted_at", "status_changed_at", "updated_at"])
    round_ = locked_round(application)
    reviewers = []
    if round_ is not None:
        due = program_today() + timedelta(days=settings.REVIEW_DAYS_DEFAULT)
        for assignment in round_.assignments.filter(state=Assignment.State.SUBMITTED):
            assignment.state = Assignment.State.REVIEWING
            assignment.due_on = due
            assignment.save(update_fields=["state", "due_on"])
            ScoreSheet.objects.filter(assignment=assignment).update(submitted_at=None)
            reviewers.append(assignment.reviewer)
        from review.services.rounds import settle_stage

        _set_stage(round_, ReviewRound.Stage.IN_REVIEW)
        settle_stage(round_)
        round_.save()
    audit_record(
        actor=actor,
        action=ReviewAction.RESUBMIT,
        target=application,
        before={"status": Application.Status.REVISIONS_REQUESTED},
        after={"status": application.status, "submission": submission.number},
    )
    tell(
        reviewers,
        template="review_resubmitted",
        url=f"/review/applications/{application.pk}/changes/",
        application=application,
    )
    return submission
