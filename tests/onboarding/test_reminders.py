"""Expiry reminders (30, 15, 7 and 1 days before) and expiry notices, each sent once."""

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
    """Run the reminder job for a day and deliver the emails it queued after commit."""

    def run(today: date | None = None):
        with django_capture_on_commit_callbacks(execute=True):
            return access_send_reminders(today=today)

    return run


# --- The thresholds --------------------------------------------------------------------


def test_no_reminder_31_days_before_the_expiry_and_one_at_30(researcher, send):
    last_day = TODAY + timedelta(days=31)
    lasting_until(researcher, last_day)

    send(TODAY)
    assert keys() == []
    assert mail.outbox == []

    summary = send(TODAY + timedelta(days=1))

    assert keys() == [f"access-expiry:{researcher.pk}:{last_day.isoformat()}:30d"]
    assert summary.reminders_sent == 1
    [email] = mail.outbox
    assert email.to == [researcher.email]
    assert last_day.strftime("%-d %B %Y") in email.subject


@pytest.mark.parametrize("days", [30, 15, 7, 1])
def test_a_reminder_goes_on_each_threshold_day(researcher, send, days):
    last_day = TODAY + timedelta(days=days)
    lasting_until(researcher, last_day)

    send(TODAY)

    assert keys() == [f"access-expiry:{researcher.pk}:{last_day.isoformat()}:{days}d"]
    assert len(mail.outbox) == 1
    notification = Notification.objects.get(user=researcher)
    assert notification.template == "access_expiring"
    assert notification.url == "/access/"


def test_the_whole_series_goes_once_each_over_a_month_of_daily_runs(researcher, send):
    last_day = TODAY + timedelta(days=31)
    lasting_until(researcher, last_day)
    sent_on: dict[str, date] = {}

    for offset in range(34):
        day = TODAY + timedelta(days=offset)
        before = set(keys())
        send(day)
        send(day)  # a second run the same day sends nothing
        for key in set(keys()) - before:
            sent_on[key] = day

    prefix = f"access-expiry:{researcher.pk}:{last_day.isoformat()}"
    assert sent_on == {
        f"{prefix}:30d": last_day - timedelta(days=30),
        f"{prefix}:15d": last_day - timedelta(days=15),
        f"{prefix}:7d": last_day - timedelta(days=7),
        f"{prefix}:1d": last_day - timedelta(days=1),
        f"access-expired:{researcher.pk}:code_of_conduct:{last_day}": last_day + timedelta(1),
        f"access-expired:{researcher.pk}:profile_review:{last_day}": last_day + timedelta(1),
        f"access-expired:{researcher.pk}:controlled_tier:{last_day + timedelta(1)}": (
            last_day + timedelta(2)
        ),
    }
    assert len(mail.outbox) == 7


def test_a_missed_threshold_day_is_caught_up_once_with_the_same_key(researcher, send):
    last_day = TODAY + timedelta(days=20)  # the job did not run on the 30-day day
    lasting_until(researcher, last_day)

    send(TODAY)
    send(TODAY + timedelta(days=1))

    assert keys() == [f"access-expiry:{researcher.pk}:{last_day.isoformat()}:30d"]
    assert len(mail.outbox) == 1
    assert "in 20 days" in mail.outbox[0].body


@pytest.mark.parametrize(
    ("days_left", "expected"),
    [(31, None), (30, 30), (16, 30), (15, 15), (8, 15), (7, 7), (2, 7), (1, 1), (0, None)],
)
def test_the_reminder_due_is_the_nearest_threshold_not_yet_passed(days_left, expected):
    assert reminder_threshold(days_left, (30, 15, 7, 1)) == expected


def test_only_the_earliest_expiry_drives_reminders_when_15_and_30_fall_on_one_day(researcher, send):
    coc_last_day = TODAY + timedelta(days=15)
    review_last_day = TODAY + timedelta(days=30)
    lasting_until(researcher, coc_last_day)
    roster_far_off(researcher)
    ProfileReviewFactory(user=researcher, confirmed_at=at_noon(review_last_day - timedelta(364)))

    send(TODAY)

    assert keys() == [f"access-expiry:{researcher.pk}:{coc_last_day.isoformat()}:15d"]
    [email] = mail.outbox
    assert "Biospecimen Access Code of Conduct signature" in email.body
    assert "Annual profile review" not in email.body

    # Renewing the Code of Conduct makes the profile review the earliest expiry: it
    # starts its own series the next day (its 30-day day has passed: caught up once).
    CodeOfConductSignatureFactory(user=researcher, signed_at=at_noon(TODAY))
    send(TODAY + timedelta(days=1))

    assert keys() == [
        f"access-expiry:{researcher.pk}:{coc_last_day.isoformat()}:15d",
        f"access-expiry:{researcher.pk}:{review_last_day.isoformat()}:30d",
    ]
    assert "Annual profile review" in mail.outbox[-1].body


