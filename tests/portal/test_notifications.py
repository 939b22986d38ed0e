"""Notifications: the email pair, the in-app record, sending after commit, and reminders
that go out once."""

import smtplib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template import TemplateDoesNotExist
from django.urls import reverse
from kombu.exceptions import OperationalError as BrokerDown

from portal import tasks
from portal.errors import PermissionRefused
from portal.models import Notification, ReminderLog
from portal.notifications import (
    notification_mark_read,
    notification_send_email,
    notify,
    reminder_send_once,
)
from portal.roles import Role
from tests.factories import UserFactory
from tests.helpers import frozen

NOTICE = {
    "heading": "Your application was received",
    "message": "The PRAB will screen it within ten working days.",
}


class Boom(Exception):
    pass


def _notice(user, **extra):
    return notify(
        user=user,
        template="generic_notice",
        context={**NOTICE, **extra},
        url="/applications/42/",
    )


# --- Rendering --------------------------------------------------------------------------


def test_notify_renders_the_email_pair_and_writes_an_in_app_notification(researcher):
    notification = _notice(researcher)

    notification.refresh_from_db()
    assert notification.user == researcher
    assert notification.template == "generic_notice"
    assert notification.subject == "Your application was received"
    assert notification.url == "/applications/42/"
    assert "The PRAB will screen it within ten working days." in notification.body_text
    assert f"{settings.SITE_URL}/applications/42/" in notification.body_text
    assert "<h1" in notification.body_html
    assert "Your application was received</h1>" in notification.body_html
    assert f'href="{settings.SITE_URL}/applications/42/"' in notification.body_html
    assert notification.read_at is None
    assert notification.email_sent_at is None


def test_plain_text_and_subject_are_not_html_escaped_but_the_html_body_is(researcher):
    notification = notify(
        user=researcher,
        template="generic_notice",
        context={"heading": "O'Brien & Co's request", "message": "<b>not bold</b>"},
    )

    assert notification.subject == "O'Brien & Co's request"
    assert "O'Brien & Co's request" in notification.body_text
    assert "<b>not bold</b>" in notification.body_text
    assert "O&#x27;Brien &amp; Co&#x27;s request" in notification.body_html
    assert "&lt;b&gt;not bold&lt;/b&gt;" in notification.body_html
    assert "<b>" not in notification.body_html


def test_a_multi_line_subject_template_becomes_one_line(researcher):
    notification = notify(
        user=researcher,
        template="generic_notice",
        context={"heading": "First line\n  second line", "message": "x"},
    )
    assert notification.subject == "First line second line"


def test_every_email_template_comes_as_subject_text_and_html():
    emails = Path(settings.BASE_DIR) / "templates" / "emails"
    names = {path.name for path in emails.rglob("*") if path.is_file()}
    stems = {name.removesuffix("_subject.txt") for name in names if name.endswith("_subject.txt")}
    assert "generic_notice" in stems
    for stem in stems:
        assert {f"{stem}.txt", f"{stem}.html"} <= names, stem
    for name in names:
        stem = (
            name.removesuffix("_subject.txt")
            .removesuffix("_summary.txt")
            .removesuffix(".txt")
            .removesuffix(".html")
        )
        assert stem in stems, f"{name} has no _subject.txt"


# --- Sending after commit ---------------------------------------------------------------


