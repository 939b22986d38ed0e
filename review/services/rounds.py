"""Review rounds, assignment and conflicts of interest (policy 1.2, 4.5)."""

from datetime import date

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from applications.models import Application
from portal.audit import audit_record
from portal.clock import program_today
from portal.errors import DomainError
from portal.models import User
from portal.permissions import ensure_can
from portal.roles import Role
from review.actions import ReviewAction
from review.errors import ReviewRefused
from review.models import (
    Assignment,
    BoardMember,
    ConflictDeclaration,
    ConflictSuggestion,
    ReviewRound,
)
from review.selectors.records import recused_ids, suggested_conflicts
from review.services._common import (
    BOARD_ROLES,
    active_assignments,
    locked_application,
    locked_round,
    refresh_counts,
    review_changed,
    review_url,
    tell,
    who_acts_for_board,
)

REASON_MIN = 10  # characters: a dismissal or removal must say why


def round_open(*, application: Application, actor: User | None) -> ReviewRound:
    """Open the application's next review round, awaiting assignment: when screening
    accepts it into review, and when the RAB returns an appeal for a new review. Called
    inside that transition's transaction (which audits it); earlier rounds stay, closed."""
    now = timezone.now()
    previous = (
        ReviewRound.objects.select_for_update()
        .filter(application=application)
        .order_by("-number")
        .first()
    )
    if previous is not None and previous.current:
        previous.current = False
        previous.save(update_fields=["current"])
    review_changed()
    return ReviewRound.objects.create(
        application=application,
        number=(previous.number + 1) if previous else 1,
        stage=ReviewRound.Stage.AWAITING_ASSIGNMENT,
        opened_at=now,
        stage_changed_at=now,
    )


def round_for(application: Application, *, actor: User | None) -> ReviewRound:
    """The current round, locked; opened now for an application in review that has none
    (one accepted before the board's review existed)."""
    round_ = locked_round(application)
    if round_ is None:
        if application.status != Application.Status.IN_REVIEW:
            raise DomainError("This application is not with the board.")
        round_ = round_open(application=application, actor=actor)
    return round_


def _set_stage(round_: ReviewRound, stage: str) -> None:
    if round_.stage != stage:
        round_.stage = stage
        round_.stage_changed_at = timezone.now()
        review_changed()


def settle_stage(round_: ReviewRound) -> None:
    """After reviewers come or go: back to the chair while fewer than required, ready
    when every reviewer's sheet is in. Counts are refreshed first."""
    refresh_counts(round_)
    review_changed()
    if round_.stage not in (
        ReviewRound.Stage.AWAITING_ASSIGNMENT,
        ReviewRound.Stage.IN_REVIEW,
        ReviewRound.Stage.READY,
    ):
        return
    required = settings.REVIEW_REVIEWERS_REQUIRED
    if round_.reviewers < required:
        _set_stage(round_, ReviewRound.Stage.AWAITING_ASSIGNMENT)
    elif round_.sheets_submitted >= round_.reviewers:
        _set_stage(round_, ReviewRound.Stage.READY)
    else:
        _set_stage(round_, ReviewRound.Stage.IN_REVIEW)


def _previous_reviewers(round_: ReviewRound) -> set[int]:
    return set(
        Assignment.objects.filter(
            round__application_id=round_.application_id, round__number__lt=round_.number
        ).values_list("reviewer_id", flat=True)
    )


def assignment_problems(
    application: Application, round_: ReviewRound, reviewers: list[User], due_on: date
) -> list[str]:
    """Every reason these reviewers cannot be assigned now (empty: they can)."""
    problems: list[str] = []
    if not reviewers:
        problems.append("Choose at least one reviewer.")
    if due_on <= program_today():
        problems.append("Choose a due date after today.")
    current = {a.reviewer_id for a in active_assignments(round_)}
    problems += _reviewer_problems(application, round_, reviewers, current)
    problems += _panel_problems({p.pk for p in reviewers} | current)
    return problems


