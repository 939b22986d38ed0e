"""Which Code of Conduct version is signed, and until when an older one counts: audited data."""

from datetime import date, timedelta

import pytest

from portal.errors import DomainError, PermissionRefused
from portal.models import AuditEvent, CodeOfConductVersion
from portal.onboarding.eligibility import Requirement, State
from portal.onboarding.selectors import access_status_for
from portal.onboarding.services.conduct import (
    code_of_conduct_make_current,
    code_of_conduct_set_accepted_until,
)
from portal.roles import Role
from tests.factories import CodeOfConductVersionFactory, UserFactory, make_eligible
from tests.helpers import at_noon, frozen

pytestmark = pytest.mark.django_db
TODAY = date(2026, 11, 2)


@pytest.fixture(autouse=True)
def _today():
    with frozen(at_noon(TODAY)):
        yield


@pytest.fixture
def admin():
    return UserFactory(roles=[Role.PROGRAM_ADMIN], two_factor=True)


def _current() -> list[str]:
    return list(
        CodeOfConductVersion.objects.filter(is_current=True).values_list("version", flat=True)
    )


def _coc_state(user) -> State:
    return access_status_for(user).get(Requirement.CODE_OF_CONDUCT).state


def test_making_a_version_current_gives_the_old_one_its_last_day_and_one_event(admin):
    researcher = make_eligible(UserFactory())
    old = CodeOfConductVersion.objects.get(is_current=True)
    new = CodeOfConductVersionFactory(version="2027.1")

    code_of_conduct_make_current(
        version=new, previous_accepted_until=TODAY + timedelta(days=60), actor=admin
    )

    old.refresh_from_db()
    assert _current() == ["2027.1"]
    assert old.accepted_until == TODAY + timedelta(days=60)
    event = AuditEvent.objects.get(action="code_of_conduct.make_current")
    assert event.before["current"] == old.version
    assert event.after == {
        "current": "2027.1",
        "previous": old.version,
        "previous_accepted_until": "2027-01-01",
    }
    # The researcher's signature on the old version still counts, until that day.
    assert _coc_state(researcher) == State.COMPLETE
    with frozen(at_noon(TODAY + timedelta(days=61))):
        assert _coc_state(researcher) == State.EXPIRED


def test_retiring_the_old_version_at_once_ends_its_signatures_today(admin):
    researcher = make_eligible(UserFactory())
    new = CodeOfConductVersionFactory(version="2027.1")

    code_of_conduct_make_current(version=new, previous_accepted_until=None, actor=admin)

    assert _coc_state(researcher) == State.EXPIRED
    assert not access_status_for(researcher).eligible


def test_a_grace_period_that_has_already_ended_is_refused_and_nothing_changes(admin):
    make_eligible(UserFactory())
    before = _current()
    new = CodeOfConductVersionFactory(version="2027.1")

    with pytest.raises(DomainError, match="already passed"):
        code_of_conduct_make_current(
            version=new, previous_accepted_until=TODAY - timedelta(days=1), actor=admin
        )

    assert _current() == before
    assert not AuditEvent.objects.filter(action="code_of_conduct.make_current").exists()


@pytest.mark.parametrize("who", ["researcher", "superuser without a role", "auditor"])
def test_only_a_program_admin_chooses_the_version(who):
    actor = {
        "researcher": lambda: UserFactory(roles=[Role.RESEARCHER]),
        "superuser without a role": lambda: UserFactory(is_superuser=True, is_staff=True),
        "auditor": lambda: UserFactory(roles=[Role.AUDITOR]),
    }[who]()
    make_eligible(UserFactory())
    before = _current()
    new = CodeOfConductVersionFactory(version="2027.1")

    with pytest.raises(PermissionRefused):
        code_of_conduct_make_current(version=new, previous_accepted_until=None, actor=actor)

    assert _current() == before
    assert not AuditEvent.objects.filter(action="code_of_conduct.make_current").exists()


def test_an_older_versions_grace_period_can_be_moved_and_is_audited(admin):
    researcher = make_eligible(UserFactory())
    old = CodeOfConductVersion.objects.get(is_current=True)
    new = CodeOfConductVersionFactory(version="2027.1")
    code_of_conduct_make_current(
        version=new, previous_accepted_until=TODAY + timedelta(days=60), actor=admin
    )

    code_of_conduct_set_accepted_until(version=old, accepted_until=None, actor=admin)

    old.refresh_from_db()
    assert old.accepted_until is None
    assert _coc_state(researcher) == State.EXPIRED
    event = AuditEvent.objects.get(action="code_of_conduct.accepted_until_set")
    assert event.before == {"accepted_until": "2027-01-01"}
    assert event.after == {"accepted_until": None}


def test_the_current_version_has_no_grace_period_to_set(admin):
    make_eligible(UserFactory())
    current = CodeOfConductVersion.objects.get(is_current=True)

    with pytest.raises(DomainError, match="is the current version"):
        code_of_conduct_set_accepted_until(
            version=current, accepted_until=TODAY + timedelta(days=5), actor=admin
        )

    current.refresh_from_db()
    assert current.accepted_until is None


def test_making_the_current_version_current_again_changes_nothing(admin):
    make_eligible(UserFactory())
    current = CodeOfConductVersion.objects.get(is_current=True)

    code_of_conduct_make_current(version=current, previous_accepted_until=None, actor=admin)

    assert _current() == [current.version]
    assert not AuditEvent.objects.filter(action="code_of_conduct.make_current").exists()