def test_the_email_leaves_only_after_commit_with_text_and_html(
    researcher, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        notification = _notice(researcher)
        assert mail.outbox == []

    assert callbacks
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [researcher.email]
    assert message.subject == "Your application was received"
    assert "The PRAB will screen it within ten working days." in message.body
    assert len(message.alternatives) == 1
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert "<h1" in html
    notification.refresh_from_db()
    assert notification.email_sent_at is not None
    assert notification.email_attempts == 1


def test_sending_is_queued_as_a_celery_task_after_commit(
    researcher, django_capture_on_commit_callbacks, monkeypatch
):
    queued: list[dict] = []
    monkeypatch.setattr(
        tasks.notification_send_email, "delay", lambda **kwargs: queued.append(kwargs)
    )

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notification = _notice(researcher)
    assert queued == []

    for callback in callbacks:
        callback()
    assert queued == [{"notification_id": notification.pk}]
    assert mail.outbox == []


def test_a_rolled_back_transaction_sends_nothing_and_keeps_no_notification(
    researcher, django_capture_on_commit_callbacks
):
    def change_then_fail() -> None:
        with transaction.atomic():
            _notice(researcher)
            raise Boom

    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(Boom):
        change_then_fail()

    assert callbacks == []
    assert mail.outbox == []
    assert not Notification.objects.exists()


def test_a_broker_outage_does_not_undo_the_change_and_leaves_the_email_for_the_beat_job(
    researcher, django_capture_on_commit_callbacks, monkeypatch
):
    def broker_down(**kwargs):
        raise BrokerDown("connection refused")

    monkeypatch.setattr(tasks.notification_send_email, "delay", broker_down)

    with django_capture_on_commit_callbacks(execute=True):
        notification = _notice(researcher)

    notification.refresh_from_db()
    assert notification.email_sent_at is None
    assert mail.outbox == []


def test_sending_the_same_notification_twice_sends_one_email(researcher):
    notification = _notice(researcher)

    assert notification_send_email(notification_id=notification.pk) is True
    assert notification_send_email(notification_id=notification.pk) is False
    tasks.notification_send_email.delay(notification_id=notification.pk)

    assert len(mail.outbox) == 1
    notification.refresh_from_db()
    assert notification.email_attempts == 1


def test_a_failed_send_is_counted_and_the_email_stays_unsent(researcher, monkeypatch):
    notification = _notice(researcher)

    def refuse(self, fail_silently=False):
        raise smtplib.SMTPServerDisconnected("mail server went away")

    monkeypatch.setattr(EmailMultiAlternatives, "send", refuse)
    with pytest.raises(smtplib.SMTPServerDisconnected):
        notification_send_email(notification_id=notification.pk)

    notification.refresh_from_db()
    assert notification.email_attempts == 1
    assert notification.email_sent_at is None

    monkeypatch.undo()
    assert notification_send_email(notification_id=notification.pk) is True
    notification.refresh_from_db()
    assert notification.email_attempts == 2
    assert notification.email_sent_at is not None
    assert len(mail.outbox) == 1


# --- Reminders --------------------------------------------------------------------------


def test_a_reminder_with_the_same_key_twice_sends_once_and_logs_once(
    researcher, django_capture_on_commit_callbacks
):
    key = f"coc-expiry:{researcher.pk}:2026-12-01:30d"
    with django_capture_on_commit_callbacks(execute=True):
        first = reminder_send_once(key=key, user=researcher, template="generic_notice", **_ctx())
    with django_capture_on_commit_callbacks(execute=True):
        second = reminder_send_once(key=key, user=researcher, template="generic_notice", **_ctx())

    assert first is not None
    assert second is None
    assert len(mail.outbox) == 1
    log = ReminderLog.objects.get()
    assert log.key == key
    assert log.user == researcher
    assert log.notification == first
    assert Notification.objects.count() == 1


def test_reminders_with_different_keys_each_go_out(researcher, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        for days in (30, 15):
            reminder_send_once(
                key=f"coc-expiry:{researcher.pk}:2026-12-01:{days}d",
                user=researcher,
                template="generic_notice",
                **_ctx(),
            )
    assert len(mail.outbox) == 2
    assert ReminderLog.objects.count() == 2


def test_a_reminder_that_fails_to_render_leaves_no_log_so_it_can_run_again(researcher):
    with pytest.raises(TemplateDoesNotExist, match="no_such_template"):
        reminder_send_once(key="k:1", user=researcher, template="no_such_template")
    assert not ReminderLog.objects.exists()
    assert not Notification.objects.exists()


def _ctx():
    return {"context": NOTICE, "url": "/onboarding/code-of-conduct/"}


# --- The beat job -----------------------------------------------------------------------


def test_the_beat_job_resends_only_old_unsent_emails(researcher):
    start = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)
    with frozen(start) as clock:
        old_unsent = _notice(researcher, heading="old unsent")
        old_sent = _notice(researcher, heading="old sent")
        notification_send_email(notification_id=old_sent.pk)
        given_up = _notice(researcher, heading="given up")
        Notification.objects.filter(pk=given_up.pk).update(email_attempts=tasks.MAX_EMAIL_ATTEMPTS)
        mail.outbox.clear()

        clock.shift(timedelta(minutes=9))
        recent = _notice(researcher, heading="recent")
        clock.shift(timedelta(minutes=2))  # old ones are 11 minutes old, recent is 2

        resent = tasks.notifications_resend_unsent()

    assert resent == 1
    assert [m.subject for m in mail.outbox] == ["old unsent"]
    recent.refresh_from_db()
    assert recent.email_sent_at is None
    old_unsent.refresh_from_db()
    assert old_unsent.email_sent_at == start + timedelta(minutes=11)


def test_the_beat_job_run_twice_sends_each_email_once(researcher):
    start = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)
    with frozen(start) as clock:
        _notice(researcher)
        clock.shift(timedelta(minutes=30))
        assert tasks.notifications_resend_unsent() == 1
        assert tasks.notifications_resend_unsent() == 0
    assert len(mail.outbox) == 1


