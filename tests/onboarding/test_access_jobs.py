"""The daily eligibility re-check: snapshots, one audit event per change, fixed queries."""

import threading
from datetime import date, timedelta

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection

from portal.celery import app as celery_app
from portal.models import (
    CodeOfConductSignature,
    Consent,
    EligibilitySnapshot,
    RosterEntry,
)
from portal.onboarding.selectors import access_status_for
from portal.onboarding.services import access
from portal.onboarding.services.access import ELIGIBILITY_CHANGED, access_recheck_all
from portal.onboarding.tasks import access_recheck_daily
from portal.roles import Role
from tests.factories import (
    CodeOfConductSignatureFactory,
    ProfileReviewFactory,
    RequirementBypassFactory,
    RosterImportFactory,
    UserFactory,
    current_roster,
    make_eligible,
)
from tests.helpers import at, at_noon, audit_events, frozen

needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL (set DATABASE_URL)"
)
SIGNED = date(2026, 1, 10)
# make_eligible(today=SIGNED): the Code of Conduct and the profile review hold through
# SIGNED + 364 days; the roster authorization one day longer.
LAST_DAY = SIGNED + timedelta(days=364)
# Queries for one batch in which nothing changed: the keyset page of user ids, the savepoint,
# the locked snapshots, the selector's one, the UPDATE of computed_at, the release.
QUERIES_PER_QUIET_BATCH = 6


def eligibility_events(user=None):
    return audit_events(ELIGIBILITY_CHANGED, target=user)


def test_first_check_of_an_eligible_researcher_records_a_snapshot_and_one_event(researcher):
    make_eligible(researcher, today=SIGNED)

    summary = access_recheck_all(today=SIGNED)

    snapshot = EligibilitySnapshot.objects.get(user=researcher)
    assert snapshot.eligible is True
    assert snapshot.earliest_expiry == LAST_DAY
    [event] = eligibility_events(researcher)
    assert event.actor is None
    assert event.actor_label == "system"
    assert event.before == {"eligible": None, "failing": None, "earliest_expiry": None}
    assert event.after == {
        "eligible": True,
        "failing": [],
        "earliest_expiry": LAST_DAY.isoformat(),
    }
    assert summary.users == 1
    assert summary.snapshots_created == 1
    assert summary.became_eligible == 1


def test_first_check_of_a_researcher_not_yet_onboarded_records_the_snapshot_silently(
    researcher,
):
    summary = access_recheck_all(today=SIGNED)

    snapshot = EligibilitySnapshot.objects.get(user=researcher)
    assert snapshot.eligible is False
    assert snapshot.earliest_expiry is None
    assert eligibility_events() == []
    assert summary.events == 0


def test_eligibility_lost_when_an_expiry_passes_is_audited_once_and_not_again(researcher):
    make_eligible(researcher, today=SIGNED)
    access_recheck_all(today=SIGNED)

    access_recheck_all(today=LAST_DAY)
    assert len(eligibility_events(researcher)) == 1  # still eligible on its last day

    summary = access_recheck_all(today=LAST_DAY + timedelta(days=1))

    events = eligibility_events(researcher)
    assert len(events) == 2
    assert events[-1].before == {
        "eligible": True,
        "failing": [],
        "earliest_expiry": LAST_DAY.isoformat(),
    }
    assert events[-1].after == {
        "eligible": False,
        "failing": ["code_of_conduct", "profile_review"],
        "earliest_expiry": (LAST_DAY + timedelta(days=1)).isoformat(),  # the roster's
    }
    assert summary.became_ineligible == 1
    snapshot = EligibilitySnapshot.objects.get(user=researcher)
    assert snapshot.eligible is False

    access_recheck_all(today=LAST_DAY + timedelta(days=1))
    access_recheck_all(today=LAST_DAY + timedelta(days=2))

    assert len(eligibility_events(researcher)) == 2


def test_renewal_after_a_lapse_is_audited_as_eligible_again(researcher):
    make_eligible(researcher, today=SIGNED)
    access_recheck_all(today=SIGNED)
    lapsed = LAST_DAY + timedelta(days=3)
    access_recheck_all(today=lapsed)
    CodeOfConductSignatureFactory(user=researcher, signed_at=at_noon(lapsed))
    ProfileReviewFactory(user=researcher, confirmed_at=at_noon(lapsed))
    RosterEntry.objects.filter(email=researcher.email).update(
        access_expires_on=lapsed + timedelta(days=365)
    )

    summary = access_recheck_all(today=lapsed)

    event = eligibility_events(researcher)[-1]
    assert event.before["eligible"] is False
    assert event.before["failing"] == ["controlled_tier", "code_of_conduct", "profile_review"]
    assert event.after["eligible"] is True
    assert event.after["failing"] == []
    assert summary.became_eligible == 1
    assert EligibilitySnapshot.objects.get(user=researcher).earliest_expiry == (
        lapsed + timedelta(days=364)
    )


