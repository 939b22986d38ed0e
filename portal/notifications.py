"""Notifications: one place renders an email pair and writes the in-app notification.

Emails leave from a Celery task queued after the transaction commits, so a rolled-back
change never sends mail. Scheduled reminders go through `reminder_send_once`, whose unique
key makes a job that runs twice send once.
"""

from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from portal.models import Notification, ReminderLog, User


def _render(template: str, context: dict[str, Any]) -> tuple[str, str, str]:
    """Render templates/emails/<template>_subject.txt, .txt and .html."""
    full = {"portal_name": settings.PORTAL_NAME, "site_url": settings.SITE_URL, **context}
    subject = " ".join(render_to_string(f"emails/{template}_subject.txt", full).split())
    text = render_to_string(f"emails/{template}.txt", full)
    html = render_to_string(f"emails/{template}.html", full)
    return subject, text, html


@transaction.atomic
def notify(
    *, user: User, template: str, context: dict[str, Any] | None = None, url: str = ""
) -> Notification:
    """Write an in-app notification for `user` and queue its email after commit."""
    from portal.tasks import notification_send_email

    subject, text, html = _render(template, {"user": user, "url": url, **(context or {})})
    notification = Notification.objects.create(
        user=user, template=template, subject=subject, body_text=text, body_html=html, url=url
    )
    transaction.on_commit(lambda: notification_send_email.delay(notification_id=notification.pk))
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
    reminder had already gone out.
    """
    try:
        with transaction.atomic():
            log = ReminderLog.objects.create(key=key, user=user)
            notification = notify(user=user, template=template, context=context, url=url)
            log.notification = notification
            log.save(update_fields=["notification"])
    except IntegrityError:
        return None
    return notification


def notification_send_email(*, notification_id: int) -> bool:
    """Send one notification's email; a notification already sent is not sent again."""
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update()
            .select_related("user")
            .filter(pk=notification_id, email_sent_at__isnull=True)
            .first()
        )
        if notification is None:
            return False
        notification.email_attempts += 1
        message = EmailMultiAlternatives(
            subject=notification.subject,
            body=notification.body_text,
            to=[notification.user.email],
        )
        message.attach_alternative(notification.body_html, "text/html")
        message.send()
        notification.email_sent_at = timezone.now()
        notification.save(update_fields=["email_sent_at", "email_attempts"])
    return True


def notification_mark_read(*, notification: Notification, actor: User) -> Notification:
    """The recipient marks a notification read (not audited: it changes no record of policy)."""
    if notification.user_id != actor.pk:
        raise PermissionError("Only the recipient can mark a notification read.")
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification
