"""The application's lifecycle table, checked against the services (issue item 13).

The table of (state, action, role) -> allowed is generated from the code: the transitions
next to `Application.status` and the permission table. For every transition, each role the
table allows takes it through its service (state changed, one audit event); every other
role is refused with nothing changed; and the action is refused from the states the table
does not list. `docs/review.md` publishes the same table (`manage.py review_table`)."""

from dataclasses import dataclass
from typing import Any

import pytest

from applications.models import Application, ApplicationUpload
from applications.services import (
    application_accept,
    application_details_save,
    application_follow_up_start,
    application_return,
    application_screen,
    application_start,
    application_submit,
    application_withdraw,
    ensure_first_template_version,
)
from portal.errors import DomainError, PermissionRefused
from portal.models import AuditEvent, User
from portal.permissions import roles_granted
from portal.roles import Role
from review.lifecycle import review_table_markdown
from review.models import Meeting, ReviewRound
from review.services import (
    appeal_determine,
    appeal_submit,
    application_resubmit,
    approve_without_review,
    decision_record,
    funding_accept,
)
from tests.applications.conftest import add_upload, complete
from tests.conftest import _user_with
from tests.factories import make_eligible
from tests.review.conftest import CARRIES, make_ready, meeting_for

pytestmark = pytest.mark.django_db

TRANSITIONS = [(str(t.source), str(t.target), t.action) for t in Application.LIFECYCLE.transitions]
OUTCOME = {
    "approved": "approve",
    "conditionally_approved": "conditional",
    "revisions_requested": "revisions",
    "denied": "deny",
}
TEXT = "Reasons written out for the applicant."


@dataclass
class World:
    board: dict[str, User]
    application: Application
    meeting: Meeting | None = None
    appeal: Any = None


def _pi() -> User:
    pi = _user_with(Role.RESEARCHER, two_factor=True)
    return make_eligible(pi)


def _draft() -> Application:
    ensure_first_template_version()
    return complete(application_start(actor=_pi(), title="Inflammation markers and sleep"))


def _in_review(board: dict[str, User]) -> Application:
    application = _draft()
    application_submit(application=application, actor=application.applicant)
    application_screen(application=application, actor=board["chair"])
    application_accept(application=application, actor=board["chair"])
    return Application.objects.get(pk=application.pk)


def _decided(board: dict[str, User], outcome: str) -> World:
    application = _in_review(board)
    make_ready(application, board)
    meeting = meeting_for(application, board)
    decision_record(
        application=application,
        meeting=meeting,
        outcome=outcome,
        vote=CARRIES,
        reasons=TEXT,
        required_changes=TEXT,
        actor=board["chair"],
    )
    return World(board, Application.objects.get(pk=application.pk), meeting)


def _additional_specimens(board: dict[str, User]) -> Application:
    original = _decided(board, "approve").application
    pi = original.applicant
    more = application_follow_up_start(original=original, kind="additional_specimens", actor=pi)
    application_details_save(
        application=more,
        changes={
            "scope_unchanged": True,
            "derivatives_acknowledged": True,
            "fee_acknowledged": True,
        },
        actor=pi,
    )
    add_upload(more, ApplicationUpload.Kind.FUNDING_PROOF)
    add_upload(more, ApplicationUpload.Kind.CV, person=pi)
    application_submit(application=more, actor=pi)
    application_screen(application=more, actor=board["chair"])
    application_accept(application=more, actor=board["chair"])
    return Application.objects.get(pk=more.pk)


def build(state: str, action: str, board: dict[str, User]) -> World:
    """An application in `state`, ready for `action` (its guard met)."""
    chair = board["chair"]
    if state == "draft":
        return World(board, _draft())
    if state in ("submitted", "screening", "returned"):
        application = _draft()
        application_submit(application=application, actor=application.applicant)
        if state != "submitted":
            application_screen(application=application, actor=chair)
        if state == "returned":
            application_return(application=application, comments=TEXT, actor=chair)
        return World(board, Application.objects.get(pk=application.pk))
    if state == "in_review" and action == "review.approve_without_review":
        return World(board, _additional_specimens(board))
    if state == "in_review":
        application = _in_review(board)
        make_ready(application, board)
        return World(
            board, Application.objects.get(pk=application.pk), meeting_for(application, board)
        )
    if state == "appealed":
        world = _decided(board, "deny")
        world.appeal = appeal_submit(
            application=world.application, grounds=TEXT, files=[], actor=world.application.applicant
        )
        world.application.refresh_from_db()
        return world
    world = _decided(board, OUTCOME[state])
    if state == "conditionally_approved":
        add_upload(world.application, ApplicationUpload.Kind.FUNDING_PROOF)
    return world


