"""Thin Celery tasks around the portal's services."""

import logging
from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from portal import notifications
from portal.models import Notification

MAX_EMAIL_ATTEMPTS = 5

logger = logging.getLogger(__name__)


@shared_task(
    autoretry_for=(OSError,), retry_backoff=30, retry_kwargs={"max_retries": MAX_EMAIL_ATTEMPTS}
)
def notification_send_email(*, notification_id: int) -> bool:
    return notifications.notification_send_email(notification_id=notification_id)


@shared_task
def notification_send_emails(*, notification_ids: list[int]) -> int:
    """Send the emails of a batch of notifications (queued in bulk by a nightly job); one
    that fails is left for notifications_resend_unsent, the rest still go. Returns how
    many were sent."""
    sent = 0
    for pk in notification_ids:
        try:
            sent += notifications.notification_send_email(notification_id=pk)
        except Exception:  # noqa: BLE001  # one bad address must not hold back the rest
            logger.warning("The email of notification %s was not sent; it will be retried.", pk)
    return sent


@shared_task
def notifications_resend_unsent() -> int:
    """Beat job: queue again any email that has not left ten minutes after it was written."""
    cutoff = timezone.now() - timedelta(minutes=10)
    ids = list(
        Notification.objects.filter(
            email_sent_at__isnull=True, created_at__lt=cutoff, email_attempts__lt=MAX_EMAIL_ATTEMPTS
        )
        .order_by("created_at", "id")
        .values_list("pk", flat=True)[:500]
    )
    queued = 0
    for pk in ids:
        # One bad address (or, with eager tasks, one failing send) must not hold back the rest.
        try:
            notification_send_email.delay(notification_id=pk)
        except Exception:  # one bad address must not hold back the rest
            logger.exception("Could not send or queue the email of notification %s.", pk)
        else:
            queued += 1
    return queued
