"""The two consents of policy 2.1: each recorded on its own, with its time and wording."""

import hashlib
from datetime import UTC, datetime

import pytest
from django.urls import reverse

from portal.errors import PermissionRefused
from portal.models import Consent
from portal.onboarding.eligibility import Requirement, State
from portal.onboarding.selectors import access_status_for, consent_states_for
from portal.onboarding.services.consents import consent_give, consent_withdraw
from portal.onboarding.wordings import CONSENT_WORDINGS, consent_wording
from tests.factories import UserFactory
from tests.helpers import audit_events, frozen

PUBLIC = Consent.Kind.PUBLIC_DISPLAY
VIOLATION = Consent.Kind.VIOLATION_RELEASE
MOMENT = datetime(2026, 3, 8, 8, 30, tzinfo=UTC)  # the spring daylight-saving switch in Chicago


def _consent_state(user, requirement: Requirement) -> State:
    return access_status_for(user).get(requirement).state


# --- Wording ------------------------------------------------------------------------------


def test_the_current_wording_version_has_a_text_for_each_consent(settings):
    wordings = CONSENT_WORDINGS[settings.CONSENT_WORDING_VERSION]

    assert set(wordings) == set(Consent.Kind.values)
    assert "public display of my name" in wordings[PUBLIC]
    assert "plain-language description" in wordings[PUBLIC]
    assert "public release of my name and my institutional affiliation" in wordings[VIOLATION]
    assert "violated" in wordings[VIOLATION]


# --- Giving -------------------------------------------------------------------------------


def test_giving_a_consent_records_its_kind_wording_version_hash_and_time(researcher, settings):
    with frozen(MOMENT):
        consent = consent_give(user=researcher, kind=PUBLIC, actor=researcher)

    consent.refresh_from_db()
    assert consent.user == researcher
    assert consent.kind == PUBLIC
    assert consent.wording_version == settings.CONSENT_WORDING_VERSION
    assert (
        consent.wording_sha256
        == hashlib.sha256(consent_wording(PUBLIC).encode("utf-8")).hexdigest()
    )
    assert consent.given_at == MOMENT
    assert consent.withdrawn_at is None
    [event] = audit_events("consent.give")
    assert event.actor == researcher
    assert event.target_id == str(consent.pk)
    assert event.after["kind"] == PUBLIC
    assert event.after["wording_version"] == settings.CONSENT_WORDING_VERSION
    assert event.after["wording_sha256"] == consent.wording_sha256


def test_the_two_consents_are_recorded_separately(researcher):
    consent_give(user=researcher, kind=PUBLIC, actor=researcher)

    assert _consent_state(researcher, Requirement.CONSENT_PUBLIC_DISPLAY) == State.COMPLETE
    assert _consent_state(researcher, Requirement.CONSENT_VIOLATION_RELEASE) == State.INCOMPLETE

    with frozen(MOMENT):
        consent_give(user=researcher, kind=VIOLATION, actor=researcher)

    records = {c.kind: c for c in Consent.objects.filter(user=researcher)}
    assert set(records) == {PUBLIC, VIOLATION}
    assert records[PUBLIC].pk != records[VIOLATION].pk
    assert records[VIOLATION].given_at == MOMENT
    assert records[PUBLIC].wording_sha256 != records[VIOLATION].wording_sha256
    assert _consent_state(researcher, Requirement.CONSENT_VIOLATION_RELEASE) == State.COMPLETE
    assert len(audit_events("consent.give")) == 2


def test_giving_a_consent_already_given_changes_nothing(researcher):
    first = consent_give(user=researcher, kind=PUBLIC, actor=researcher)

    again = consent_give(user=researcher, kind=PUBLIC, actor=researcher)

    assert again.pk == first.pk
    assert Consent.objects.filter(user=researcher).count() == 1
    assert len(audit_events("consent.give")) == 1


def test_nobody_else_can_give_a_researchers_consent(researcher, program_admin):
    with pytest.raises(PermissionRefused, match="Only the researcher themself"):
        consent_give(user=researcher, kind=PUBLIC, actor=program_admin)

    assert not Consent.objects.exists()
    assert not audit_events("consent.give")


# --- Withdrawing --------------------------------------------------------------------------


def test_withdrawing_a_consent_keeps_the_record_and_records_when(researcher):
    consent = consent_give(user=researcher, kind=VIOLATION, actor=researcher)
    later = datetime(2026, 11, 1, 7, 0, tzinfo=UTC)  # the autumn switch in Chicago

    with frozen(later):
        consent_withdraw(consent=consent, actor=researcher)

    consent.refresh_from_db()
    assert consent.withdrawn_at == later
    assert Consent.objects.filter(user=researcher).count() == 1
    assert _consent_state(researcher, Requirement.CONSENT_VIOLATION_RELEASE) == State.INCOMPLETE
    [event] = audit_events("consent.withdraw")
    assert event.actor == researcher
    assert event.before["given"] is True
    assert event.after["given"] is False
    assert event.after["kind"] == VIOLATION


