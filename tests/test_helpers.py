"""The shared test helpers do what the other tests rely on."""

from datetime import UTC, date, datetime

import pytest
from django.utils import timezone

from portal.models import CodeOfConductVersion
from portal.onboarding.eligibility import Requirement, State
from portal.onboarding.selectors import access_status_for, program_today
from tests.factories import (
    CodeOfConductVersionFactory,
    latest_code_of_conduct,
    set_current_code_of_conduct,
)
from tests.helpers import FROZEN_TODAY, at_noon, frozen

pytestmark = pytest.mark.django_db


def _standing() -> dict[str, tuple[bool, date | None]]:
    return {
        v.version: (v.is_current, v.accepted_until)
        for v in CodeOfConductVersion.objects.order_by("version")
    }


def test_latest_code_of_conduct_makes_2026_1_current_when_no_version_is():
    CodeOfConductVersionFactory(version="2025.1")

    latest = latest_code_of_conduct()

    assert latest.version == "2026.1"
    assert _standing() == {"2025.1": (False, None), "2026.1": (True, None)}
    assert latest_code_of_conduct() == latest


def test_setting_the_current_version_keeps_the_accepted_ones_and_retires_the_rest():
    latest_code_of_conduct()
    CodeOfConductVersionFactory(version="2024.1")

    current = set_current_code_of_conduct("2027.1", accepted={"2025.1": date(2027, 6, 30)})

    assert current.version == "2027.1"
    assert current.is_current
    assert _standing() == {
        "2024.1": (False, None),
        "2025.1": (False, date(2027, 6, 30)),
        "2026.1": (False, None),
        "2027.1": (True, None),
    }


def test_a_signature_on_a_version_set_as_accepted_still_counts(eligible_researcher):
    set_current_code_of_conduct("2027.1", accepted={"2026.1": date(2099, 1, 1)})
    coc = access_status_for(eligible_researcher).get(Requirement.CODE_OF_CONDUCT)
    assert coc.state == State.COMPLETE

    set_current_code_of_conduct("2027.1")
    coc = access_status_for(eligible_researcher).get(Requirement.CODE_OF_CONDUCT)
    assert coc.state == State.EXPIRED


def test_the_frozen_clock_stands_still_at_noon_in_the_program_zone(frozen_today):
    assert frozen_today == FROZEN_TODAY
    assert program_today() == FROZEN_TODAY
    assert timezone.now() == at_noon(FROZEN_TODAY) == datetime(2026, 11, 22, 18, tzinfo=UTC)
    with frozen(at_noon(date(2026, 7, 1))) as clock:
        assert timezone.now() == datetime(2026, 7, 1, 17, tzinfo=UTC)
        clock.shift(60)
        assert timezone.now() == datetime(2026, 7, 1, 17, 1, tzinfo=UTC)