def _reviewer_problems(
    application: Application, round_: ReviewRound, reviewers: list[User], current: set[int]
) -> list[str]:
    """What stops each chosen person from reviewing this application."""
    problems: list[str] = []
    recused = recused_ids(application)
    earlier = _previous_reviewers(round_)
    on_application = {application.applicant_id} | set(
        application.team.filter(removed_at__isnull=True).values_list("user_id", flat=True)
    )
    members = {m.user_id: m for m in BoardMember.objects.filter(user__in=[r.pk for r in reviewers])}
    confirmed_or_open = suggested_conflicts(application)
    for person in reviewers:
        name = str(person)
        if not (person.role_names & set(BOARD_ROLES)) or not person.is_active:
            problems.append(f"{name} is not a PRAB member.")
        elif person.pk not in members:
            problems.append(f"{name} has no expertise on record: a program admin adds it first.")
        if person.pk in recused:
            problems.append(f"{name} is recused from this application (conflict of interest).")
        elif person.pk in confirmed_or_open:
            problems.append(
                f"{name} may have a conflict ({confirmed_or_open[person.pk]}): confirm or "
                "dismiss it first."
            )
        if person.pk in on_application:
            problems.append(f"{name} is on this application.")
        if person.pk in earlier:
            problems.append(
                f"{name} reviewed this application before the appeal: the new review needs "
                "new reviewers."
            )
        if person.pk in current:
            problems.append(f"{name} is already assigned.")
    return problems


def _panel_problems(chosen: set[int]) -> list[str]:
    """The panel as a whole: enough reviewers, a participant representative, ELSI."""
    problems: list[str] = []
    expertise = set(BoardMember.objects.filter(user__in=chosen).values_list("expertise", flat=True))
    required = settings.REVIEW_REVIEWERS_REQUIRED
    if len(chosen) < required:
        problems.append(
            f"Assign at least {required} reviewers: {len(chosen)} chosen with those already "
            "assigned."
        )
    if BoardMember.Expertise.PARTICIPANT not in expertise:
        problems.append("Include a participant representative among the reviewers.")
    if BoardMember.Expertise.ELSI not in expertise:
        problems.append("Include a member with ELSI expertise among the reviewers.")
    return problems


@transaction.atomic
def review_assign(
    *, application: Application, reviewers: list[User], due_on: date, actor: User
) -> list[Assignment]:
    """The chair assigns reviewers with a due date. Together with those already assigned
    there must be at least REVIEW_REVIEWERS_REQUIRED, among them a participant
    representative and an ELSI member (policy 1.2). Refused, listing every problem, for a
    reviewer who is recused, has an undecided suggested conflict, is not on the board, is
    on the application, or (after an appeal) reviewed it before. Each reviewer is asked to
    declare conflicts first. Audited once as `review.assign`."""
    application = locked_application(application)
    ensure_can(actor, "review.assign", application)
    if application.status != Application.Status.IN_REVIEW:
        raise DomainError(
            f"{application.reference} is {application.get_status_display().lower()}: "
            "reviewers are assigned only while it is in review."
        )
    round_ = round_for(application, actor=actor)
    if round_.stage not in ReviewRound.OPEN:
        raise DomainError("This review is decided or waits for the applicant's revisions.")
    problems = assignment_problems(application, round_, reviewers, due_on)
    if problems:
        raise ReviewRefused(problems)
    now = timezone.now()
    created = [
        Assignment.objects.create(
            round=round_,
            reviewer=person,
            due_on=due_on,
            assigned_by=actor,
            assigned_at=now,
        )
        for person in reviewers
    ]
    before = round_.stage
    settle_stage(round_)
    round_.save()
    audit_record(
        actor=actor,
        action=ReviewAction.ASSIGN,
        target=application,
        before={"stage": before},
        after={
            "stage": round_.stage,
            "round": round_.number,
            "reviewers": [p.pk for p in reviewers],
            "due_on": due_on,
        },
    )
    for assignment in created:
        tell(
            [assignment.reviewer],
            template="review_assigned",
            url=f"/review/assignments/{assignment.pk}/declare/",
            application=application,
            due_on=due_on,
        )
    return created


