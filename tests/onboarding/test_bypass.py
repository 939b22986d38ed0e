"""Admin bypasses: a program admin waives one requirement with a written reason, audited."""

from datetime import timedelta

import pytest

from portal.errors import DomainError, PermissionRefused
from portal.models import AuditEvent, RequirementBypass
from portal.onboarding.eligibility import Requirement, State
from portal.onboarding.selectors import access_status_for
from portal.onboarding.services.bypass import requirement_bypass_grant, requirement_bypass_revoke
from tests.factories import RequirementBypassFactory
from tests.helpers import FROZEN_TODAY as TODAY

REASON = "Workbench roster export is late; CT access confirmed with the DRC by email."
REVOKE_REASON = "The researcher now has an authenticator app."
pytestmark = pytest.mark.usefixtures("frozen_today")


def test_a_program_admin_waives_a_requirement_and_the_person_becomes_eligible(
    program_admin, eligible_researcher
):
    eligible_researcher.consents.all().delete()
    assert not access_status_for(eligible_researcher).eligible

    for requirement in ("consent_public_display", "consent_violation_release"):
        requirement_bypass_grant(
            user=eligible_researcher,
            requirement=requirement,
            reason=REASON,
            expires_on=None,
            actor=program_admin,
        )

    status = access_status_for(eligible_researcher)
    assert status.get(Requirement.CONSENT_PUBLIC_DISPLAY).state == State.BYPASSED
    assert status.eligible


def test_granting_a_bypass_records_it_and_audits_the_reason(program_admin, researcher):
    bypass = requirement_bypass_grant(
        user=researcher,
        requirement="controlled_tier",
        reason=f"  {REASON}  ",
        expires_on=TODAY + timedelta(days=30),
        actor=program_admin,
    )

    bypass.refresh_from_db()
    assert bypass.user == researcher
    assert bypass.requirement == "controlled_tier"
    assert bypass.reason == REASON
    assert bypass.granted_by == program_admin
    assert bypass.expires_on == TODAY + timedelta(days=30)
    assert bypass.revoked_at is None
    event = AuditEvent.objects.get()
    assert event.action == "requirement_bypass.grant"
    assert event.actor == program_admin
    assert event.target_id == str(bypass.pk)
    assert event.after == {
        "user": researcher.pk,
        "requirement": "controlled_tier",
        "reason": REASON,
        "expires_on": "2026-12-22",
    }
    status = access_status_for(researcher)
    assert status.get(Requirement.CONTROLLED_TIER).state == State.BYPASSED


def test_a_bypass_ending_today_still_holds_and_lapses_tomorrow(program_admin, researcher):
    requirement_bypass_grant(
        user=researcher,
        requirement="controlled_tier",
        reason=REASON,
        expires_on=TODAY,
        actor=program_admin,
    )

    assert access_status_for(researcher).get(Requirement.CONTROLLED_TIER).state == State.BYPASSED
    tomorrow = access_status_for(researcher, today=TODAY + timedelta(days=1))
    assert tomorrow.get(Requirement.CONTROLLED_TIER).state == State.INCOMPLETE


@pytest.mark.parametrize("reason", ["", "   ", "ok", "short reason here.", " x" * 10])
def test_a_bypass_without_a_reason_of_20_characters_is_refused(program_admin, researcher, reason):
    with pytest.raises(DomainError, match="at least 20 characters"):
        requirement_bypass_grant(
            user=researcher,
            requirement="controlled_tier",
            reason=reason,
            expires_on=None,
            actor=program_admin,
        )

    assert not RequirementBypass.objects.exists()
    assert not AuditEvent.objects.exists()


def test_a_reason_of_exactly_20_characters_is_enough(program_admin, researcher):
    bypass = requirement_bypass_grant(
        user=researcher,
        requirement="two_factor",
        reason="a" * 20,
        expires_on=None,
        actor=program_admin,
    )

    assert bypass.reason == "a" * 20


def test_a_bypass_of_something_that_is_not_a_requirement_is_refused(program_admin, researcher):
    with pytest.raises(DomainError, match="is not an eligibility requirement"):
        requirement_bypass_grant(
            user=researcher,
            requirement="everything",
            reason=REASON,
            expires_on=None,
            actor=program_admin,
        )

    assert not RequirementBypass.objects.exists()
    assert not AuditEvent.objects.exists()


def test_a_bypass_that_would_already_have_ended_is_refused(program_admin, researcher):
    with pytest.raises(DomainError, match="has already passed"):
        requirement_bypass_grant(
            user=researcher,
            requirement="controlled_tier",
            reason=REASON,
            expires_on=TODAY - timedelta(days=1),
            actor=program_admin,
        )

    assert not RequirementBypass.objects.exists()