def test_no_reminder_on_the_last_day_a_requirement_holds_and_still_eligible(researcher, send):
    lasting_until(researcher, TODAY)

    summary = send(TODAY)

    assert access_status_for(researcher, today=TODAY).eligible
    assert keys() == []
    assert mail.outbox == []
    assert summary.reminders_sent == summary.notices_sent == 0


def test_one_expiry_notice_the_day_after_a_requirement_lapses(researcher, send):
    last_day = TODAY - timedelta(days=1)
    lasting_until(researcher, last_day)
    ProfileReviewFactory(user=researcher, confirmed_at=at_noon(TODAY - timedelta(days=10)))

    summary = send(TODAY)
    send(TODAY)

    assert not access_status_for(researcher, today=TODAY).eligible
    assert keys() == [f"access-expired:{researcher.pk}:code_of_conduct:{last_day.isoformat()}"]
    assert summary.notices_sent == 1
    [email] = mail.outbox
    assert email.subject.startswith("Expired: Biospecimen Access Code of Conduct signature")
    assert f"expired on {TODAY.strftime('%-d %B %Y')}" in email.body


def test_an_expiry_notice_missed_on_its_day_goes_within_a_week_and_not_later(
    researcher, user_factory, send
):
    lasting_until(researcher, TODAY - timedelta(days=3))
    late = user_factory(roles=[Role.RESEARCHER])
    lasting_until(late, TODAY - timedelta(days=8))
    roster_far_off(researcher)
    roster_far_off(late)

    send(TODAY)

    assert {key.split(":")[1] for key in keys()} == {str(researcher.pk)}
    assert len(mail.outbox) == 2  # its Code of Conduct and profile review


def test_a_bypassed_requirement_sends_nothing(researcher, send):
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


def test_reminders_follow_the_lapse_date_of_an_accepted_old_version(researcher, send):
    lapse = date(2026, 12, 31)
    set_current_code_of_conduct("2026.1", accepted={"2025.1": lapse})
    make_eligible(researcher, today=date(2026, 6, 1))  # holds to 31 May 2027 on the latest
    CodeOfConductSignature.objects.filter(user=researcher).update(
        version=CodeOfConductVersionFactory(version="2025.1")
    )

    send(lapse - timedelta(days=31))
    assert keys() == []

    send(lapse - timedelta(days=30))
    send(lapse + timedelta(days=1))

    assert keys() == [
        f"access-expired:{researcher.pk}:code_of_conduct:{lapse.isoformat()}",
        f"access-expiry:{researcher.pk}:{lapse.isoformat()}:30d",
    ]
    reminder, notice = mail.outbox
    assert "Version 2025.1 is accepted until 31 December 2026." in reminder.body
    assert notice.subject.startswith("Expired: Biospecimen Access Code of Conduct signature")


def test_a_retired_version_starts_no_reminder_series_and_sends_no_notice_of_its_own(
    researcher, send
):
    signed = TODAY - timedelta(days=340)
    make_eligible(researcher, today=signed)
    CodeOfConductSignature.objects.filter(user=researcher).update(
        version=CodeOfConductVersionFactory(version="2024.1")
    )
    last_day = signed + timedelta(days=364)
    roster_far_off(researcher)

    for offset in range(27):
        send(TODAY + timedelta(days=offset))

    assert not access_status_for(researcher, today=TODAY).eligible
    # Not eligible, so no reminder; the profile review lapsing still gets its notice,
    # the retired signature (which has no lapse date) none.
    assert keys() == [f"access-expired:{researcher.pk}:profile_review:{last_day.isoformat()}"]


def test_a_researcher_who_is_not_eligible_gets_no_reminder(db, send):
    no_two_factor = UserFactory(roles=[Role.RESEARCHER], two_factor=False)
    lasting_until(no_two_factor, TODAY + timedelta(days=30))
    Authenticator.objects.filter(user=no_two_factor).delete()

    send(TODAY)

    assert not access_status_for(no_two_factor, today=TODAY).eligible
    assert keys() == []


