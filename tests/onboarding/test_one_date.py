"""One set of dates: the banner, the requirements page, the reminder email and
`access_status` name the same day for the same expiry, and the reminders go on the days
the banner counts 30, 15, 7 and 1."""

import re
from datetime import date, timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command

from portal.models import Notification, ProfileReview, RosterEntry
from portal.onboarding.eligibility import Requirement
from portal.onboarding.selectors import access_status_for
from portal.onboarding.services.access import access_send_reminders
from portal.onboarding.services.conduct import (
    code_of_conduct_make_current,
    code_of_conduct_new_version_tell,
)
from tests.factories import CodeOfConductVersionFactory, make_eligible, record_verdicts
from tests.helpers import at_noon, frozen

TODAY = date(2026, 6, 15)


@pytest.fixture
def lapsing_in(researcher):
    """An eligible researcher whose Code of Conduct signature and profile review lapse
    `days` days from TODAY (the first day they no longer hold); the roster is far off."""

    def make(days: int):
        make_eligible(researcher, today=TODAY + timedelta(days=days) - timedelta(days=365))
        RosterEntry.objects.update(access_expires_on=TODAY + timedelta(days=400))
        return researcher

    return make


def _banner(html: str) -> str:
    match = re.search(r"<div[^>]*data-access-banner>(.*?)</div>", html, re.S)
    return match.group(1) if match else ""


def _row(html: str, requirement: str) -> str:
    match = re.search(rf'<tr data-requirement="{requirement}".*?</tr>', html, re.S)
    assert match, requirement
    return match.group(0)


@pytest.mark.parametrize("days", [1, 7, 15, 30, 31])
def test_the_banner_the_page_the_email_and_access_status_name_the_same_day(
    client, lapsing_in, django_capture_on_commit_callbacks, days
):
    researcher = lapsing_in(days)
    lapse = TODAY + timedelta(days=days)
    named = f"{lapse:%-d %B %Y}"
    count = "tomorrow" if days == 1 else f"in {days} days"

    client.force_login(researcher)
    with frozen(at_noon(TODAY)):
        html = client.get("/access/").content.decode()
        out = StringIO()
        call_command("access_status", researcher.email, stdout=out)
    record_verdicts(TODAY)  # as the nightly re-check does before the reminders
    with django_capture_on_commit_callbacks(execute=True):
        summary = access_send_reminders(today=TODAY)

    row = _row(html, "code_of_conduct")
    assert f"Expires on {named} ({count})" in row
    assert f"expires on {lapse.isoformat()} ({days} days left)" in out.getvalue()
    banner = _banner(html)
    if days <= 30:
        assert "Code of Conduct signature expires" in banner
        assert named in banner
        assert count in banner
        # The reminders go on exactly the days the banner counts 30, 15, 7 and 1.
        [email] = mail.outbox
        assert summary.reminders_sent == 1
        assert f"expires on {lapse:%A %-d %B %Y}, {count}" in email.body
        assert named in email.subject
    else:
        assert banner == ""
        assert mail.outbox == []


@pytest.mark.parametrize("days", [30, 15, 7, 1])
def test_a_reminder_goes_on_the_day_the_banner_counts_its_threshold(
    client, lapsing_in, django_capture_on_commit_callbacks, days
):
    researcher = lapsing_in(days)
    client.force_login(researcher)
    with frozen(at_noon(TODAY)):
        banner = _banner(client.get("/access/").content.decode())

    record_verdicts(TODAY)  # as the nightly re-check does before the reminders
    with django_capture_on_commit_callbacks(execute=True):
        summary = access_send_reminders(today=TODAY)

    assert ("tomorrow" if days == 1 else f"in {days} days") in banner
    assert summary.keys == [f"access-expiry:{researcher.pk}:{TODAY + timedelta(days - 1)}:{days}d"]


# --- The banner and the dashboard agree (item 6) --------------------------------------------


def test_the_dashboard_card_says_what_the_banner_says_not_that_every_requirement_is_met(
    client, lapsing_in
):
    researcher = lapsing_in(10)
    client.force_login(researcher)

    with frozen(at_noon(TODAY)):
        html = client.get("/dashboard/researcher/").content.decode()

    assert "You meet every access requirement" not in html
    card = html[html.index('data-panel="access-requirements"') :]
    assert "expires on 25 June 2026, in 10 days" in card[: card.index("</section>")]


def test_the_banner_links_to_the_step_that_renews_what_lapses_first(client, lapsing_in):
    researcher = lapsing_in(20)
    ProfileReview.objects.filter(user=researcher).update(
        confirmed_at=at_noon(TODAY + timedelta(days=5) - timedelta(days=365))
    )
    client.force_login(researcher)

    with frozen(at_noon(TODAY)):
        banner = _banner(client.get("/access/").content.decode())

    first_link = re.search(r'href="([^"]+)"', banner).group(1)
    assert first_link == "/access/profile/review/"
    assert banner.index("annual profile review") < banner.index("Code of Conduct")


def test_a_new_version_made_current_tells_signers_of_the_old_one_at_once_and_once(
    researcher, program_admin, django_capture_on_commit_callbacks
):
    make_eligible(researcher, today=TODAY - timedelta(days=100))
    new = CodeOfConductVersionFactory(version="2027.1")

    with frozen(at_noon(TODAY)):
        with django_capture_on_commit_callbacks(execute=True):
            code_of_conduct_make_current(
                version=new,
                previous_accepted_until=TODAY + timedelta(days=89),
                actor=program_admin,
            )
        with django_capture_on_commit_callbacks(execute=True):
            code_of_conduct_new_version_tell(version_id=new.pk)

    [notice] = Notification.objects.filter(user=researcher, template="code_of_conduct_new_version")
    assert "version 2027.1" in notice.body_text
    assert "expires on 13 September 2026" in notice.body_text
    assert notice.url == "/access/code-of-conduct/"
    with frozen(at_noon(TODAY)):
        status = access_status_for(researcher)
    coc = status.get(Requirement.CODE_OF_CONDUCT)
    assert coc.superseded
    assert status.eligible
