"""Eligibility (policy 2.1): every combination of requirement states, and the boundaries.

`evaluate_access` is pure, so the matrix runs on plain values. Each option below carries the
state the requirement must then be in; the test checks every requirement's state and that
the verdict is "all hold".
"""

import itertools
from datetime import date, timedelta

import pytest

from portal.onboarding.eligibility import (
    AccessRecords,
    CodeOfConductPolicy,
    Requirement,
    State,
    evaluate_access,
)
from portal.onboarding.selectors import access_status_for
from tests.factories import (
    CodeOfConductSignatureFactory,
    ConsentFactory,
    ProfileReviewFactory,
    RequirementBypassFactory,
    ResearcherProfileFactory,
    RosterEntryFactory,
    make_eligible,
)

TODAY = date(2026, 11, 22)
POLICY = CodeOfConductPolicy(latest="2026.1", accepted={"2025.1": date(2027, 3, 31)})
HOLDING = {State.COMPLETE, State.EXPIRING_SOON, State.BYPASSED}

# option name -> (record fields, expected state, expected expires_on)
ROSTER = {
    "none": ({}, State.INCOMPLETE, None),
    "valid": ({"roster_expires_on": TODAY + timedelta(days=200)}, State.COMPLETE, 200),
    "expiring_soon": ({"roster_expires_on": TODAY + timedelta(days=10)}, State.EXPIRING_SOON, 10),
    "expired": ({"roster_expires_on": TODAY - timedelta(days=1)}, State.EXPIRED, -1),
}
SIGNED_RECENTLY = TODAY - timedelta(days=10)
COC = {
    "none": ({}, State.INCOMPLETE, None),
    "latest": (
        {"coc_version": "2026.1", "coc_signed_on": SIGNED_RECENTLY},
        State.COMPLETE,
        354,
    ),
    "accepted_old": (
        {"coc_version": "2025.1", "coc_signed_on": SIGNED_RECENTLY},
        State.COMPLETE,
        (date(2027, 3, 31) - TODAY).days,
    ),
    "retired": ({"coc_version": "2024.1", "coc_signed_on": SIGNED_RECENTLY}, State.EXPIRED, None),
    "name_changed": (
        {"coc_version": "2026.1", "coc_signed_on": SIGNED_RECENTLY, "coc_name_matches": False},
        State.EXPIRED,
        354,
    ),
    "expired": (
        {"coc_version": "2026.1", "coc_signed_on": TODAY - timedelta(days=400)},
        State.EXPIRED,
        -36,
    ),
}
PROFILE = {
    "none": ({"profile_complete": True}, State.INCOMPLETE, None),
    "current": (
        {"profile_confirmed_on": TODAY - timedelta(days=100), "profile_complete": True},
        State.COMPLETE,
        264,
    ),
    "expired": (
        {"profile_confirmed_on": TODAY - timedelta(days=365), "profile_complete": True},
        State.EXPIRED,
        -1,
    ),
    "incomplete_profile": (
        {"profile_confirmed_on": TODAY - timedelta(days=100), "profile_complete": False},
        State.INCOMPLETE,
        None,
    ),
}
BYPASSABLE = (Requirement.CONTROLLED_TIER, Requirement.CODE_OF_CONDUCT, Requirement.TWO_FACTOR)


def _expected(state: State, bypassed: bool) -> State:
    return State.BYPASSED if bypassed and state not in HOLDING else state


def _bypass_sets():
    for size in range(len(BYPASSABLE) + 1):
        yield from itertools.combinations(BYPASSABLE, size)


def test_every_combination_of_requirement_states_gives_the_right_states_and_verdict():
    combos = itertools.product(
        ROSTER, (False, True), (False, True), COC, PROFILE, (False, True), _bypass_sets()
    )
    checked = 0
    for roster, display, release, coc, profile, two_factor, bypassed in combos:
        fields: dict[str, object] = {}
        for table, option in ((ROSTER, roster), (COC, coc), (PROFILE, profile)):
            fields.update(table[option][0])
        consents = set()
        if display:
            consents.add(Requirement.CONSENT_PUBLIC_DISPLAY.value)
        if release:
            consents.add(Requirement.CONSENT_VIOLATION_RELEASE.value)
        records = AccessRecords(
            **fields,  # type: ignore[arg-type]
            consents=frozenset(consents),
            two_factor=two_factor,
            bypassed=frozenset(b.value for b in bypassed),
        )
        expected = {
            Requirement.CONTROLLED_TIER: ROSTER[roster][1],
            Requirement.CONSENT_PUBLIC_DISPLAY: State.COMPLETE if display else State.INCOMPLETE,
            Requirement.CONSENT_VIOLATION_RELEASE: State.COMPLETE if release else State.INCOMPLETE,
            Requirement.CODE_OF_CONDUCT: COC[coc][1],
            Requirement.PROFILE_REVIEW: PROFILE[profile][1],
            Requirement.TWO_FACTOR: State.COMPLETE if two_factor else State.INCOMPLETE,
        }
        expected = {r: _expected(s, r in bypassed) for r, s in expected.items()}
        expires_in = {
            Requirement.CONTROLLED_TIER: ROSTER[roster][2],
            Requirement.CODE_OF_CONDUCT: COC[coc][2],
            Requirement.PROFILE_REVIEW: PROFILE[profile][2],
        }
        case = (roster, display, release, coc, profile, two_factor, bypassed)

        status = evaluate_access(records, today=TODAY, policy=POLICY)

        assert len(status.requirements) == len(Requirement), case
        for r in Requirement:
            assert status.get(r).state == expected[r], (case, r)
        for r, days in expires_in.items():
            want = None if days is None else TODAY + timedelta(days=days)
            if expected[r] == State.BYPASSED:
                want = None  # an open-ended bypass: it holds with no end date
            assert status.get(r).expires_on == want, (case, r)
        assert status.eligible == all(s in HOLDING for s in expected.values()), case
        checked += 1
    assert checked == 4 * 2 * 2 * 6 * 4 * 2 * 8


