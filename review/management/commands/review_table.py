"""Print the board's lifecycle table, or write it into docs/review.md."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from review.lifecycle import replace_table, review_table_markdown


class Command(BaseCommand):
    help = "Print the (state, action, role) table of board review, or --write it into a file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--write", metavar="PATH", help="Replace the table in this file.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["write"]:
            path = Path(options["write"])
            path.write_text(replace_table(path.read_text(encoding="utf-8")), encoding="utf-8")
            self.stdout.write(f"Wrote the table into {path}.")
        else:
            self.stdout.write(review_table_markdown())
