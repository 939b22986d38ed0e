"""Who may do what in board review (policy 1.2, 2.3, 3.1 to 3.5, 4.5), registered in the
portal's one permission table (`portal.permissions`). Imported once, by `ReviewConfig.ready`.

A board member with a declared or confirmed conflict of interest on an application is
recused from it: every action on it is refused to them, whatever their role. The chair's
actions are any chair's who is not recused, unless a conflicted chair handed the
application to one chair or program admin, who alone then acts for the board.
"""

from typing import Any

from applications.models import Application
from portal.models import User
from portal.permissions import ADMIN, Grant, _predicate, _roles, register
from portal.roles import Role
from review.models import Assignment, Escalation, ReviewRound

CHAIR = _roles(Role.PRAB_CHAIR)
BOARD = _roles(Role.PRAB_MEMBER, Role.PRAB_CHAIR)
RAB = _roles(Role.RAB_MEMBER)
HANDLER_NOTE = "not recused; the handler only, once handed over"
ASSIGNEE_NOTE = "the assigned reviewer only"


def _application(obj: Any) -> Application | None:
    if isinstance(obj, Application):
        return obj
    if isinstance(obj, Assignment):
        return obj.round.application
    application = getattr(obj, "application", None)
    return application if isinstance(application, Application) else None


def recused(actor: User, application: Application) -> bool:
    from review.selectors.queues import recused_applications

    return application.pk in recused_applications(actor.pk)


@_predicate
def not_recused(actor: User, obj: Any) -> bool:
    """The actor has no conflict of interest on the application."""
    application = _application(obj)
    return application is not None and not recused(actor, application)


def _handler_id(application: Application) -> int | None:
    return (
        ReviewRound.objects.filter(application=application, current=True)
        .values_list("handler_id", flat=True)
        .first()
    )


@_predicate
def handles_for_chair(actor: User, obj: Any) -> bool:
    """A chair acting for the board: not recused, and the handler if one was named."""
    application = _application(obj)
    if application is None or recused(actor, application):
        return False
    handler = _handler_id(application)
    return handler is None or handler == actor.pk


@_predicate
def is_handler(actor: User, obj: Any) -> bool:
    """The program admin a conflicted chair handed the application to."""
    application = _application(obj)
    return (
        application is not None
        and _handler_id(application) == actor.pk
        and not recused(actor, application)
    )


@_predicate
def is_assignee(actor: User, obj: Any) -> bool:
    """The assignment is the actor's and still open."""
    return (
        isinstance(obj, Assignment)
        and obj.reviewer_id == actor.pk
        and obj.state in (Assignment.State.DECLARING, Assignment.State.REVIEWING)
    )


@_predicate
def submitted_own_sheet(actor: User, obj: Any) -> bool:
    """The actor reviewed the application in its current round and submitted their sheet
    (blinding: nobody sees other reviewers' scores before submitting their own)."""
    application = _application(obj)
    if application is None or recused(actor, application):
        return False
    return Assignment.objects.filter(
        round__application=application,
        round__current=True,
        reviewer=actor,
        state=Assignment.State.SUBMITTED,
    ).exists()


@_predicate
def is_applicant(actor: User, obj: Any) -> bool:
    application = _application(obj)
    return application is not None and application.applicant_id == actor.pk


@_predicate
def before_the_rab(actor: User, obj: Any) -> bool:
    """The application has a question or an appeal before the RAB (or had one)."""
    application = _application(obj)
    if application is None:
        return False
    return (
        Escalation.objects.filter(application=application).exists() or application.appeals.exists()
    )


def _chair_grants() -> tuple[Grant, Grant]:
    return (
        Grant(CHAIR, handles_for_chair, note=HANDLER_NOTE),
        Grant(ADMIN, is_handler, note="when a conflicted chair handed it to them"),
    )


