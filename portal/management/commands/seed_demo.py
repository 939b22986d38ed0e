from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.test.utils import override_settings

from portal.onboarding.demo import ACCESS_STATE_NOTES, seed_demo_access
from portal.services.demo import DEMO_SEEDERS, DEMO_USERS, seed_demo_users

_QUIET_MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}


class Command(BaseCommand):
    help = "Load demo users (one per role) and demo data. Refused when DEBUG is off."

    def handle(self, *args: object, **options: object) -> None:
        if not settings.DEBUG:
            raise CommandError(
                "seed_demo is refused when DEBUG is off: demo accounts have published "
                "passwords. Run it only on a local development copy (DEBUG=true)."
            )
        # The demo's notices stay in the portal (each user's notifications page); their
        # emails are kept in memory rather than printed over the seeding summary.
        with override_settings(MAILERS=_QUIET_MAILERS):
            users = {user.email: user for user in seed_demo_users()}
            seed_demo_access(users)
            notes = [line for seeder in DEMO_SEEDERS for line in seeder(users)]
        self.stdout.write(self.style.SUCCESS(f"Demo data ready: {len(DEMO_USERS)} users."))
        self.stdout.write(f"Password for every demo user: {settings.DEMO_PASSWORD}")
        for demo in DEMO_USERS:
            roles = ", ".join(role.label for role in demo.roles)
            note = ACCESS_STATE_NOTES.get(demo.email)
            self.stdout.write(f"  {demo.email:38} {roles}" + (f" ({note})" if note else ""))
        for line in notes:
            self.stdout.write(f"  {line}")
        self.stdout.write("Two-factor code for a demo user: make totp EMAIL=<email>")
