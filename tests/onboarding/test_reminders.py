"""Expiry reminders, 30, 15, 7 and 1 days before the lapse day the banner counts to, each once."""

from datetime import date, time, timedelta

import pytest
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.core import mail
from django.core.management import call_command

from portal.models import (
    CodeOfConductSignature,
    Notification,
    ProfileReview,
    ReminderLog,
    RosterEntry,
)
from portal.onboarding.selectors import access_status_for
from portal.onboarding.services.access import access_send_reminders, reminder_threshold
from portal.onboarding.tasks import access_reminders_daily
from portal.roles import Role
from tests.factories import (
    CodeOfConductSignatureFactory,
    CodeOfConductVersionFactory,
    ProfileReviewFactory,
    RequirementBypassFactory,
    UserFactory,
    make_eligible,
    record_verdicts,
    set_current_code_of_conduct,
)
from tests.helpers import at, at_noon, frozen

TODAY = date(2026, 6, 15)


def lasting_until(user, last_day: date):
    """An eligible user whose Code of Conduct and profile review hold through `last_day`.

    The roster authorization holds one day longer, so `last_day` is the earliest expiry.
    """
    return make_eligible(user, today=last_day - timedelta(days=364))


def roster_far_off(user) -> None:
    """Move the user's Controlled Tier authorization a year past TODAY, out of the way."""
    RosterEntry.objects.filter(email=user.email).update(
        access_expires_on=TODAY + timedelta(days=365)
    )


def keys() -> list[str]:
    return sorted(ReminderLog.objects.values_list("key", flat=True))


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    """Run the reminder job for a day, after the verdicts were recorded as the nightly
    re-check records them, and deliver the emails it queued after commit."""

    def run(today: date | None = None):
        record_verdicts(today)
        with django_capture_on_commit_callbacks(execute=True):
            return access_send_reminders(today=today)

    return run


# --- The thresholds --------------------------------------------------------------------
#
# Days are counted as the banner counts them: to the lapse day, the first day a requirement
# no longer holds. `lapsing_on(user, day)` makes `day` that first day.


def lapsing_on(user, lapse_day: date):
    return lasting_until(user, lapse_day - timedelta(days=1))


def key_for(user, lapse_day: date, threshold: int) -> str:
    # The key carries the last day the requirement holds (as it always has).
    return f"access-expiry:{user.pk}:{(lapse_day - timedelta(days=1)).isoformat()}:{threshold}d"


def test_no_reminder_31_days_before_the_lapse_and_one_at_30(researcher, send):
    lapse_day = TODAY + timedelta(days=31)
    lapsing_on(researcher, lapse_day)

    send(TODAY)
    assert keys() == []
    assert mail.outbox == []

    summary = send(TODAY + timedelta(days=1))

    assert keys() == [key_for(researcher, lapse_day, 30)]
    assert summary.reminders_sent == 1
    [email] = mail.outbox
    assert email.to == [researcher.email]
    assert lapse_day.strftime("%-d %B %Y") in email.subject


@pytest.mark.parametrize("days", [30, 15, 7, 1])
def test_a_reminder_goes_on_each_threshold_day(researcher, send, days):
    lapse_day = TODAY + timedelta(days=days)
    lapsing_on(researcher, lapse_day)

    send(TODAY)

    assert keys() == [key_for(researcher, lapse_day, days)]
    assert len(mail.outbox) == 1
    notification = Notification.objects.get(user=researcher)
    assert notification.template == "access_expiring"
    assert notification.url == "/access/"


def test_the_whole_series_goes_once_each_over_a_month_of_daily_runs(researcher, send):
    lapse_day = TODAY + timedelta(days=32)
    lapsing_on(researcher, lapse_day)
    sent_on: dict[str, date] = {}

    for offset in range(34):
        day = TODAY + timedelta(days=offset)
        before = set(keys())
        send(day)
        send(day)  # a second run the same day sends nothing
        for key in set(keys()) - before:
            sent_on[key] = day

    assert sent_on == {
        key_for(researcher, lapse_day, t): lapse_day - timedelta(days=t) for t in (30, 15, 7, 1)
    }
    assert len(mail.outbox) == 4


def test_a_missed_threshold_day_is_caught_up_once_with_the_same_key(researcher, send):
    lapse_day = TODAY + timedelta(days=20)  # the job did not run on the 30-day day
    lapsing_on(researcher, lapse_day)

    send(TODAY)
    send(TODAY + timedelta(days=1))

    assert keys() == [key_for(researcher, lapse_day, 30)]
    assert len(mail.outbox) == 1
    assert "in 20 days" in mail.outbox[0].body