register(
    "review.queue.view",
    Grant(_roles(Role.PRAB_CHAIR, Role.PROGRAM_ADMIN, Role.AUDITOR)),
    refusal="Only the PRAB chair, program admins and auditors see the board's queue.",
)
register(
    "review.assignments.view",
    Grant(BOARD),
    refusal="Only PRAB members have review assignments.",
)
register(
    "review.rab.view",
    Grant(_roles(Role.RAB_MEMBER, Role.AUDITOR)),
    refusal="Only RAB members and auditors see the RAB's queue.",
)
register(
    "review.view",
    Grant(_roles(Role.PRAB_CHAIR, Role.PROGRAM_ADMIN), not_recused, note="not recused"),
    Grant(_roles(Role.AUDITOR)),
    Grant(BOARD, submitted_own_sheet, note="reviewers, once their own sheet is in"),
    Grant(RAB, before_the_rab, note="when a question or appeal is before the RAB"),
    refusal="You can see the board's review of an application only as its chair or, once "
    "your own score sheet is submitted, as one of its reviewers.",
    subject="application",
)
for action, what in [
    ("review.assign", "assign reviewers"),
    ("review.conflict.decide", "confirm or dismiss a suggested conflict"),
    ("review.escalate", "send a question to the RAB"),
    ("review.consultation.record", "record a consultation"),
    ("review.decide", "record the board's decision"),
    ("review.approve_without_review", "approve an additional-specimen request without review"),
    ("review.recontact.decide", "record the decision on re-contacting participants"),
]:
    register(
        action,
        *_chair_grants(),
        refusal=f"Only the PRAB chair handling this application can {what}.",
        subject="application",
    )
register(
    "review.declare",
    Grant(BOARD, is_assignee, note=ASSIGNEE_NOTE),
    refusal="Only the reviewer assigned can declare on this application.",
    subject="assignment",
)
register(
    "review.score",
    Grant(BOARD, is_assignee, note=ASSIGNEE_NOTE),
    refusal="Only the reviewer assigned, with no conflict of interest, can score this application.",
    subject="assignment",
)
register(
    "review.chair.declare",
    Grant(_roles(Role.PRAB_CHAIR, Role.PROGRAM_ADMIN), not_recused, note="not recused"),
    refusal="Only a chair or program admin declares a conflict here.",
    subject="application",
)
register(
    "review.discuss",
    *_chair_grants(),
    Grant(BOARD, submitted_own_sheet, note="reviewers, once their own sheet is in"),
    refusal="Only the chair and the application's reviewers who submitted their score sheet "
    "take part in its discussion.",
    subject="application",
)
register(
    "review.meeting.manage",
    Grant(_roles(Role.PRAB_CHAIR, Role.PROGRAM_ADMIN)),
    refusal="Only the PRAB chair or a program admin schedules meetings and records attendance.",
)
register(
    "review.meeting.view",
    Grant(_roles(Role.PRAB_MEMBER, Role.PRAB_CHAIR, Role.PROGRAM_ADMIN, Role.AUDITOR)),
    refusal="Only board members, program admins and auditors see the board's meetings.",
)
register(
    "review.funding.accept",
    Grant(_roles(Role.BIOBANK_STAFF, Role.PROGRAM_ADMIN)),
    refusal="Only biobank staff or a program admin accept a proof of funding.",
    subject="application",
)
register(
    "review.appeal",
    Grant(_roles(Role.RESEARCHER), is_applicant, note="the applicant only"),
    refusal="Only the principal investigator can appeal a denial.",
    subject="application",
)
for action in ("review.appeal.uphold", "review.appeal.return"):
    register(
        action,
        Grant(RAB, not_recused, note="not recused"),
        refusal="Only RAB members adjudicate appeals.",
        subject="application",
    )
register(
    "review.escalation.answer",
    Grant(RAB, not_recused, note="not recused"),
    refusal="Only RAB members answer the PRAB's questions.",
    subject="escalation",
)
register(
    "review.board.view",
    Grant(_roles(Role.PRAB_CHAIR, Role.PROGRAM_ADMIN, Role.AUDITOR)),
    refusal="Only the PRAB chair, program admins and auditors see the board's members.",
)
register(
    "review.board.manage",
    Grant(ADMIN),
    refusal="Only a program admin records board members' expertise and institutions.",
    subject="board member",
)
register(
    "review.stock.view",
    Grant(_roles(Role.BIOBANK_STAFF, Role.PRAB_CHAIR, Role.PROGRAM_ADMIN, Role.AUDITOR)),
    refusal="Only biobank staff, the PRAB chair, program admins and auditors see the "
    "available volumes.",
)
register(
    "review.stock.record",
    Grant(_roles(Role.BIOBANK_STAFF)),
    refusal="Only biobank staff record the available volumes.",
)
register(
    "review.reminders.send",
    refusal="Review reminders are sent by the scheduled job.",
    system=True,
)
