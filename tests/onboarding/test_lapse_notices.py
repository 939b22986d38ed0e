"""Nobody loses access silently: each change of verdict is told once, whatever its cause."""

import io
from datetime import date, timedelta

import pytest
from allauth.mfa import signals as mfa_signals
from allauth.mfa.models import Authenticator
from django.core import mail

from portal.models import CodeOfConductVersion, Consent, Notification, RosterEntry
from portal.onboarding.roster_files import CsvRosterSource
from portal.onboarding.services.access import (
    access_recheck_all,
    access_recheck_users,
    access_send_reminders,
)
from portal.onboarding.services.bypass import requirement_bypass_grant, requirement_bypass_revoke
from portal.onboarding.services.conduct import code_of_conduct_set_accepted_until
from portal.onboarding.services.consents import consent_withdraw
from portal.onboarding.services.roster import roster_import
from tests.factories import (
    RequirementBypassFactory,
    make_eligible,
    set_current_code_of_conduct,
)
from tests.helpers import at_noon, frozen

TODAY = date(2026, 6, 15)


def notices(user, template: str) -> list[Notification]:
    return list(Notification.objects.filter(user=user, template=template))


@pytest.fixture
def told(django_capture_on_commit_callbacks):
    """Run a callable and everything it queued on commit (the re-check and the emails)."""

    def run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return run


@pytest.fixture
def known_eligible(researcher, told):
    """An eligible researcher whose verdict the portal has already recorded (and told)."""
    make_eligible(researcher, today=TODAY)
    told(access_recheck_users, user_ids=[researcher.pk], today=TODAY)
    assert len(notices(researcher, "access_regained")) == 1
    mail.outbox.clear()
    Notification.objects.all().delete()
    return researcher


def assert_told_lapse_once(user, *, naming: str) -> Notification:
    [notice] = notices(user, "access_lapsed")
    assert naming in notice.body_text
    assert "/access/" in notice.body_text
    lapse_mails = [m for m in mail.outbox if m.to == [user.email] and "lapsed" in m.subject]
    assert len(lapse_mails) == 1
    return notice


def test_removal_from_the_roster_is_told_once(known_eligible, program_admin, told):
    csv = b"email,workbench_username,access_expires_on\nsomeone@example.org,someone,2027-06-01\n"

    with frozen(at_noon(TODAY)):
        told(
            roster_import,
            source=CsvRosterSource(io.BytesIO(csv), name="r.csv"),
            actor=None,
            drop_reason="The Workbench removed these researchers.",
        )
        told(access_recheck_all, today=TODAY)

    notice = assert_told_lapse_once(known_eligible, naming="Controlled Tier authorization")
    assert notice.subject == "Your biospecimen access has lapsed: see what to renew"


def test_a_withdrawn_consent_is_told_once(known_eligible, told):
    consent = Consent.objects.filter(user=known_eligible).first()

    with frozen(at_noon(TODAY)):
        told(consent_withdraw, consent=consent, actor=known_eligible)
        told(access_recheck_all, today=TODAY)

    assert_told_lapse_once(known_eligible, naming="Consent to public")


def test_a_code_of_conduct_version_retired_by_an_admin_is_told_at_once(
    known_eligible, program_admin, told
):
    set_current_code_of_conduct("2027.1", accepted={"2026.1": TODAY + timedelta(days=30)})
    old = CodeOfConductVersion.objects.get(version="2026.1")

    with frozen(at_noon(TODAY)):
        told(
            code_of_conduct_set_accepted_until,
            version=old,
            accepted_until=None,
            actor=program_admin,
        )
        told(access_recheck_all, today=TODAY)

    assert_told_lapse_once(known_eligible, naming="Code of Conduct")


def test_a_code_of_conduct_version_whose_grace_ends_is_told_once(known_eligible, told):
    last_day = TODAY + timedelta(days=3)
    set_current_code_of_conduct("2027.1", accepted={"2026.1": last_day})

    for offset in range(6):
        told(access_recheck_all, today=TODAY + timedelta(days=offset))

    notice = assert_told_lapse_once(known_eligible, naming="Code of Conduct")
    assert "expired on 19 June 2026" in notice.body_text


def test_a_bypass_that_ends_is_told_once_the_day_after_its_last_day(researcher, told):
    make_eligible(researcher, today=TODAY)
    Authenticator.objects.filter(user=researcher).delete()
    RequirementBypassFactory(
        user=researcher, requirement="two_factor", expires_on=TODAY + timedelta(days=3)
    )
    told(access_recheck_all, today=TODAY)
    Notification.objects.all().delete()
    mail.outbox.clear()

    for offset in range(1, 6):
        told(access_recheck_all, today=TODAY + timedelta(days=offset))
        told(access_send_reminders, today=TODAY + timedelta(days=offset))

    assert_told_lapse_once(researcher, naming="Two-factor authentication")


def test_a_revoked_bypass_is_told_at_once(researcher, program_admin, told):
    make_eligible(researcher, today=TODAY)
    Authenticator.objects.filter(user=researcher).delete()
    with frozen(at_noon(TODAY)):
        bypass = told(
            requirement_bypass_grant,
            user=researcher,
            requirement="two_factor",
            reason="Phone lost on fieldwork; replacement arrives next week.",
            expires_on=None,
            actor=program_admin,
        )
        assert len(notices(researcher, "access_regained")) == 1
        told(
            requirement_bypass_revoke,
            bypass=bypass,
            actor=program_admin,
            reason="The replacement phone has arrived.",
        )

    assert_told_lapse_once(researcher, naming="Two-factor authentication")


def test_turning_two_factor_off_is_told_at_once(known_eligible, told):
    authenticator = Authenticator.objects.get(user=known_eligible)

    def remove():
        authenticator.delete()
        mfa_signals.authenticator_removed.send(
            sender=Authenticator, request=None, user=known_eligible, authenticator=authenticator
        )

    with frozen(at_noon(TODAY)):
        told(remove)

    assert_told_lapse_once(known_eligible, naming="Two-factor authentication")


def test_running_the_jobs_twice_tells_nothing_twice(known_eligible, told):
    RosterEntry.objects.all().delete()

    for _ in range(2):
        told(access_recheck_all, today=TODAY)
        told(access_send_reminders, today=TODAY)
        told(access_recheck_users, user_ids=[known_eligible.pk], today=TODAY)

    assert_told_lapse_once(known_eligible, naming="Controlled Tier authorization")
    assert Notification.objects.filter(user=known_eligible).count() == 1


def test_becoming_eligible_again_is_told_once(known_eligible, told):
    RosterEntry.objects.all().delete()
    told(access_recheck_all, today=TODAY)
    make_eligible(known_eligible, today=TODAY)

    told(access_recheck_all, today=TODAY)
    told(access_recheck_all, today=TODAY)

    [notice] = notices(known_eligible, "access_regained")
    assert "You meet every requirement" in notice.body_text
    assert len(notices(known_eligible, "access_lapsed")) == 1


def test_a_newcomer_who_is_not_yet_eligible_is_not_told_anything(researcher, told):
    told(access_recheck_all, today=TODAY)

    assert Notification.objects.filter(user=researcher).count() == 0
    assert mail.outbox == []