@pytest.mark.parametrize(
    ("days_left", "expected"),
    [(31, None), (30, 30), (16, 30), (15, 15), (8, 15), (7, 7), (2, 7), (1, 1), (0, None)],
)
def test_the_reminder_due_is_the_nearest_threshold_not_yet_passed(days_left, expected):
    assert reminder_threshold(days_left, (30, 15, 7, 1)) == expected


def test_only_the_earliest_expiry_drives_reminders_when_15_and_30_fall_on_one_day(researcher, send):
    coc_lapse = TODAY + timedelta(days=15)
    review_lapse = TODAY + timedelta(days=30)
    lapsing_on(researcher, coc_lapse)
    roster_far_off(researcher)
    ProfileReviewFactory(user=researcher, confirmed_at=at_noon(review_lapse - timedelta(365)))

    send(TODAY)

    assert keys() == [key_for(researcher, coc_lapse, 15)]
    [email] = mail.outbox
    assert "Biospecimen Access Code of Conduct signature" in email.body
    assert "Annual profile review" not in email.body

    # Renewing the Code of Conduct makes the profile review the earliest expiry: it
    # starts its own series the next day (its 30-day day has passed: caught up once).
    CodeOfConductSignatureFactory(user=researcher, signed_at=at_noon(TODAY))
    send(TODAY + timedelta(days=1))

    assert keys() == [key_for(researcher, coc_lapse, 15), key_for(researcher, review_lapse, 30)]
    assert "Annual profile review" in mail.outbox[-1].body


def test_the_one_day_reminder_goes_on_the_last_day_a_requirement_holds(researcher, send):
    lasting_until(researcher, TODAY)

    summary = send(TODAY)

    assert access_status_for(researcher, today=TODAY).eligible
    assert keys() == [key_for(researcher, TODAY + timedelta(days=1), 1)]
    assert summary.reminders_sent == 1
    assert "tomorrow" in mail.outbox[0].body


def test_no_reminder_once_a_requirement_has_lapsed(researcher, send):
    lapsing_on(researcher, TODAY)
    ProfileReviewFactory(user=researcher, confirmed_at=at_noon(TODAY - timedelta(days=10)))

    summary = send(TODAY)

    assert not access_status_for(researcher, today=TODAY).eligible
    assert keys() == []
    assert summary.reminders_sent == 0


def test_a_bypass_without_an_end_sends_nothing(researcher, send):
    # The roster lapsed yesterday but Controlled Tier is bypassed; everything else is
    # far off.
    make_eligible(researcher, today=TODAY - timedelta(days=366))
    CodeOfConductSignatureFactory(user=researcher, signed_at=at_noon(TODAY))
    ProfileReviewFactory(user=researcher, confirmed_at=at_noon(TODAY))
    RequirementBypassFactory(user=researcher, requirement="controlled_tier")

    for offset in range(3):
        send(TODAY + timedelta(days=offset))

    assert access_status_for(researcher, today=TODAY).eligible
    assert keys() == []
    assert mail.outbox == []


def test_a_bypass_that_ends_is_reminded_like_any_expiry(researcher, send):
    make_eligible(researcher, today=TODAY - timedelta(days=366))
    CodeOfConductSignatureFactory(user=researcher, signed_at=at_noon(TODAY))
    ProfileReviewFactory(user=researcher, confirmed_at=at_noon(TODAY))
    bypass_last_day = TODAY + timedelta(days=6)
    RequirementBypassFactory(
        user=researcher, requirement="controlled_tier", expires_on=bypass_last_day
    )

    send(TODAY)

    assert keys() == [f"access-expiry:{researcher.pk}:{bypass_last_day.isoformat()}:7d"]
    [email] = mail.outbox
    assert "Controlled Tier authorization: expires on 22 June 2026." in email.body
    assert "the waiver ends on 22 June 2026" in email.body


def test_reminders_follow_the_lapse_date_of_an_accepted_old_version(researcher, send):
    last_accepted = date(2026, 12, 31)
    set_current_code_of_conduct("2026.1", accepted={"2025.1": last_accepted})
    make_eligible(researcher, today=date(2026, 6, 1))  # holds to 31 May 2027 on the latest
    CodeOfConductSignature.objects.filter(user=researcher).update(
        version=CodeOfConductVersionFactory(version="2025.1")
    )
    lapse_day = last_accepted + timedelta(days=1)

    send(lapse_day - timedelta(days=31))
    assert keys() == []

    send(lapse_day - timedelta(days=30))

    assert keys() == [key_for(researcher, lapse_day, 30)]
    [reminder] = mail.outbox
    assert "the signature on version 2025.1 expires on 1 January 2027." in reminder.body


