"""Print the permission and lifecycle tables that docs/permissions.md publishes."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from portal.lifecycles import permissions_markdown


class Command(BaseCommand):
    help = (
        "Print every action with the roles that may take it, and every lifecycle's "
        "(state, action, role) table, as Markdown. --write PATH writes it to a file "
        "(docs/permissions.md)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--write", metavar="PATH", help="Write the tables to this file.")

    def handle(self, *args: Any, **options: Any) -> None:
        text = permissions_markdown()
        if options["write"]:
            Path(options["write"]).write_text(text, encoding="utf-8")
            self.stdout.write(f"Wrote {options['write']}.")
        else:
            self.stdout.write(text, ending="")