@pytest.mark.parametrize(
    ("days_left", "state"),
    [
        (31, State.COMPLETE),
        (30, State.COMPLETE),
        (29, State.EXPIRING_SOON),
        (1, State.EXPIRING_SOON),
        (0, State.EXPIRING_SOON),
        (-1, State.EXPIRED),
    ],
)
def test_roster_authorization_is_complete_30_days_out_and_expiring_soon_from_29(days_left, state):
    records = AccessRecords(roster_expires_on=TODAY + timedelta(days=days_left))

    status = evaluate_access(records, today=TODAY, policy=POLICY)

    assert status.get(Requirement.CONTROLLED_TIER).state == state


def _eligible_records(**changes: object) -> AccessRecords:
    base: dict[str, object] = {
        "roster_expires_on": TODAY + timedelta(days=200),
        "consents": frozenset(
            {Requirement.CONSENT_PUBLIC_DISPLAY.value, Requirement.CONSENT_VIOLATION_RELEASE.value}
        ),
        "coc_version": "2026.1",
        "coc_signed_on": TODAY,
        "profile_confirmed_on": TODAY,
        "profile_complete": True,
        "two_factor": True,
    }
    base.update(changes)
    return AccessRecords(**base)  # type: ignore[arg-type]


def test_roster_authorization_that_expires_today_still_holds():
    status = evaluate_access(_eligible_records(roster_expires_on=TODAY), today=TODAY, policy=POLICY)

    assert status.get(Requirement.CONTROLLED_TIER).state == State.EXPIRING_SOON
    assert status.eligible


def test_roster_authorization_that_expired_yesterday_does_not_hold():
    records = _eligible_records(roster_expires_on=TODAY - timedelta(days=1))

    status = evaluate_access(records, today=TODAY, policy=POLICY)

    assert status.get(Requirement.CONTROLLED_TIER).state == State.EXPIRED
    assert not status.eligible


@pytest.mark.parametrize(
    ("field", "requirement"),
    [
        ("coc_signed_on", Requirement.CODE_OF_CONDUCT),
        ("profile_confirmed_on", Requirement.PROFILE_REVIEW),
    ],
)
def test_an_annual_record_holds_on_its_365th_day_and_lapses_the_day_after(field, requirement):
    on_last_day = evaluate_access(
        _eligible_records(**{field: TODAY - timedelta(days=364)}), today=TODAY, policy=POLICY
    )
    a_day_late = evaluate_access(
        _eligible_records(**{field: TODAY - timedelta(days=365)}), today=TODAY, policy=POLICY
    )

    assert on_last_day.get(requirement).state == State.EXPIRING_SOON
    assert on_last_day.get(requirement).expires_on == TODAY
    assert on_last_day.eligible
    assert a_day_late.get(requirement).state == State.EXPIRED
    assert not a_day_late.eligible


@pytest.mark.parametrize(
    ("field", "requirement"),
    [
        ("coc_signed_on", Requirement.CODE_OF_CONDUCT),
        ("profile_confirmed_on", Requirement.PROFILE_REVIEW),
    ],
)
def test_an_annual_record_is_complete_30_days_before_it_lapses_and_expiring_soon_at_29(
    field, requirement
):
    at_30 = evaluate_access(
        _eligible_records(**{field: TODAY - timedelta(days=334)}), today=TODAY, policy=POLICY
    )
    at_29 = evaluate_access(
        _eligible_records(**{field: TODAY - timedelta(days=335)}), today=TODAY, policy=POLICY
    )

    assert at_30.get(requirement).state == State.COMPLETE
    assert at_29.get(requirement).state == State.EXPIRING_SOON


