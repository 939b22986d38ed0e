from typing import Any

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from portal.models import User
from portal.services.demo import current_totp_code, totp_secret


class Command(BaseCommand):
    help = "Print a demo user's current two-factor (TOTP) code. Refused when DEBUG is off."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email", help="The demo user's email address.")
        parser.add_argument(
            "--secret",
            action="store_true",
            help="Print the TOTP secret (base32) instead, to add to an authenticator app once.",
        )

    def handle(self, *args: object, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("demo_totp is refused when DEBUG is off.")
        user = User.objects.filter(email__iexact=options["email"]).first()
        if user is None:
            raise CommandError(f"No user {options['email']}. Run `manage.py seed_demo` first.")
        try:
            self.stdout.write(totp_secret(user) if options["secret"] else current_totp_code(user))
        except Authenticator.DoesNotExist as exc:
            raise CommandError(f"{user.email} has no authenticator app set up.") from exc
