"""Mail: links on the configured SITE_URL, never cut by quoted-printable, allauth's emails in
the portal's words, and a short summary for the in-app notice."""

import io
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.test import override_settings
from django.urls import reverse

from portal.mail import LONG_LINES, ConsoleBackend
from portal.models import Notification
from portal.notifications import notify

LONG_LINK = "http://portal.example.org:8123/accounts/confirm-email/" + "Mg:1vQxYz:" + "a" * 70 + "/"


def _message_with_a_long_link() -> EmailMultiAlternatives:
    body = (
        "Dear Nia Newcomer,\n\nTo confirm your address, open this link and press Confirm, "
        "which finishes creating your account on the portal:\n\n" + LONG_LINK + "\n"
    )
    return EmailMultiAlternatives("Confirm", body, "from@example.org", ["nia@example.org"])


def test_the_smtp_policy_keeps_a_long_link_whole():
    raw = _message_with_a_long_link().message(policy=LONG_LINES).as_bytes().decode()

    assert LONG_LINK in raw
    assert "quoted-printable" not in raw
    assert "=3D" not in raw


def test_the_console_shows_a_long_link_whole_to_copy():
    stream = io.StringIO()

    ConsoleBackend(stream=stream).send_messages([_message_with_a_long_link()])

    assert LONG_LINK in stream.getvalue()
    assert "=\n" not in stream.getvalue()


def test_the_default_policy_would_cut_it():
    # What the portal's backends avoid: Python's default wraps at 78 with quoted-printable.
    raw = _message_with_a_long_link().message().as_bytes().decode()

    assert "quoted-printable" in raw
    assert LONG_LINK not in raw


@override_settings(SITE_URL="http://portal.example.org:8123")
def test_a_password_reset_link_points_at_site_url_in_the_portals_words(client, researcher):
    client.post(reverse("account_reset_password"), {"email": researcher.email})

    [email] = mail.outbox
    assert email.subject.endswith("Reset your Biospecimen Access Portal password")
    assert "Hello from the Biospecimen Access Portal." in email.body
    assert "Thank you for using" not in email.body
    link = next(line for line in email.body.splitlines() if "/accounts/password/reset/" in line)
    assert link.startswith("http://portal.example.org:8123/accounts/password/reset/key/")
    assert urlsplit(link).netloc == "portal.example.org:8123"


@override_settings(SITE_URL="http://portal.example.org:8123")
def test_a_notification_links_to_site_url(researcher, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notify(
            user=researcher,
            template="access_regained",
            context={"failing": [], "lapses_on": None},
            url="/access/",
        )

    [email] = mail.outbox
    assert "http://portal.example.org:8123/access/" in email.body


@pytest.mark.parametrize(
    ("template", "context", "summary"),
    [
        (
            "access_lapsed",
            {"failing": [{"label": "Two-factor authentication", "note": "", "lapsed_on": None}]},
            "Two-factor authentication no longer holds: renew to apply, be named on a team or "
            "receive specimens.",
        ),
        ("generic_notice", {"subject": "Hello", "message": "A long text."}, None),
    ],
)
def test_the_in_app_notice_is_a_short_summary_not_the_pasted_email(
    client, researcher, template, context, summary
):
    notice = notify(user=researcher, template=template, context=context, url="/access/")
    client.force_login(researcher)

    html = client.get(reverse("notifications")).content.decode()

    expected = summary or notice.subject
    assert notice.summary == expected
    assert f'<p class="mb-1" data-notification-summary>{expected}</p>' in html
    assert "<summary>The email as sent</summary>" in html
    assert len(notice.summary) < len(notice.body_text)


def test_notice_times_are_in_the_program_time_zone(client, researcher):
    notify(user=researcher, template="access_regained", context={"failing": []})
    client.force_login(researcher)

    html = client.get(reverse("notifications")).content.decode()

    assert settings.TIME_ZONE == "America/Chicago"
    assert " CST</time>" in html or " CDT</time>" in html
    assert Notification.objects.count() == 1
