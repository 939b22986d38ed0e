"""Lifecycles as data: allowed transitions, refusals with a message, the published table."""

from pathlib import Path

import pytest
from django.core.management import call_command

from portal.errors import TransitionNotAllowed
from portal.lifecycles import (
    Lifecycle,
    Transition,
    ensure_transition,
    lifecycle_models,
    permission_matrix,
    permissions_markdown,
)
from portal.models import ConflictOfInterest, Consent, RequirementBypass
from portal.permissions import PERMISSIONS
from portal.roles import Role

DOCS = Path(__file__).resolve().parents[2] / "docs" / "permissions.md"


def test_an_allowed_transition_is_returned_with_its_action():
    consent = Consent(kind=Consent.Kind.PUBLIC_DISPLAY)

    transition = ensure_transition(consent, to=Consent.State.WITHDRAWN)

    assert transition.action == "consent.withdraw"


def test_a_transition_the_table_does_not_list_is_refused_with_a_message():
    conflict = ConflictOfInterest(kind=ConflictOfInterest.Kind.FINANCIAL)

    with pytest.raises(TransitionNotAllowed, match="is in force, so it cannot become"):
        ensure_transition(conflict, to="nonexistent")


def test_repeating_a_transition_says_nothing_changed():
    from django.utils import timezone

    bypass = RequirementBypass(revoked_at=timezone.now())

    with pytest.raises(TransitionNotAllowed, match="already revoked; nothing changed"):
        ensure_transition(bypass, to=RequirementBypass.State.REVOKED)


def test_a_table_naming_an_unknown_state_is_refused_when_declared():
    with pytest.raises(ValueError, match="names a state"):
        Lifecycle(
            field="state",
            states=Consent.State,
            transitions=[Transition("given", "lost", "consent.withdraw")],
        )


def test_every_transition_names_a_registered_permission():
    for model in lifecycle_models():
        for transition in model.LIFECYCLE.transitions:
            assert transition.action in PERMISSIONS, (model, transition)


def test_the_matrix_joins_states_actions_and_roles():
    rows = list(permission_matrix(RequirementBypass))
    allowed = {(r.state, r.action, r.role) for r in rows if r.allowed}

    assert ("granted", "requirement_bypass.revoke", Role.PROGRAM_ADMIN.value) in allowed
    assert ("granted", "requirement_bypass.revoke", Role.AUDITOR.value) not in allowed
    assert not [r for r in rows if r.state == "revoked"]  # nothing leaves a revoked bypass


@pytest.mark.django_db
def test_the_published_table_matches_the_code():
    """Regenerate with `manage.py permission_table --write docs/permissions.md`."""
    assert DOCS.read_text(encoding="utf-8") == permissions_markdown()


def test_the_command_prints_the_table(capsys):
    call_command("permission_table")

    assert "| `consent.withdraw` |" in capsys.readouterr().out
