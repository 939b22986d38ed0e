"""Thin Celery tasks around the portal's services."""

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from portal import notifications
from portal.models import Notification

MAX_EMAIL_ATTEMPTS = 5


@shared_task(
    autoretry_for=(OSError,), retry_backoff=30, retry_kwargs={"max_retries": MAX_EMAIL_ATTEMPTS}
)
def notification_send_email(*, notification_id: int) -> bool:
    return notifications.notification_send_email(notification_id=notification_id)


@shared_task
def notifications_resend_unsent() -> int:
    """Beat job: queue again any email that has not left ten minutes after it was written."""
    cutoff = timezone.now() - timedelta(minutes=10)
    ids = list(
        Notification.objects.filter(
            email_sent_at__isnull=True, created_at__lt=cutoff, email_attempts__lt=MAX_EMAIL_ATTEMPTS
        ).values_list("pk", flat=True)[:500]
    )
    for pk in ids:
        notification_send_email.delay(notification_id=pk)
    return len(ids)
