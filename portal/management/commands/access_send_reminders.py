"""Send today's access expiry reminders now (the beat job, without Redis)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from portal.management.commands.access_recheck import parse_day
from portal.onboarding.services.access import access_send_reminders


class Command(BaseCommand):
    help = (
        "Send the reminders due 30, 15, 7 and 1 days before each eligible researcher's "
        "earliest expiry and one notice for each requirement that has just expired. Each "
        "message goes at most once: a second run on the same day sends nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--date",
            help="The program day to send for, YYYY-MM-DD (default: today in the program's "
            "time zone).",
        )
        parser.add_argument("--batch-size", type=int, default=1000, help="Users per batch.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1.")
        summary = access_send_reminders(
            today=parse_day(options["date"]), batch_size=options["batch_size"]
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Checked {summary.users} user(s) on {summary.today.isoformat()}: "
                f"{summary.reminders_sent} reminder(s) sent."
            )
        )