@transaction.atomic
def suggestion_decide(
    *, application: Application, member: User, confirm: bool, reason: str, actor: User
) -> ConflictSuggestion:
    """The chair confirms a suggested conflict (the member is recused from the
    application, and from any assignment on it) or dismisses it as a false positive with a
    reason; either way it is not suggested again. Audited as
    `conflict_suggestion.confirm` or `.dismiss`."""
    application = locked_application(application)
    ensure_can(actor, "review.conflict.decide", application)
    basis = suggested_conflicts(application).get(member.pk)
    if basis is None:
        raise DomainError("There is no open suggestion for this member: reload the page.")
    reason = reason.strip()
    if not confirm and len(reason) < REASON_MIN:
        raise DomainError(
            "Say why this is a false positive (at least 10 characters): the record keeps it."
        )
    now = timezone.now()
    suggestion = ConflictSuggestion.objects.create(
        application=application,
        member=member,
        basis=basis,
        state=ConflictSuggestion.State.CONFIRMED if confirm else ConflictSuggestion.State.DISMISSED,
        reason=reason,
        decided_by=actor,
        decided_at=now,
        suggested_at=now,
    )
    if confirm:
        _recuse(
            application,
            member,
            conflict_type=ConflictDeclaration.Type.INSTITUTIONAL,
            description=f"Confirmed by the chair: {basis}.",
            source=ConflictDeclaration.Source.CHAIR,
            actor=actor,
        )
    audit_record(
        actor=actor,
        action=ReviewAction.SUGGESTION_CONFIRM if confirm else ReviewAction.SUGGESTION_DISMISS,
        target=application,
        before={},
        after={"member": member.pk, "basis": basis, "reason": reason},
    )
    return suggestion


def _recuse(
    application: Application,
    member: User,
    *,
    conflict_type: str,
    description: str,
    source: str,
    actor: User,
) -> ConflictDeclaration:
    """Record the conflict and end the member's open assignment on the application."""
    review_changed()  # the member's queues lose the application
    declaration, _ = ConflictDeclaration.objects.update_or_create(
        application=application,
        member=member,
        defaults={
            "conflicted": True,
            "conflict_type": conflict_type,
            "description": description,
            "source": source,
            "recorded_by": actor,
            "declared_at": timezone.now(),
        },
    )
    round_ = locked_round(application)
    if round_ is not None:
        ended = round_.assignments.filter(reviewer=member, state__in=Assignment.ACTIVE)
        if ended.update(state=Assignment.State.RECUSED):
            settle_stage(round_)
            round_.save()
            tell(
                who_acts_for_board(application, round_),
                template="review_recused",
                url=review_url(application),
                application=application,
                member=member,
            )
    return declaration


@transaction.atomic
def conflict_declare(
    *,
    assignment: Assignment,
    conflicted: bool,
    conflict_type: str,
    description: str,
    actor: User,
) -> Assignment:
    """The assigned reviewer declares, before seeing the application, that they have no
    conflict of interest, or describes one by type. A conflict recuses them from the
    application for good (no package, scores, discussion or PDF; not counted toward
    quorum) and the chair is asked to assign someone else. Audited as `conflict.declare`
    or `conflict.none`."""
    assignment = (
        Assignment.objects.select_for_update()
        .select_related("round__application")
        .get(pk=assignment.pk)
    )
    ensure_can(actor, "review.declare", assignment)
    if assignment.state != Assignment.State.DECLARING:
        raise DomainError("You have already declared on this application.")
    application = assignment.round.application
    description = description.strip()
    if conflicted:
        problems = []
        if conflict_type not in ConflictDeclaration.Type.values:
            problems.append("Choose the type of conflict.")
        if len(description) < REASON_MIN:
            problems.append("Describe the conflict (at least 10 characters).")
        if problems:
            raise ReviewRefused(problems)
        _recuse(
            application,
            actor,
            conflict_type=conflict_type,
            description=description,
            source=ConflictDeclaration.Source.MEMBER,
            actor=actor,
        )
        assignment.refresh_from_db()
    else:
        ConflictDeclaration.objects.create(
            application=application,
            member=actor,
            conflicted=False,
            recorded_by=actor,
            declared_at=timezone.now(),
        )
        assignment.state = Assignment.State.REVIEWING
        assignment.save(update_fields=["state"])
        review_changed()
    audit_record(
        actor=actor,
        action=ReviewAction.CONFLICT_DECLARE if conflicted else ReviewAction.CONFLICT_NONE,
        target=application,
        before={"assignment": Assignment.State.DECLARING},
        after={
            "assignment": assignment.state,
            "conflict_type": conflict_type if conflicted else "",
        },
    )
    return assignment


