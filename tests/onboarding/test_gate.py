"""The eligibility gate later steps call: who may apply, be named on a team, be sent specimens."""

import pytest

from portal.errors import NotEligible
from portal.models import Consent
from portal.onboarding.gate import ensure_all_eligible, ensure_eligible
from tests.factories import UserFactory, make_eligible

pytestmark = pytest.mark.django_db


def test_an_eligible_person_passes_and_gets_their_status():
    person = make_eligible(UserFactory())

    status = ensure_eligible(user=person)

    assert status.eligible


def test_a_person_who_fails_is_told_every_requirement_that_fails():
    person = make_eligible(UserFactory())
    Consent.objects.filter(user=person).delete()
    person.authenticator_set.all().delete()

    with pytest.raises(NotEligible) as refused:
        ensure_eligible(user=person)

    assert refused.value.failing == [
        "Consent to public display of your name and projects",
        "Consent to public release of your name if found in violation",
        "Two-factor authentication",
    ]
    assert "Not met: Consent to public display" in refused.value.message


def test_a_team_check_names_every_person_who_fails_not_only_the_first():
    ready = make_eligible(UserFactory(full_name="Ready Person"))
    first = UserFactory(full_name="First Missing")
    second = UserFactory(full_name="Second Missing")

    with pytest.raises(NotEligible) as refused:
        ensure_all_eligible(users=[ready, first, second])

    assert [line.split(":")[0] for line in refused.value.failing] == [
        "First Missing",
        "Second Missing",
    ]


def test_a_team_of_eligible_people_passes():
    ensure_all_eligible(users=[make_eligible(UserFactory()), make_eligible(UserFactory())])
