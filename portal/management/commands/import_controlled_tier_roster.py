"""Import the Researcher Workbench's Controlled Tier roster from a CSV file."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from portal.errors import DomainError
from portal.onboarding.roster_files import CsvRosterSource, RosterInvalid
from portal.onboarding.services.roster import RosterDropNeedsConfirmation, roster_import


class Command(BaseCommand):
    help = (
        "Import a Controlled Tier roster (CSV with the header "
        "email,workbench_username,access_expires_on; dates as YYYY-MM-DD) and make it the "
        "roster eligibility is checked against. A file with any bad line imports nothing: "
        "every bad line is printed with its number and the reason, and the command exits 1. "
        "A roster that drops more than ROSTER_DROP_CONFIRM_SHARE of the current entries is "
        "left for review unless --confirm-drop gives the reason."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="Path to the roster CSV file.")
        parser.add_argument(
            "--confirm-drop",
            metavar="REASON",
            default="",
            help="Put the roster in force even though it drops many entries, and say why "
            "(kept in the audit log).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No roster file at {path}; check the path and try again.")
        try:
            imported = roster_import(
                source=CsvRosterSource(path), actor=None, drop_reason=options["confirm_drop"]
            )
        except RosterInvalid as invalid:
            for problem in invalid.problems:
                self.stderr.write(str(problem))
            raise CommandError(invalid.message) from invalid
        except RosterDropNeedsConfirmation as refused:
            raise CommandError(
                f"{refused.message} Nothing changed: the roster is staged for review on the "
                'roster page. To put it in force from here, run again with --confirm-drop "REASON".'
            ) from refused
        except DomainError as refused:
            raise CommandError(refused.message) from refused
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {imported.row_count} roster entr"
                f"{'y' if imported.row_count == 1 else 'ies'} from {imported.source} "
                f"(SHA-256 {imported.sha256}); it is now the current roster."
            )
        )
