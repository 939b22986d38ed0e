"""Run the daily eligibility re-check now (the beat job, without Celery or Redis)."""

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from portal.onboarding.services.access import access_recheck_all


def parse_day(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--date must be a date as YYYY-MM-DD, not {value!r}.") from exc


class Command(BaseCommand):
    help = (
        "Re-check the eligibility of every researcher and authorized biospecimen user "
        "against the current roster and every expiry, and record each change in the audit "
        "log. Safe to run more than once a day: a second run records nothing new."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--date",
            help="The program day to check as, YYYY-MM-DD (default: today in the program's "
            "time zone).",
        )
        parser.add_argument("--batch-size", type=int, default=1000, help="Users per batch.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1.")
        summary = access_recheck_all(
            today=parse_day(options["date"]), batch_size=options["batch_size"]
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Checked {summary.users} user(s) on {summary.today.isoformat()} in "
                f"{summary.batches} batch(es): {summary.became_eligible} became eligible, "
                f"{summary.became_ineligible} became not eligible."
            )
        )