def test_a_renewal_that_moves_the_expiry_updates_the_snapshot_without_an_event(researcher):
    make_eligible(researcher, today=SIGNED)
    access_recheck_all(today=SIGNED)
    later = SIGNED + timedelta(days=100)
    CodeOfConductSignatureFactory(user=researcher, signed_at=at_noon(later))
    ProfileReviewFactory(user=researcher, confirmed_at=at_noon(later))

    access_recheck_all(today=later)

    assert len(eligibility_events(researcher)) == 1
    snapshot = EligibilitySnapshot.objects.get(user=researcher)
    assert snapshot.eligible is True
    assert snapshot.earliest_expiry == LAST_DAY + timedelta(days=1)  # now the roster's


def test_a_researcher_dropped_from_a_new_roster_import_loses_eligibility(researcher):
    make_eligible(researcher, today=SIGNED)
    access_recheck_all(today=SIGNED)
    old = current_roster()
    old.is_current = False
    old.save(update_fields=["is_current"])
    RosterImportFactory(is_current=True)

    access_recheck_all(today=SIGNED + timedelta(days=1))

    event = eligibility_events(researcher)[-1]
    assert event.after["eligible"] is False
    assert event.after["failing"] == ["controlled_tier"]


def test_a_bypassed_requirement_keeps_the_researcher_eligible(researcher):
    make_eligible(researcher, today=SIGNED)
    RosterEntry.objects.filter(email=researcher.email).delete()
    RequirementBypassFactory(user=researcher, requirement="controlled_tier")

    access_recheck_all(today=SIGNED)

    assert EligibilitySnapshot.objects.get(user=researcher).eligible is True
    assert eligibility_events(researcher)[-1].after["failing"] == []


def test_only_researchers_and_authorized_users_are_checked(
    researcher, authorized_user, prab_member
):
    both = UserFactory(roles=[Role.RESEARCHER, Role.AUTHORIZED_USER])

    summary = access_recheck_all(today=SIGNED)

    assert summary.users == 3
    assert set(EligibilitySnapshot.objects.values_list("user_id", flat=True)) == {
        researcher.pk,
        authorized_user.pk,
        both.pk,
    }


def test_batches_cover_every_user_exactly_once(user_factory):
    users = [user_factory(roles=[Role.RESEARCHER]) for _ in range(7)]

    summary = access_recheck_all(today=SIGNED, batch_size=3)

    assert summary.batches == 3
    assert summary.users == 7
    assert EligibilitySnapshot.objects.count() == 7
    assert {u.pk for u in users} == set(
        EligibilitySnapshot.objects.values_list("user_id", flat=True)
    )


def test_a_batch_size_below_one_is_refused(db):
    with pytest.raises(ValueError, match="batch_size"):
        access_recheck_all(today=SIGNED, batch_size=0)


def _mixed_population(count: int) -> list:
    """Researchers in several states, so every record query has rows to read."""
    users = []
    for i in range(count):
        user = UserFactory(roles=[Role.RESEARCHER, Role.AUTHORIZED_USER][: 1 + i % 2])
        if i % 4 != 3:
            make_eligible(user, today=SIGNED - timedelta(days=i % 30))
        if i % 5 == 0:
            RequirementBypassFactory(user=user, requirement="profile_review")
        users.append(user)
    return users


@pytest.mark.parametrize("count", [10, 30])
def test_a_quiet_batch_costs_the_same_queries_for_10_and_30_users(
    count, db, django_assert_num_queries
):
    _mixed_population(count)
    access_recheck_all(today=SIGNED)  # first pass: snapshots and initial events

    with django_assert_num_queries(QUERIES_PER_QUIET_BATCH):
        summary = access_recheck_all(today=SIGNED + timedelta(days=1), batch_size=1000)

    assert summary.users == count
    assert summary.events == 0


def test_many_batches_cost_a_fixed_number_of_queries_each(db, django_assert_num_queries):
    _mixed_population(40)
    access_recheck_all(today=SIGNED)

    # Four full batches of ten, then the keyset query that finds no more users.
    with django_assert_num_queries(4 * QUERIES_PER_QUIET_BATCH + 1):
        summary = access_recheck_all(today=SIGNED + timedelta(days=1), batch_size=10)

    assert summary.batches == 4