def test_an_authorized_biospecimen_user_is_reminded_too(authorized_user, send):
    lasting_until(authorized_user, TODAY + timedelta(days=7))

    send(TODAY)

    assert len(keys()) == 1
    assert mail.outbox[0].to == [authorized_user.email]


# --- The task, twice ---------------------------------------------------------------------


def test_the_task_run_twice_sends_one_email_and_logs_one_reminder(
    researcher, django_capture_on_commit_callbacks
):
    lasting_until(researcher, TODAY + timedelta(days=30))

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
    ("last_day", "switch"),
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
    researcher, send, run_at, last_day, switch
):
    signed = last_day - timedelta(days=364)
    make_eligible(researcher, today=signed)
    # Signed late in the evening: already the next day in UTC.
    late_evening = at(signed, 23, 30)
    CodeOfConductSignature.objects.filter(user=researcher).update(signed_at=late_evening)
    ProfileReview.objects.filter(user=researcher).update(confirmed_at=late_evening)
    sent_on: dict[str, date] = {}

    for offset in range(-32, 3):
        day = last_day + timedelta(days=offset)
        before = set(keys())
        with frozen(at(day, run_at.hour, run_at.minute)):
            send()
        for key in set(keys()) - before:
            sent_on[key] = day

    prefix = f"access-expiry:{researcher.pk}:{last_day.isoformat()}"
    expected = {
        f"{prefix}:30d": last_day - timedelta(days=30),
        f"{prefix}:15d": last_day - timedelta(days=15),
        f"{prefix}:7d": last_day - timedelta(days=7),
        f"{prefix}:1d": last_day - timedelta(days=1),
        f"access-expired:{researcher.pk}:code_of_conduct:{last_day}": last_day + timedelta(1),
        f"access-expired:{researcher.pk}:profile_review:{last_day}": last_day + timedelta(1),
        f"access-expired:{researcher.pk}:controlled_tier:{last_day + timedelta(1)}": (
            last_day + timedelta(2)
        ),
    }
    assert sent_on == expected
    assert switch in expected.values()
    assert len(mail.outbox) == len(expected)


# --- The emails and the command -------------------------------------------------------------


def test_the_reminder_names_the_requirement_the_date_and_the_page_to_renew_on(researcher, send):
    last_day = TODAY + timedelta(days=7)
    lasting_until(researcher, last_day)

    send(TODAY)

    [email] = mail.outbox
    assert email.subject == "Your biospecimen access needs renewing by 22 June 2026"
    assert "Monday 22 June 2026 (in 7 days)" in email.body
    assert "- Biospecimen Access Code of Conduct signature: holds until 22 June 2026." in email.body
    assert "- Annual profile review: holds until 22 June 2026." in email.body
    assert f"Renew on your requirements page: {settings.SITE_URL}/access/" in email.body
    html, mimetype = email.alternatives[0]
    assert mimetype == "text/html"
    assert '/access/">Renew on your requirements page</a>' in html


def test_the_reminder_command_prints_what_it_sent(researcher, capsys):
    lasting_until(researcher, TODAY + timedelta(days=30))

    call_command("access_send_reminders", "--date", TODAY.isoformat())
    call_command("access_send_reminders", "--date", TODAY.isoformat())

    out = capsys.readouterr().out.splitlines()
    assert out == [
        f"Checked 1 user(s) on {TODAY.isoformat()}: 1 reminder(s) and 0 expiry notice(s) sent.",
        f"Checked 1 user(s) on {TODAY.isoformat()}: 0 reminder(s) and 0 expiry notice(s) sent.",
    ]
    assert ReminderLog.objects.count() == 1


# --- Queries --------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [10, 30])
def test_a_rerun_costs_the_same_queries_for_10_and_30_users(
    count, db, send, django_assert_num_queries
):
    for _ in range(count):
        lasting_until(UserFactory(roles=[Role.RESEARCHER]), TODAY + timedelta(days=30))
    send(TODAY)
    assert ReminderLog.objects.count() == count

    # The keyset page of users, the selector's one, the look-up of keys already used.
    with django_assert_num_queries(3):
        summary = send(TODAY)

    assert summary.users == count
    assert summary.reminders_sent == 0