def test_a_signature_on_an_accepted_old_version_lapses_with_the_version():
    policy = CodeOfConductPolicy(latest="2026.1", accepted={"2025.1": TODAY + timedelta(days=5)})
    records = _eligible_records(coc_version="2025.1", coc_signed_on=TODAY - timedelta(days=10))

    today_status = evaluate_access(records, today=TODAY, policy=policy)
    after_lapse = evaluate_access(records, today=TODAY + timedelta(days=6), policy=policy)

    coc = today_status.get(Requirement.CODE_OF_CONDUCT)
    assert coc.state == State.EXPIRING_SOON
    assert coc.expires_on == TODAY + timedelta(days=5)
    assert "2025.1" in coc.note
    assert after_lapse.get(Requirement.CODE_OF_CONDUCT).state == State.EXPIRED


def test_a_bypass_marks_only_a_failing_requirement_as_bypassed():
    records = _eligible_records(
        roster_expires_on=None,
        bypassed=frozenset({Requirement.CONTROLLED_TIER.value, Requirement.TWO_FACTOR.value}),
    )

    status = evaluate_access(records, today=TODAY, policy=POLICY)

    assert status.get(Requirement.CONTROLLED_TIER).state == State.BYPASSED
    assert status.get(Requirement.TWO_FACTOR).state == State.COMPLETE
    assert status.eligible


def test_the_earliest_expiry_ignores_bypassed_requirements():
    records = _eligible_records(
        roster_expires_on=TODAY - timedelta(days=3),
        coc_signed_on=TODAY - timedelta(days=300),
        bypassed=frozenset({Requirement.CONTROLLED_TIER.value}),
    )

    status = evaluate_access(records, today=TODAY, policy=POLICY)

    assert status.earliest_expiry == TODAY - timedelta(days=300) + timedelta(days=364)


# Through the database: the records a user holds give the same verdict.


def test_a_user_given_every_requirement_is_eligible(eligible_researcher):
    status = access_status_for(eligible_researcher)

    assert status.eligible
    assert {r.state for r in status.requirements} == {State.COMPLETE}


def test_a_user_missing_only_two_factor_is_not_eligible(user_factory):
    person = make_eligible(user_factory(two_factor=False))
    person.authenticator_set.all().delete()

    status = access_status_for(person)

    assert status.get(Requirement.TWO_FACTOR).state == State.INCOMPLETE
    assert not status.eligible


def test_a_withdrawn_consent_does_not_count(eligible_researcher):
    eligible_researcher.consents.filter(kind="violation_release").update(
        withdrawn_at="2026-01-01T00:00Z"
    )

    status = access_status_for(eligible_researcher)

    assert status.get(Requirement.CONSENT_VIOLATION_RELEASE).state == State.INCOMPLETE
    assert not status.eligible


def test_a_signature_under_an_old_name_must_be_renewed(eligible_researcher):
    eligible_researcher.full_name = "Someone Else Entirely"
    eligible_researcher.save(update_fields=["full_name"])

    status = access_status_for(eligible_researcher)

    assert status.get(Requirement.CODE_OF_CONDUCT).state == State.EXPIRED
    assert not status.eligible


def test_an_expired_or_revoked_bypass_no_longer_waives_the_requirement(researcher):
    today = date(2026, 11, 22)
    RequirementBypassFactory(
        user=researcher, requirement="controlled_tier", expires_on=today - timedelta(days=1)
    )
    RequirementBypassFactory(
        user=researcher, requirement="controlled_tier", revoked_at="2026-11-01T00:00Z"
    )
    RequirementBypassFactory(user=researcher, requirement="two_factor", expires_on=today)

    status = access_status_for(researcher, today=today)

    assert status.get(Requirement.CONTROLLED_TIER).state == State.INCOMPLETE
    assert status.get(Requirement.TWO_FACTOR).state == State.COMPLETE  # holds on its own


def test_records_made_piecemeal_add_up_to_eligibility(researcher):
    RosterEntryFactory(email=researcher.email)
    ConsentFactory(user=researcher, kind="public_display")
    ConsentFactory(user=researcher, kind="violation_release")
    CodeOfConductSignatureFactory(user=researcher)
    ResearcherProfileFactory(user=researcher)
    ProfileReviewFactory(user=researcher)

    assert access_status_for(researcher).eligible


def test_a_bypass_with_an_end_holds_until_then_and_names_its_lapse_day():
    records = AccessRecords(
        bypassed=frozenset({Requirement.TWO_FACTOR.value}),
        bypass_ends={Requirement.TWO_FACTOR.value: TODAY + timedelta(days=9)},
    )

    status = evaluate_access(records, today=TODAY, policy=POLICY)

    two_factor = status.get(Requirement.TWO_FACTOR)
    assert two_factor.state == State.BYPASSED
    assert two_factor.expires_on == TODAY + timedelta(days=9)
    assert two_factor.lapses_on == TODAY + timedelta(days=10)
    assert two_factor.days_left(TODAY) == 10
    assert f"{two_factor.lapses_on:%-d %B %Y}" in two_factor.note