@transaction.atomic
def chair_conflict_declare(
    *,
    application: Application,
    conflict_type: str,
    description: str,
    hand_to: User | None,
    actor: User,
) -> ConflictDeclaration:
    """A chair (or program admin) declares a conflict on an application and hands it to
    another chair or a program admin, who alone then acts for the board on it; the
    declaring chair can no longer see it. Audited as `conflict.declare` with the hand-over."""
    application = locked_application(application)
    ensure_can(actor, "review.chair.declare", application)
    problems = []
    if conflict_type not in ConflictDeclaration.Type.values:
        problems.append("Choose the type of conflict.")
    if len(description.strip()) < REASON_MIN:
        problems.append("Describe the conflict (at least 10 characters).")
    if (
        hand_to is None
        or hand_to.pk == actor.pk
        or not hand_to.is_active
        or not (hand_to.role_names & {Role.PRAB_CHAIR.value, Role.PROGRAM_ADMIN.value})
    ):
        problems.append("Choose another chair or a program admin to hand the application to.")
    elif hand_to.pk in recused_ids(application):
        problems.append(f"{hand_to} is recused from this application too: choose someone else.")
    if problems:
        raise ReviewRefused(problems)
    assert hand_to is not None  # noqa: S101  # checked above
    declaration = _recuse(
        application,
        actor,
        conflict_type=conflict_type,
        description=description.strip(),
        source=ConflictDeclaration.Source.MEMBER,
        actor=actor,
    )
    round_ = round_for(application, actor=actor) if application.status == "in_review" else None
    if round_ is None:
        round_ = locked_round(application)
    if round_ is not None:
        round_.handler = hand_to
        round_.save(update_fields=["handler"])
    audit_record(
        actor=actor,
        action=ReviewAction.CONFLICT_DECLARE,
        target=application,
        before={},
        after={"conflict_type": conflict_type, "handed_to": hand_to.pk},
    )
    tell(
        [hand_to],
        template="review_handed_over",
        url=review_url(application),
        application=application,
        chair=actor,
    )
    return declaration


@transaction.atomic
def assignment_remove(*, assignment: Assignment, reason: str, actor: User | None) -> Assignment:
    """End a reviewer's unsubmitted assignment (the chair, or the system when the reviewer
    leaves the board); the chair is asked to assign someone else. Audited as
    `assignment.remove`."""
    assignment = (
        Assignment.objects.select_for_update()
        .select_related("round__application", "reviewer")
        .get(pk=assignment.pk)
    )
    application = assignment.round.application
    if actor is not None:
        ensure_can(actor, "review.assign", application)
        if len(reason.strip()) < REASON_MIN:
            raise DomainError(
                "Say why the reviewer is removed (at least 10 characters): the record keeps it."
            )
    if assignment.state not in (Assignment.State.DECLARING, Assignment.State.REVIEWING):
        raise DomainError("Only an assignment whose score sheet is not in can be removed.")
    round_ = ReviewRound.objects.select_for_update().get(pk=assignment.round_id)
    before = assignment.state
    assignment.state = Assignment.State.REMOVED
    assignment.removed_reason = reason
    assignment.save(update_fields=["state", "removed_reason"])
    settle_stage(round_)
    round_.save()
    audit_record(
        actor=actor,
        action=ReviewAction.ASSIGNMENT_REMOVE,
        target=application,
        before={"assignment": before, "reviewer": assignment.reviewer_id},
        after={"assignment": assignment.state, "reason": reason},
    )
    tell(
        who_acts_for_board(application, round_),
        template="review_assignment_returned",
        url=f"{review_url(application)}assign/",
        application=application,
        member=assignment.reviewer,
        reason=reason,
    )
    return assignment


def board_role_change(*, user: User, before: set[str], after: set[str]) -> None:
    """When someone leaves the PRAB, their unsubmitted assignments go back to the chair.
    Called by `portal.services.users.user_set_roles` inside its transaction."""
    if set(BOARD_ROLES) & before and not set(BOARD_ROLES) & after:
        for assignment in Assignment.objects.filter(
            reviewer=user,
            state__in=[Assignment.State.DECLARING, Assignment.State.REVIEWING],
        ):
            assignment_remove(assignment=assignment, reason=f"{user} left the board.", actor=None)