def take(world: World, target: str, action: str, actor: User) -> None:
    """Take the transition through its service."""
    application = world.application
    calls = {
        "application.submit": lambda: application_submit(application=application, actor=actor),
        "application.withdraw": lambda: application_withdraw(application=application, actor=actor),
        "application.screen": lambda: application_screen(application=application, actor=actor),
        "application.accept": lambda: application_accept(application=application, actor=actor),
        "application.return": lambda: application_return(
            application=application, comments=TEXT, actor=actor
        ),
        "review.decide": lambda: decision_record(
            application=application,
            meeting=world.meeting,
            outcome=OUTCOME[target],
            vote=CARRIES,
            reasons=TEXT,
            required_changes=TEXT,
            actor=actor,
        ),
        "review.approve_without_review": lambda: approve_without_review(
            application=application, comments_for_applicant="", actor=actor
        ),
        "application.resubmit": lambda: application_resubmit(application=application, actor=actor),
        "review.funding.accept": lambda: funding_accept(application=application, actor=actor),
        "review.appeal": lambda: appeal_submit(
            application=application, grounds=TEXT, files=[], actor=actor
        ),
        "review.appeal.uphold": lambda: appeal_determine(
            appeal=world.appeal, uphold=True, determination=TEXT, actor=actor
        ),
        "review.appeal.return": lambda: appeal_determine(
            appeal=world.appeal, uphold=False, determination=TEXT, actor=actor
        ),
    }
    calls[action]()


def actor_for(role: str, world: World) -> User:
    """Someone holding `role` who meets the grant's condition where the role has one: the
    applicant for a researcher, the handler for a program admin acting for the board."""
    if role == Role.RESEARCHER:
        return world.application.applicant
    if role == Role.PRAB_CHAIR:
        return world.board["chair"]
    user = _user_with(role)
    if role == Role.PROGRAM_ADMIN:
        ReviewRound.objects.filter(application=world.application, current=True).update(handler=user)
    return user


def _events(action: str) -> int:
    audit = {
        "review.funding.accept": "review.funding_accept",
        "review.appeal.uphold": "review.appeal_uphold",
        "review.appeal.return": "review.appeal_return",
    }
    return AuditEvent.objects.filter(action=audit.get(action, action)).count()


CASES = [
    (source, target, action, role)
    for source, target, action in TRANSITIONS
    for role in roles_granted(action)
]


@pytest.mark.parametrize(("source", "target", "action", "role"), CASES)
def test_each_role_the_table_allows_takes_the_transition(board, source, target, action, role):
    world = build(source, action, board)
    before = _events(action)
    take(world, target, action, actor_for(role, world))
    world.application.refresh_from_db()
    assert world.application.status == target
    assert _events(action) == before + 1


@pytest.mark.parametrize(("source", "target", "action"), TRANSITIONS)
def test_every_role_the_table_does_not_allow_is_refused_and_nothing_changes(
    board, source, target, action
):
    world = build(source, action, board)
    refused_roles = [r for r in Role if r.value not in roles_granted(action)]
    assert refused_roles, action
    before = _events(action)
    for role in refused_roles:
        with pytest.raises(PermissionRefused):
            take(world, target, action, _user_with(role))
        world.application.refresh_from_db()
        assert world.application.status == source, role
    assert _events(action) == before


REVIEW_ACTIONS = sorted(
    {a for _, _, a in TRANSITIONS if a.startswith("review.") or a == "application.resubmit"}
)


@pytest.mark.parametrize("action", REVIEW_ACTIONS)
def test_a_review_action_is_refused_from_a_state_the_table_does_not_list(board, action):
    listed = {s for s, _, a in TRANSITIONS if a == action}
    if action in ("review.appeal.uphold", "review.appeal.return"):
        # Determined already: the application is final, and the appeal cannot be reopened.
        world = build("appealed", action, board)
        appeal_determine(
            appeal=world.appeal, uphold=True, determination=TEXT, actor=_user_with(Role.RAB_MEMBER)
        )
        world.application.refresh_from_db()
        state = str(world.application.status)
    else:
        state = "submitted" if "submitted" not in listed else "draft"
        world = build(state, action, board)
    world.meeting = world.meeting or meeting_for(_in_review(board), board)
    target = next(t for s, t, a in TRANSITIONS if a == action)
    allowed = next(iter(roles_granted(action)))
    with pytest.raises(DomainError):
        take(world, target, action, actor_for(allowed, world))
    world.application.refresh_from_db()
    assert world.application.status == state


def test_the_published_table_matches_the_code():
    from pathlib import Path

    text = Path("docs/review.md").read_text(encoding="utf-8")
    assert review_table_markdown() in text
