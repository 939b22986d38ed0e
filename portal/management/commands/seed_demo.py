from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from portal.demo import DEMO_USERS, seed_demo_users


class Command(BaseCommand):
    help = "Load demo users (one per role) and demo data. Refused when DEBUG is off."

    def handle(self, *args: object, **options: object) -> None:
        if not settings.DEBUG:
            raise CommandError(
                "seed_demo is refused when DEBUG is off: demo accounts have published "
                "passwords. Run it only on a local development copy (DEBUG=true)."
            )
        seed_demo_users()
        self.stdout.write(self.style.SUCCESS(f"Demo data ready: {len(DEMO_USERS)} users."))
        self.stdout.write(f"Password for every demo user: {settings.DEMO_PASSWORD}")
        for demo in DEMO_USERS:
            roles = ", ".join(role.label for role in demo.roles)
            self.stdout.write(f"  {demo.email:34} {roles}")
        self.stdout.write("Two-factor code for a demo user: python manage.py demo_totp EMAIL")