def test_a_retired_version_starts_no_reminder_series(researcher, send):
    signed = TODAY - timedelta(days=340)
    make_eligible(researcher, today=signed)
    CodeOfConductSignature.objects.filter(user=researcher).update(
        version=CodeOfConductVersionFactory(version="2024.1")
    )
    roster_far_off(researcher)

    for offset in range(27):
        send(TODAY + timedelta(days=offset))

    assert not access_status_for(researcher, today=TODAY).eligible
    assert keys() == []


def test_a_researcher_who_is_not_eligible_gets_no_reminder(db, send):
    no_two_factor = UserFactory(roles=[Role.RESEARCHER], two_factor=False)
    lasting_until(no_two_factor, TODAY + timedelta(days=30))
    Authenticator.objects.filter(user=no_two_factor).delete()

    send(TODAY)

    assert not access_status_for(no_two_factor, today=TODAY).eligible
    assert keys() == []


def test_an_authorized_biospecimen_user_is_reminded_too(authorized_user, send):
    lapsing_on(authorized_user, TODAY + timedelta(days=7))

    send(TODAY)

    assert len(keys()) == 1
    assert mail.outbox[0].to == [authorized_user.email]


# --- The task, twice ---------------------------------------------------------------------


def test_the_task_run_twice_sends_one_email_and_logs_one_reminder(
    researcher, django_capture_on_commit_callbacks
):
    lapsing_on(researcher, TODAY + timedelta(days=30))
    record_verdicts(TODAY)

    with frozen(at(TODAY, 7)):
        with django_capture_on_commit_callbacks(execute=True):
            access_reminders_daily.delay()
        with django_capture_on_commit_callbacks(execute=True):
            access_reminders_daily.delay()

    assert len(mail.outbox) == 1
    assert ReminderLog.objects.count() == 1
    assert Notification.objects.filter(user=researcher).count() == 1
    assert ReminderLog.objects.get().notification == Notification.objects.get()


# --- Daylight-saving switches --------------------------------------------------------------


@pytest.mark.parametrize("run_at", [time(0, 30), time(23, 30)], ids=["00:30", "23:30"])
@pytest.mark.parametrize(
    ("lapse_day", "switch"),
    [
        # Spring forward on Sunday 14 March 2027: the 7-day reminder falls on it, the
        # 30- and 15-day ones before it, the 1-day one after.
        (date(2027, 3, 21), date(2027, 3, 14)),
        # Fall back on Sunday 1 November 2026: the 1-day reminder falls on it.
        (date(2026, 11, 2), date(2026, 11, 1)),
    ],
    ids=["spring-forward", "fall-back"],
)
def test_reminders_go_on_the_right_program_day_across_a_daylight_saving_switch(
    researcher, send, run_at, lapse_day, switch
):
    signed = lapse_day - timedelta(days=365)
    make_eligible(researcher, today=signed)
    roster_far_off(researcher)
    # Signed late in the evening: already the next day in UTC.
    late_evening = at(signed, 23, 30)
    CodeOfConductSignature.objects.filter(user=researcher).update(signed_at=late_evening)
    ProfileReview.objects.filter(user=researcher).update(confirmed_at=late_evening)
    sent_on: dict[str, date] = {}

    for offset in range(-32, 3):
        day = lapse_day + timedelta(days=offset)
        before = set(keys())
        with frozen(at(day, run_at.hour, run_at.minute)):
            send()
        for key in set(keys()) - before:
            sent_on[key] = day

    expected = {
        key_for(researcher, lapse_day, t): lapse_day - timedelta(days=t) for t in (30, 15, 7, 1)
    }
    assert sent_on == expected
    assert switch in expected.values()
    assert len(mail.outbox) == len(expected)


# --- The emails and the command -------------------------------------------------------------


def test_the_reminder_names_the_requirement_the_date_and_the_page_to_renew_on(researcher, send):
    lapse_day = TODAY + timedelta(days=7)
    lapsing_on(researcher, lapse_day)

    send(TODAY)

    [email] = mail.outbox
    assert email.subject == (
        "Your biospecimen access expires on 22 June 2026: renew it before then"
    )
    assert "expires on Monday 22 June 2026, in 7 days" in email.body
    assert "- Biospecimen Access Code of Conduct signature: expires on 22 June 2026." in email.body
    assert "- Annual profile review: expires on 22 June 2026." in email.body
    assert f"{settings.SITE_URL}/access/" in email.body
    html, mimetype = email.alternatives[0]
    assert mimetype == "text/html"
    assert '/access/">Renew on your requirements page</a>' in html