def test_withdrawing_one_consent_leaves_the_other_given(researcher):
    public = consent_give(user=researcher, kind=PUBLIC, actor=researcher)
    consent_give(user=researcher, kind=VIOLATION, actor=researcher)

    consent_withdraw(consent=public, actor=researcher)

    assert _consent_state(researcher, Requirement.CONSENT_PUBLIC_DISPLAY) == State.INCOMPLETE
    assert _consent_state(researcher, Requirement.CONSENT_VIOLATION_RELEASE) == State.COMPLETE


def test_withdrawing_a_consent_already_withdrawn_changes_nothing(researcher):
    consent = consent_give(user=researcher, kind=PUBLIC, actor=researcher)
    consent_withdraw(consent=consent, actor=researcher)
    consent.refresh_from_db()
    withdrawn_at = consent.withdrawn_at

    consent_withdraw(consent=consent, actor=researcher)

    consent.refresh_from_db()
    assert consent.withdrawn_at == withdrawn_at
    assert len(audit_events("consent.withdraw")) == 1


def test_consent_given_again_after_withdrawal_is_a_new_record(researcher):
    first = consent_give(user=researcher, kind=PUBLIC, actor=researcher)
    consent_withdraw(consent=first, actor=researcher)

    second = consent_give(user=researcher, kind=PUBLIC, actor=researcher)

    assert second.pk != first.pk
    first.refresh_from_db()
    assert first.withdrawn_at is not None
    assert second.withdrawn_at is None
    assert _consent_state(researcher, Requirement.CONSENT_PUBLIC_DISPLAY) == State.COMPLETE
    [state] = [s for s in consent_states_for(user=researcher) if s.kind == PUBLIC]
    assert [c.pk for c in state.history] == [second.pk, first.pk]


def test_nobody_else_can_withdraw_a_researchers_consent(researcher):
    consent = consent_give(user=researcher, kind=PUBLIC, actor=researcher)
    other = UserFactory()

    with pytest.raises(PermissionRefused):
        consent_withdraw(consent=consent, actor=other)

    consent.refresh_from_db()
    assert consent.withdrawn_at is None
    assert not audit_events("consent.withdraw")


# --- The consents page --------------------------------------------------------------------


def test_consents_page_shows_each_wording_with_its_own_button_and_state(client, researcher):
    with frozen(MOMENT):
        consent_give(user=researcher, kind=PUBLIC, actor=researcher)
    client.force_login(researcher)

    response = client.get(reverse("access-consents"))

    page = response.content.decode()
    assert response.status_code == 200
    assert consent_wording(PUBLIC).replace("'", "&#x27;") in page
    assert consent_wording(VIOLATION).replace("'", "&#x27;") in page
    assert reverse("access-consent-give", args=[VIOLATION]) in page
    assert reverse("access-consent-give", args=[PUBLIC]) not in page
    assert reverse("access-consent-withdraw", args=[Consent.objects.get().pk]) in page
    # Given at 08:30 UTC on 8 March 2026 is 03:30 Central Daylight Time in Chicago.
    assert "8 March 2026, 03:30 CDT" in page
    assert page.count("Give this consent<") == 1
    assert page.count("Withdraw this consent<") == 1


def test_ticking_the_box_and_pressing_give_records_that_consent_only(client, researcher):
    client.force_login(researcher)

    response = client.post(
        reverse("access-consent-give", args=[VIOLATION]), {f"{VIOLATION}-agree": "on"}, follow=True
    )

    assert response.status_code == 200
    assert "Consent recorded" in response.content.decode()
    assert list(Consent.objects.values_list("kind", flat=True)) == [VIOLATION]


def test_pressing_give_without_ticking_the_box_says_what_to_do_and_records_nothing(
    client, researcher
):
    client.force_login(researcher)

    response = client.post(reverse("access-consent-give", args=[PUBLIC]), {})

    assert response.status_code == 200
    assert "Tick the box to show that you agree" in response.content.decode()
    assert not Consent.objects.exists()
    assert not audit_events("consent.give")


def test_withdrawing_through_the_page(client, researcher):
    consent = consent_give(user=researcher, kind=PUBLIC, actor=researcher)
    client.force_login(researcher)

    response = client.post(reverse("access-consent-withdraw", args=[consent.pk]), follow=True)

    consent.refresh_from_db()
    assert consent.withdrawn_at is not None
    page = response.content.decode()
    assert "You are not eligible for biospecimen access until you give it again" in page
    assert reverse("access-consent-give", args=[PUBLIC]) in page


def test_withdrawing_someone_elses_consent_through_the_page_is_not_found(client, researcher):
    consent = consent_give(user=researcher, kind=PUBLIC, actor=researcher)
    client.force_login(UserFactory())

    response = client.post(reverse("access-consent-withdraw", args=[consent.pk]))

    assert response.status_code == 404
    consent.refresh_from_db()
    assert consent.withdrawn_at is None


def test_an_unknown_consent_kind_is_not_found(client, researcher):
    client.force_login(researcher)

    response = client.post(
        reverse("access-consent-give", args=["marketing"]), {"marketing-agree": "on"}
    )

    assert response.status_code == 404
    assert not Consent.objects.exists()


def test_the_consents_page_needs_a_signed_in_user(client, db):
    response = client.get(reverse("access-consents"))

    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]
