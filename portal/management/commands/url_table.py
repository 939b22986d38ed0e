"""Print the URL permission table that docs/urls.md publishes."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from portal.url_permissions import url_table_markdown


class Command(BaseCommand):
    help = (
        "Print every URL with who may open it, as Markdown. --write PATH writes it to a file "
        "(docs/urls.md)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--write", metavar="PATH", help="Write the table to this file.")

    def handle(self, *args: Any, **options: Any) -> None:
        text = url_table_markdown()
        if options["write"]:
            Path(options["write"]).write_text(text, encoding="utf-8")
            self.stdout.write(f"Wrote {options['write']}.")
        else:
            self.stdout.write(text, ending="")