def test_the_reminder_command_prints_what_it_sent(researcher, capsys):
    lapsing_on(researcher, TODAY + timedelta(days=30))
    record_verdicts(TODAY)

    call_command("access_send_reminders", "--date", TODAY.isoformat())
    call_command("access_send_reminders", "--date", TODAY.isoformat())

    out = capsys.readouterr().out.splitlines()
    assert out == [
        f"Checked 1 user(s) on {TODAY.isoformat()}: 1 reminder(s) sent.",
        f"Checked 1 user(s) on {TODAY.isoformat()}: 0 reminder(s) sent.",
    ]
    assert ReminderLog.objects.count() == 1


# --- Queries --------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [10, 30])
def test_a_rerun_costs_the_same_queries_for_10_and_30_users(
    count, db, send, django_assert_num_queries
):
    for _ in range(count):
        lapsing_on(UserFactory(roles=[Role.RESEARCHER]), TODAY + timedelta(days=30))
    send(TODAY)
    assert ReminderLog.objects.count() == count

    # The keyset page of candidates, the selector's one, the look-up of keys already used.
    with django_assert_num_queries(3):
        summary = access_send_reminders(today=TODAY)

    assert summary.users == count
    assert summary.reminders_sent == 0


# --- At scale ---------------------------------------------------------------------------------


def test_only_people_whose_recorded_verdict_lapses_within_30_days_are_looked_at(db, send):
    soon = lapsing_on(UserFactory(roles=[Role.RESEARCHER]), TODAY + timedelta(days=30))
    lapsing_on(UserFactory(roles=[Role.RESEARCHER]), TODAY + timedelta(days=31))
    lapsing_on(UserFactory(roles=[Role.RESEARCHER]), TODAY + timedelta(days=200))
    UserFactory(roles=[Role.RESEARCHER])  # not eligible: told by the re-check, not here

    summary = send(TODAY)

    assert summary.users == 1
    assert summary.reminders_sent == 1
    assert [m.to for m in mail.outbox] == [[soon.email]]


def test_a_night_of_reminders_queues_its_emails_a_few_hundred_to_a_task(
    db, monkeypatch, django_capture_on_commit_callbacks
):
    from portal import notifications, tasks

    monkeypatch.setattr(notifications, "BULK_EMAILS_PER_TASK", 2)
    queued: list[list[int]] = []
    monkeypatch.setattr(
        tasks.notification_send_email, "delay", lambda **kw: queued.append([kw["notification_id"]])
    )
    monkeypatch.setattr(
        tasks.notification_send_emails, "delay", lambda **kw: queued.append(kw["notification_ids"])
    )
    for _ in range(5):
        lapsing_on(UserFactory(roles=[Role.RESEARCHER]), TODAY + timedelta(days=30))
    record_verdicts(TODAY)

    with django_capture_on_commit_callbacks(execute=True):
        summary = access_send_reminders(today=TODAY)

    assert summary.reminders_sent == 5
    assert [len(chunk) for chunk in queued] == [2, 2, 1]
    assert sorted(pk for chunk in queued for pk in chunk) == sorted(
        Notification.objects.values_list("pk", flat=True)
    )


def test_the_bulk_task_sends_each_email_once_and_goes_on_past_a_failure(db, monkeypatch):
    from portal import notifications, tasks

    people = [UserFactory(roles=[Role.RESEARCHER]) for _ in range(3)]
    ids = [notifications.notify(user=p, template="access_regained").pk for p in people]
    real = notifications.notification_send_email

    def flaky(*, notification_id: int) -> bool:
        if notification_id == ids[1]:
            raise OSError("mail server refused")
        return real(notification_id=notification_id)

    monkeypatch.setattr(notifications, "notification_send_email", flaky)

    assert tasks.notification_send_emails(notification_ids=ids) == 2
    assert tasks.notification_send_emails(notification_ids=ids) == 0  # none sent twice
    assert sorted(m.to[0] for m in mail.outbox) == sorted([people[0].email, people[2].email])
    assert Notification.objects.get(pk=ids[1]).email_sent_at is None  # left for the resend job
