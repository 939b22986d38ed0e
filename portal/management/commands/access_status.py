"""For the help desk: one person's eligibility, requirement by requirement (policy 2.1).

Exit status: 0 eligible, 1 not eligible, 2 no user with that email address.
"""

import sys
from typing import Any

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from portal.models import User
from portal.onboarding.selectors import access_status_for, program_today

EXIT_NOT_ELIGIBLE = 1
EXIT_UNKNOWN_USER = 2
STATE_TEXT = {
    "complete": "complete",
    "expiring_soon": "expiring soon",
    "expired": "expired",
    "incomplete": "incomplete",
    "bypassed": "bypassed",
}


def _find_user(email: str) -> User | None:
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        address = EmailAddress.objects.filter(email__iexact=email).select_related("user").first()
        user = address.user if address is not None else None
    return user


class Command(BaseCommand):
    help = (
        "Print each eligibility requirement's state (label, state, last done, holds through, "
        "note) and the verdict for the person with this email address. Exits 0 when "
        "eligible, 1 when not eligible, 2 when no user has that address."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email", help="The person's login or other email address.")

    def handle(self, *args: Any, **options: Any) -> None:
        email = options["email"].strip()
        user = _find_user(email)
        if user is None:
            self.stderr.write(f"No user has the email address {email}.")
            sys.exit(EXIT_UNKNOWN_USER)
        today = program_today()
        status = access_status_for(user, today=today)
        self.stdout.write(
            f"Access status of {user.full_name or user.email} <{user.email}> "
            f"on {today:%Y-%m-%d} ({settings.TIME_ZONE})"
        )
        width = max(len(r.label) for r in status.requirements)
        for r in status.requirements:
            last = f"{r.last_done:%Y-%m-%d}" if r.last_done else "-"
            # The lapse day and the days to it, as the banner and the emails name them.
            days = r.days_left(today)
            expires = f"{r.lapses_on:%Y-%m-%d}" if r.lapses_on else "-"
            left = f" ({days} days left)" if days is not None and days > 0 else ""
            line = (
                f"  {r.label:<{width}}  {STATE_TEXT[r.state]:<13}  last done {last:<10}  "
                f"expires on {expires:<10}{left}"
            )
            if r.note:
                line += f"  {r.note}"
            self.stdout.write(line.rstrip())
        if status.eligible:
            self.stdout.write(self.style.SUCCESS("Verdict: eligible"))
            return
        self.stdout.write(self.style.ERROR("Verdict: not eligible"))
        self.stdout.flush()
        sys.exit(EXIT_NOT_ELIGIBLE)
