"""Thin Celery tasks around the review services."""

from celery import shared_task

from portal.clock import program_today
from review.services import review_reminders_send


@shared_task
def review_reminders_daily() -> int:
    """Reviews due in three days and overdue: each reminder sent once (keyed)."""
    return review_reminders_send(today=program_today())