@pytest.mark.postgres
@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_record_one_snapshot_and_one_event(monkeypatch):
    """Both runs read no snapshot; one inserts first, the other retries and finds it."""
    user = UserFactory(roles=[Role.RESEARCHER], two_factor=True)
    make_eligible(user, today=SIGNED)
    real = access.access_statuses_for
    both_computed = threading.Barrier(2, timeout=30)
    waited = threading.local()

    def statuses_then_wait(ids, *, today):
        statuses = real(ids, today=today)
        if not getattr(waited, "done", False):
            waited.done = True
            both_computed.wait()
        return statuses

    monkeypatch.setattr(access, "access_statuses_for", statuses_then_wait)
    summaries, errors = [], []

    def run() -> None:
        try:
            summaries.append(access_recheck_all(today=SIGNED))
        except BaseException as exc:  # noqa: BLE001 - reported to the main thread below
            errors.append(exc)
        finally:
            connection.close()

    runs = [threading.Thread(target=run) for _ in range(2)]
    for thread in runs:
        thread.start()
    for thread in runs:
        thread.join()

    assert errors == []
    assert EligibilitySnapshot.objects.filter(user=user).count() == 1
    assert len(eligibility_events(user)) == 1
    assert sorted(s.events for s in summaries) == [0, 1]


def test_a_batch_whose_insert_collides_is_retried_whole_and_records_nothing_twice(
    researcher, monkeypatch
):
    make_eligible(researcher, today=SIGNED)
    manager = EligibilitySnapshot.objects
    real_bulk_create = manager.bulk_create
    attempts = []

    def collide_once(objs, *args, **kwargs):
        attempts.append(len(objs))
        if len(attempts) == 1:
            raise IntegrityError("UNIQUE constraint failed: portal_eligibilitysnapshot.user_id")
        return real_bulk_create(objs, *args, **kwargs)

    monkeypatch.setattr(manager, "bulk_create", collide_once)

    summary = access_recheck_all(today=SIGNED)

    assert attempts == [1, 1]
    assert EligibilitySnapshot.objects.filter(user=researcher).count() == 1
    assert len(eligibility_events(researcher)) == 1
    assert summary.events == 1
    assert summary.batches == 1


@pytest.mark.parametrize(
    "last_day", [date(2027, 3, 14), date(2026, 11, 1)], ids=["spring-forward", "fall-back"]
)
def test_the_day_turns_at_midnight_in_the_program_zone_on_a_daylight_saving_switch(
    researcher, last_day
):
    # The Code of Conduct and profile review hold through the day the clocks change; at
    # 23:30 that evening it is already the next day in UTC.
    signed = last_day - timedelta(days=364)
    make_eligible(researcher, today=signed)
    CodeOfConductSignature.objects.filter(user=researcher).update(signed_at=at(signed, 23, 30))
    access_recheck_all(today=signed)

    with frozen(at(last_day, 23, 30)):
        access_recheck_daily.delay()
        assert access_status_for(researcher).eligible
    assert len(eligibility_events(researcher)) == 1

    next_day = last_day + timedelta(days=1)
    with frozen(at(next_day, 0, 30)):
        access_recheck_daily.delay()
        access_recheck_daily.delay()

    events = eligibility_events(researcher)
    assert len(events) == 2
    assert events[-1].after["eligible"] is False
    assert events[-1].after["failing"] == ["code_of_conduct", "profile_review"]


def test_the_recheck_command_prints_what_it_did(researcher, capsys):
    make_eligible(researcher, today=SIGNED)

    call_command("access_recheck", "--date", SIGNED.isoformat())

    out = capsys.readouterr().out
    assert f"Checked 1 user(s) on {SIGNED.isoformat()}" in out
    assert "1 became eligible" in out
    assert EligibilitySnapshot.objects.filter(user=researcher, eligible=True).exists()


def test_the_recheck_command_refuses_a_malformed_date(db):
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("access_recheck", "--date", "10/01/2026")

    assert not EligibilitySnapshot.objects.exists()


def test_both_daily_jobs_are_on_the_beat_schedule_and_registered():
    scheduled = {
        entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()
    }

    recheck = scheduled["portal.onboarding.tasks.access_recheck_daily"]
    reminders = scheduled["portal.onboarding.tasks.access_reminders_daily"]
    assert (recheck.hour, recheck.minute) == ({3}, {15})
    assert (reminders.hour, reminders.minute) == ({7}, {0})
    assert settings.CELERY_TIMEZONE == settings.TIME_ZONE == "America/Chicago"
    assert "portal.onboarding.tasks.access_recheck_daily" in celery_app.tasks
    assert "portal.onboarding.tasks.access_reminders_daily" in celery_app.tasks


def test_another_requirement_failing_updates_the_snapshot_without_an_event(researcher):
    make_eligible(researcher, today=SIGNED)
    access_recheck_all(today=SIGNED)
    Consent.objects.filter(user=researcher, kind=Consent.Kind.PUBLIC_DISPLAY).update(
        withdrawn_at=at_noon(SIGNED)
    )
    access_recheck_all(today=SIGNED)
    events = len(eligibility_events(researcher))
    Consent.objects.filter(user=researcher).update(withdrawn_at=at_noon(SIGNED))

    access_recheck_all(today=SIGNED)

    assert len(eligibility_events(researcher)) == events
    assert EligibilitySnapshot.objects.get(user=researcher).failing == [
        "consent_public_display",
        "consent_violation_release",
    ]