@pytest.mark.parametrize("role", ["researcher", "auditor", "prab_chair", "biobank_staff"])
def test_only_a_program_admin_may_grant_a_bypass(request, user_factory, role):
    actor = request.getfixturevalue(role)
    person = user_factory()

    with pytest.raises(PermissionRefused, match="Only a program admin"):
        requirement_bypass_grant(
            user=person, requirement="controlled_tier", reason=REASON, expires_on=None, actor=actor
        )

    assert not RequirementBypass.objects.exists()
    assert not AuditEvent.objects.exists()


def test_a_program_admin_cannot_waive_their_own_requirement(program_admin):
    with pytest.raises(PermissionRefused, match="another program admin"):
        requirement_bypass_grant(
            user=program_admin,
            requirement="controlled_tier",
            reason=REASON,
            expires_on=None,
            actor=program_admin,
        )

    assert not RequirementBypass.objects.exists()


def test_a_requirement_already_waived_must_be_revoked_before_it_is_waived_again(
    program_admin, researcher
):
    first = requirement_bypass_grant(
        user=researcher,
        requirement="controlled_tier",
        reason=REASON,
        expires_on=None,
        actor=program_admin,
    )

    with pytest.raises(DomainError, match="revoke that bypass first"):
        requirement_bypass_grant(
            user=researcher,
            requirement="controlled_tier",
            reason=REASON,
            expires_on=None,
            actor=program_admin,
        )

    assert list(RequirementBypass.objects.all()) == [first]
    requirement_bypass_revoke(bypass=first, actor=program_admin, reason=REVOKE_REASON)
    second = requirement_bypass_grant(
        user=researcher,
        requirement="controlled_tier",
        reason=REASON,
        expires_on=None,
        actor=program_admin,
    )
    assert RequirementBypass.objects.count() == 2
    assert second.pk != first.pk


def test_an_ended_bypass_does_not_block_a_new_one(program_admin, researcher):
    RequirementBypassFactory(
        user=researcher, requirement="controlled_tier", expires_on=TODAY - timedelta(days=1)
    )

    requirement_bypass_grant(
        user=researcher,
        requirement="controlled_tier",
        reason=REASON,
        expires_on=None,
        actor=program_admin,
    )

    assert RequirementBypass.objects.filter(user=researcher).count() == 2


def test_revoking_a_bypass_ends_it_now_keeps_the_row_and_audits(program_admin, researcher):
    bypass = requirement_bypass_grant(
        user=researcher,
        requirement="controlled_tier",
        reason=REASON,
        expires_on=None,
        actor=program_admin,
    )

    requirement_bypass_revoke(bypass=bypass, actor=program_admin, reason=REVOKE_REASON)

    bypass.refresh_from_db()
    assert bypass.revoked_at is not None
    assert bypass.reason == REASON
    event = AuditEvent.objects.order_by("-id").first()
    assert event.action == "requirement_bypass.revoke"
    assert event.actor == program_admin
    assert event.target_id == str(bypass.pk)
    assert event.before == {"revoked_at": None}
    assert event.after["reason"] == REVOKE_REASON
    assert AuditEvent.objects.count() == 2
    status = access_status_for(researcher)
    assert status.get(Requirement.CONTROLLED_TIER).state == State.INCOMPLETE


@pytest.mark.parametrize("reason", ["", "   ", "too short"])
def test_revoking_without_a_reason_changes_nothing(program_admin, researcher, reason):
    bypass = RequirementBypassFactory(user=researcher)

    with pytest.raises(DomainError, match="Say why the bypass is revoked"):
        requirement_bypass_revoke(bypass=bypass, actor=program_admin, reason=reason)

    bypass.refresh_from_db()
    assert bypass.revoked_at is None
    assert not AuditEvent.objects.exists()


def test_a_bypass_cannot_be_revoked_twice(program_admin, researcher):
    bypass = RequirementBypassFactory(user=researcher, revoked_at="2026-11-01T12:00Z")

    with pytest.raises(DomainError, match="already revoked"):
        requirement_bypass_revoke(bypass=bypass, actor=program_admin, reason=REVOKE_REASON)

    assert not AuditEvent.objects.exists()


def test_only_a_program_admin_may_revoke_a_bypass(auditor, researcher):
    bypass = RequirementBypassFactory(user=researcher)

    with pytest.raises(PermissionRefused):
        requirement_bypass_revoke(bypass=bypass, actor=auditor, reason=REVOKE_REASON)

    bypass.refresh_from_db()
    assert bypass.revoked_at is None
    assert not AuditEvent.objects.exists()