def test_one_failing_email_does_not_stop_the_beat_job_sending_the_others(researcher, monkeypatch):
    bounced = UserFactory(email="bounces@example.org")
    real_send = EmailMultiAlternatives.send

    def send(self, fail_silently=False):
        if self.to == ["bounces@example.org"]:
            raise smtplib.SMTPRecipientsRefused({"bounces@example.org": (550, b"no such user")})
        return real_send(self, fail_silently)

    monkeypatch.setattr(EmailMultiAlternatives, "send", send)
    start = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)
    with frozen(start) as clock:
        failing = _notice(bounced)
        _notice(researcher)
        clock.shift(timedelta(minutes=11))
        assert tasks.notifications_resend_unsent() == 1

    assert [m.to for m in mail.outbox] == [[researcher.email]]
    failing.refresh_from_db()
    assert failing.email_sent_at is None
    assert failing.email_attempts >= 1


def test_the_beat_job_is_scheduled():
    schedule = settings.CELERY_BEAT_SCHEDULE["notifications-resend-unsent"]
    assert schedule["task"] == "portal.tasks.notifications_resend_unsent"
    assert tasks.notifications_resend_unsent.name == schedule["task"]


# --- Reading ----------------------------------------------------------------------------


def test_the_recipient_marks_a_notification_read(researcher):
    notification = _notice(researcher)
    when = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)
    with frozen(when):
        notification_mark_read(notification=notification, actor=researcher)
    notification.refresh_from_db()
    assert notification.read_at == when


def test_marking_someone_elses_notification_read_is_refused_and_changes_nothing(researcher):
    notification = _notice(researcher)
    other = UserFactory()

    with pytest.raises(PermissionRefused, match="your own notifications"):
        notification_mark_read(notification=notification, actor=other)

    notification.refresh_from_db()
    assert notification.read_at is None


def test_another_user_posting_mark_read_gets_404_and_changes_nothing(client, researcher):
    notification = _notice(researcher)
    other = UserFactory()
    client.force_login(other)

    response = client.post(reverse("notification-mark-read", args=[notification.pk]))

    assert response.status_code == 404
    notification.refresh_from_db()
    assert notification.read_at is None


def test_the_notification_admin_resends_only_unsent_emails_and_edits_nothing(client, researcher):
    admin_user = UserFactory(
        roles=[Role.PROGRAM_ADMIN], is_staff=True, is_superuser=True, two_factor=True
    )
    unsent = _notice(researcher, heading="unsent")
    sent = _notice(researcher, heading="sent")
    notification_send_email(notification_id=sent.pk)
    mail.outbox.clear()
    client.force_login(admin_user)

    response = client.post(
        reverse("admin:portal_notification_changelist"),
        {"action": "send_unsent_email_again", "_selected_action": [unsent.pk, sent.pk]},
    )

    assert response.status_code == 302
    assert [m.subject for m in mail.outbox] == ["unsent"]
    assert client.get(reverse("admin:portal_notification_add")).status_code == 403
    change = client.post(
        reverse("admin:portal_notification_change", args=[unsent.pk]), {"subject": "edited"}
    )
    assert change.status_code == 403
    unsent.refresh_from_db()
    assert unsent.subject == "unsent"
