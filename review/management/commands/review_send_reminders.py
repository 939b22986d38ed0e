"""Send the day's review reminders (what beat's review_reminders_daily does)."""

from typing import Any

from django.core.management.base import BaseCommand

from portal.clock import program_today
from review.services import review_reminders_send


class Command(BaseCommand):
    help = "Remind reviewers whose score sheets are due in three days or overdue (each once)."

    def handle(self, *args: Any, **options: Any) -> None:
        sent = review_reminders_send(today=program_today())
        self.stdout.write(f"{sent} reminder{'s' if sent != 1 else ''} sent.")
