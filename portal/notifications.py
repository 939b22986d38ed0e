"""Notifications: one place renders an email pair and writes the in-app notification.

Emails leave from a Celery task queued after the transaction commits, so a rolled-back
change never sends mail. Scheduled reminders go through `reminder_send_once`, whose unique
key makes a job that runs twice send once.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template import Context, TemplateDoesNotExist
from django.template.base import Template as DjangoTemplate
from django.template.loader import get_template, render_to_string
from django.utils import timezone

from portal.facts import user_facts_changed
from portal.models import Notification, ReminderLog, User
from portal.permissions import ensure_can

logger = logging.getLogger(__name__)


def _render_plain(name: str, context: dict[str, Any]) -> str:
    """Render a plain-text template without HTML escaping: an apostrophe in a name or a
    project title must reach the reader as itself, not as &#x27;."""
    template: DjangoTemplate = get_template(name).template  # type: ignore[attr-defined]
    return template.render(Context(context, autoescape=False))


def _render(template: str, context: dict[str, Any]) -> tuple[str, str, str, str]:
    """Render templates/emails/<template>_subject.txt, .txt and .html, and the one-line
    summary the portal's list of notices shows (<template>_summary.txt, else the subject)."""
    full = {"portal_name": settings.PORTAL_NAME, "site_url": settings.SITE_URL, **context}
    subject = " ".join(_render_plain(f"emails/{template}_subject.txt", full).split())
    text = _render_plain(f"emails/{template}.txt", full).strip() + "\n"
    html = render_to_string(f"emails/{template}.html", full)
    try:
        summary = " ".join(_render_plain(f"emails/{template}_summary.txt", full).split())
    except TemplateDoesNotExist:
        summary = subject
    return subject, text, html, summary[:300]


def _queue_email(notification_id: int) -> None:
    from portal.tasks import notification_send_email

    notification_send_email.delay(notification_id=notification_id)


# Notifications written inside `emails_queued_in_bulk` whose transaction has committed.
_bulk: ContextVar[list[int] | None] = ContextVar("portal_bulk_emails", default=None)
BULK_EMAILS_PER_TASK = 500


@contextmanager
def emails_queued_in_bulk() -> Iterator[None]:
    """Queue the emails of the notifications written inside, once committed, as a few
    tasks of up to BULK_EMAILS_PER_TASK each instead of one task per email: a night of
    5,000 reminders puts ten messages on the broker, not 5,000. Each email is still sent
    at most once (`notification_send_email` locks its row), and one that could not be
    queued is picked up by `notifications_resend_unsent`. Use it around work that commits
    its own transactions (a batch job), not inside a transaction that is still open.
    """
    if _bulk.get() is not None:  # already collecting: the outer block queues them
        yield
        return
    pending: list[int] = []
    token = _bulk.set(pending)
    try:
        yield
    finally:
        _bulk.reset(token)
        # Inside a transaction still open, the notifications' ids are only known once it
        # commits: queue them then, after the callbacks that collect them.
        transaction.on_commit(lambda: _queue_in_bulk(pending), robust=True)


def _queue_in_bulk(ids: list[int]) -> None:
    from portal.tasks import notification_send_emails

    for start in range(0, len(ids), BULK_EMAILS_PER_TASK):
        chunk = ids[start : start + BULK_EMAILS_PER_TASK]
        try:
            notification_send_emails.delay(notification_ids=chunk)
        except Exception:  # noqa: BLE001  # broker down: the resend job queues them again later
            logger.warning("Queueing %d emails failed; they will be retried.", len(chunk))


# No savepoint of its own inside a caller's transaction: a failure here fails the caller's
# change anyway, and a reminder night saves two statements a message.
@transaction.atomic(savepoint=False)
def notify(
    *, user: User, template: str, context: dict[str, Any] | None = None, url: str = ""
) -> Notification:
    """Write an in-app notification for `user` and queue its email after commit.

    Any service may call this inside its own transaction: if that transaction rolls back,
    neither the notification nor the email exists. A failure to queue the email (broker
    down) does not fail the change that caused it; the beat job
    notifications_resend_unsent picks the email up later.
    """
    subject, text, html, summary = _render(template, {"user": user, "url": url, **(context or {})})
    notification = Notification.objects.create(
        user=user,
        template=template,
        subject=subject,
        summary=summary,
        body_text=text,
        body_html=html,
        url=url,
    )
    pending = _bulk.get()
    if pending is None:
        transaction.on_commit(lambda: _queue_email(notification.pk), robust=True)
    else:  # queued with the others when `emails_queued_in_bulk` ends
        transaction.on_commit(lambda: pending.append(notification.pk), robust=True)
    return notification


def reminder_send_once(
    *,
    key: str,
    user: User,
    template: str,
    context: dict[str, Any] | None = None,
    url: str = "",
) -> Notification | None:
    """Send a scheduled reminder unless one with this key was already sent.

    The key names what is reminded, to whom and for which due date. Returns None when the
    reminder had already gone out. Safe to run twice, or in two workers at once: the
    unique key lets one of them through.
    """
    if ReminderLog.objects.filter(key=key).exists():
        return None
    try:
        with transaction.atomic():
            notification = notify(user=user, template=template, context=context, url=url)
            ReminderLog.objects.create(key=key, user=user, notification=notification)
    except IntegrityError:
        # Another run took the key between the check and the insert: its notice stands,
        # ours (and its queued email) is rolled back with the key.
        return None
    return notification


def notification_send_email(*, notification_id: int) -> bool:
    """Send one notification's email; a notification already sent is not sent again.

    Called by the Celery task. The row stays locked while the message is handed to the
    mail server so that two workers never both send it. A failed attempt is counted
    (so the beat job gives up after a few) and the error is raised for Celery to retry.
    """
    try:
        with transaction.atomic():
            notification = (
                Notification.objects.select_for_update()
                .select_related("user")
                .filter(pk=notification_id, email_sent_at__isnull=True)
                .first()
            )
            if notification is None:
                return False
            message = EmailMultiAlternatives(
                subject=notification.subject,
                body=notification.body_text,
                to=[notification.user.email],
            )
            message.attach_alternative(notification.body_html, "text/html")
            message.send()
            notification.email_attempts += 1
            notification.email_sent_at = timezone.now()
            notification.save(update_fields=["email_sent_at", "email_attempts"])
    except Exception:
        Notification.objects.filter(pk=notification_id, email_sent_at__isnull=True).update(
            email_attempts=F("email_attempts") + 1
        )
        logger.warning("Sending the email of notification %s failed.", notification_id)
        raise
    return True


def notification_mark_read(*, notification: Notification, actor: User) -> Notification:
    """The recipient marks a notification read.

    Only the recipient may; anyone else is refused and nothing changes. Not audited: it
    changes no record the policy governs.
    """
    ensure_can(actor, "notification.mark_read", notification)
    if notification.read_at is None:
        now = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=now)
        user_facts_changed([notification.user_id])  # the unread count
        notification.refresh_from_db(fields=["read_at"])
    return notification
