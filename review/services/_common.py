"""What the review services share: locking, the board's people and notices."""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import transaction

from applications.models import Application
from portal.models import User
from portal.notifications import notify
from portal.roles import Role
from review.models import Assignment, ReviewRound
from review.selectors.records import recused_ids

BOARD_ROLES = (Role.PRAB_MEMBER, Role.PRAB_CHAIR)


def locked_application(application: Application) -> Application:
    """The application's row, locked for the transaction: two chairs deciding at once
    queue here, and the second sees what the first did."""
    return (
        Application.objects.select_for_update().select_related("applicant").get(pk=application.pk)
    )


def locked_round(application: Application) -> ReviewRound | None:
    return (
        ReviewRound.objects.select_for_update()
        .filter(application=application, current=True)
        .first()
    )


def board_members() -> "Any":
    """Active users who sit on the PRAB (members and chairs)."""
    return User.objects.filter(is_active=True, groups__name__in=BOARD_ROLES).distinct()


def chairs(*, excluding: Iterable[int] = ()) -> list[User]:
    return list(
        User.objects.filter(is_active=True, groups__name=Role.PRAB_CHAIR)
        .exclude(pk__in=list(excluding))
        .distinct()
    )


def rab_members() -> list[User]:
    return list(User.objects.filter(is_active=True, groups__name=Role.RAB_MEMBER).distinct())


def who_acts_for_board(application: Application, round_: ReviewRound | None) -> list[User]:
    """Whom to tell when the board must act: the handler if one was named, else every
    chair who is not recused."""
    if round_ is not None and round_.handler_id is not None:
        return [round_.handler] if round_.handler else []
    return chairs(excluding=recused_ids(application))


def tell(people: Iterable[User], *, template: str, url: str, **context: Any) -> None:
    for person in people:
        notify(user=person, template=template, context=context, url=url)


def applicant_and_team(application: Application) -> list[User]:
    team = [
        m.user
        for m in application.team.filter(
            removed_at__isnull=True, accepted_at__isnull=False
        ).select_related("user")
    ]
    return [application.applicant, *team]


def active_assignments(round_: ReviewRound) -> "Any":
    return round_.assignments.filter(state__in=Assignment.ACTIVE)


def refresh_counts(round_: ReviewRound) -> None:
    """Recount the round's reviewers and submitted sheets (kept on the round so that the
    chair's queue reads one row per application)."""
    active = active_assignments(round_)
    round_.reviewers = active.count()
    round_.sheets_submitted = active.filter(state=Assignment.State.SUBMITTED).count()
    due = active.exclude(state=Assignment.State.SUBMITTED).order_by("-due_on").first()
    round_.due_on = due.due_on if due else None


def review_url(application: Application) -> str:
    return f"/review/applications/{application.pk}/"


def review_changed() -> None:
    """The board's queues are read from the cache under a generation number: the next
    generation begins now (this request's own pages show the change) and again once this
    transaction commits (what another request read meanwhile, before the commit, is not
    kept), and every queue is then read afresh."""
    from review.selectors.queues import next_generation

    next_generation()
    transaction.on_commit(next_generation)


def move(application: Application, status: str, now: datetime) -> str:
    """Put the (locked) application in `status` and save; return the status it had. The
    caller checked the transition (`ensure_transition`) and audits it."""
    before = str(application.status)
    application.status = status
    application.status_changed_at = now
    application.save(update_fields=["status", "status_changed_at", "updated_at"])
    return before
