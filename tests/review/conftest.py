"""Fixtures for board review: a board with every expertise, an application in review, and
helpers that take it through assignment, declarations, scoring and a meeting."""

from datetime import timedelta

import pytest
from django.utils import timezone

from applications.models import Application
from applications.services import (
    application_accept,
    application_screen,
    application_start,
    application_submit,
    ensure_first_template_version,
)
from portal.clock import program_today
from portal.models import User
from portal.roles import Role
from review.criteria import CRITERIA
from review.models import Assignment, Meeting
from review.services import (
    Vote,
    agenda_add,
    attendance_set,
    board_member_save,
    conflict_declare,
    meeting_schedule,
    review_assign,
    score_sheet_save,
)
from tests.applications.conftest import complete
from tests.conftest import _user_with
from tests.factories import make_eligible


def sheet_data(score: int = 3, *, comment: str = "Sound.") -> dict[str, object]:
    """A complete score sheet: every criterion `score`, with a comment."""
    return {
        "scores": {c.key: {"score": score, "comment": comment} for c in CRITERIA},
        "overall": score,
        "recommendation": "approve",
        "comments_for_applicant": "A clear application: thank you.",
        "confidential_comments": "CONFIDENTIAL: the lab is known to the board.",
    }


@pytest.fixture
def board(db, program_admin) -> dict[str, User]:
    """The chair and four members: scientific, ELSI, participant representative, community
    partner; each with an institution of their own."""
    chair = _user_with(Role.PRAB_MEMBER, Role.PRAB_CHAIR)
    people = {
        "chair": (chair, "scientific", "Metro Health Institute"),
        "scientist": (_user_with(Role.PRAB_MEMBER), "scientific", "Lakeside University"),
        "elsi": (_user_with(Role.PRAB_MEMBER), "elsi", "Coastal Center for Bioethics"),
        "participant": (_user_with(Role.PRAB_MEMBER), "participant", ""),
        "community": (_user_with(Role.PRAB_MEMBER), "community", "Prairie Health Alliance"),
    }
    for user, expertise, institution in people.values():
        board_member_save(
            user=user, expertise=expertise, institution=institution, actor=program_admin
        )
    return {name: user for name, (user, _, _) in people.items()}


@pytest.fixture
def chair(board) -> User:
    return board["chair"]


def reviewers_of(board: dict[str, User]) -> list[User]:
    return [board["scientist"], board["elsi"], board["participant"]]


def new_in_review(
    chair: User, *, title: str = "Inflammation markers and sleep", **details
) -> Application:
    ensure_first_template_version()
    pi = _user_with(Role.RESEARCHER, two_factor=True)
    make_eligible(pi)
    application = complete(application_start(actor=pi, title=title))
    if details:
        from applications.services import application_details_save

        application_details_save(application=application, changes=details, actor=pi)
    application_submit(application=application, actor=pi)
    application_screen(application=application, actor=chair)
    application_accept(application=application, actor=chair)
    return Application.objects.get(pk=application.pk)


@pytest.fixture
def in_review(chair) -> Application:
    return new_in_review(chair)


def assign(application: Application, chair: User, reviewers: list[User]) -> list[Assignment]:
    return review_assign(
        application=application,
        reviewers=reviewers,
        due_on=program_today() + timedelta(days=14),
        actor=chair,
    )


def declare_none(assignment: Assignment) -> Assignment:
    return conflict_declare(
        assignment=assignment,
        conflicted=False,
        conflict_type="",
        description="",
        actor=assignment.reviewer,
    )


def submit_sheet(assignment: Assignment, score: int = 3) -> None:
    score_sheet_save(
        assignment=Assignment.objects.get(pk=assignment.pk),
        data=sheet_data(score),
        submit=True,
        actor=assignment.reviewer,
    )


def make_ready(
    application: Application, board: dict[str, User], scores=(2, 3, 4)
) -> list[Assignment]:
    """Three reviewers assigned, each declares no conflict and submits a sheet."""
    assignments = assign(application, board["chair"], reviewers_of(board))
    for assignment, score in zip(assignments, scores, strict=True):
        declare_none(assignment)
        submit_sheet(assignment, score)
    return assignments


def meeting_for(
    application: Application,
    board: dict[str, User],
    *,
    present: list[User] | None = None,
    ai_an_review: bool = False,
) -> Meeting:
    chair = board["chair"]
    meeting = meeting_schedule(
        title="PRAB meeting",
        kind=Meeting.Kind.REGULAR,
        ai_an_review=ai_an_review,
        starts_at=timezone.now(),
        actor=chair,
    )
    attendance_set(
        meeting=meeting,
        present=present if present is not None else list(board.values()),
        actor=chair,
    )
    agenda_add(meeting=meeting, application=application, actor=chair)
    return meeting


@pytest.fixture
def ready(in_review, board) -> Application:
    make_ready(in_review, board)
    return Application.objects.get(pk=in_review.pk)


@pytest.fixture
def meeting(ready, board) -> Meeting:
    return meeting_for(ready, board)


CARRIES = Vote(4, 1, 0)
