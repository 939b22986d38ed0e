"""Demo users for trying the portal locally. Never loaded where DEBUG is off."""

from collections.abc import Callable
from dataclasses import dataclass

from allauth.account.models import EmailAddress
from allauth.mfa.adapter import get_adapter as get_mfa_adapter
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from portal.models import User
from portal.roles import Role
from portal.services.users import user_set_roles

# Apps built on the portal add their demo data here (the portal may not import them): each
# seeder takes the demo users by email and returns lines for seed_demo's summary.
DEMO_SEEDERS: list[Callable[[dict[str, User]], list[str]]] = []


def register_demo_seeder(seeder: Callable[[dict[str, User]], list[str]]) -> None:
    if seeder not in DEMO_SEEDERS:
        DEMO_SEEDERS.append(seeder)


@dataclass(frozen=True)
class DemoUser:
    email: str
    full_name: str
    roles: tuple[Role, ...]
    two_factor: bool
    superuser: bool = False


DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("researcher@demo.example.org", "Rosa Researcher", (Role.RESEARCHER,), True),
    DemoUser("teammember@demo.example.org", "Tomas Teammember", (Role.AUTHORIZED_USER,), True),
    DemoUser("prab.member@demo.example.org", "Priya Reviewer", (Role.PRAB_MEMBER,), True),
    DemoUser(
        "prab.chair@demo.example.org", "Charles Chair", (Role.PRAB_MEMBER, Role.PRAB_CHAIR), True
    ),
    # The rest of the board, so that a review can have a participant representative, an
    # ELSI member and a recusal (review/demo.py gives them their expertise).
    DemoUser("prab.elsi@demo.example.org", "Elena Ethicist", (Role.PRAB_MEMBER,), True),
    DemoUser("prab.participant@demo.example.org", "Pat Participant", (Role.PRAB_MEMBER,), True),
    DemoUser("prab.community@demo.example.org", "Cory Community", (Role.PRAB_MEMBER,), True),
    DemoUser("prab.scientist@demo.example.org", "Sam Scientist", (Role.PRAB_MEMBER,), True),
    DemoUser("rab.member@demo.example.org", "Ruth Board", (Role.RAB_MEMBER,), True),
    DemoUser("biobank@demo.example.org", "Bea Biobank", (Role.BIOBANK_STAFF,), True),
    DemoUser("biobank2@demo.example.org", "Ben Biobank", (Role.BIOBANK_STAFF,), True),
    DemoUser("drc@demo.example.org", "Dana DRC", (Role.DRC_STAFF,), True),
    DemoUser("auditor@demo.example.org", "Aldo Auditor", (Role.AUDITOR,), True),
    DemoUser("admin@demo.example.org", "Ada Admin", (Role.PROGRAM_ADMIN,), True, superuser=True),
    # Researchers in each access state (portal/onboarding/demo.py gives them their records).
    DemoUser("new.researcher@demo.example.org", "Nia Newcomer", (Role.RESEARCHER,), False),
    DemoUser("expiring.researcher@demo.example.org", "Eli Expiring", (Role.RESEARCHER,), True),
    DemoUser("expired.researcher@demo.example.org", "Edda Expired", (Role.RESEARCHER,), True),
    DemoUser("bypassed.researcher@demo.example.org", "Bo Bypassed", (Role.RESEARCHER,), True),
)


def demo_totp_secret(email: str) -> str:
    """A fixed base32 secret per demo user, so the demo code can be printed at any time."""
    import base64
    import hashlib

    digest = hashlib.sha256(f"demo-totp:{email}".encode()).digest()[:20]
    return base64.b32encode(digest).decode()


def totp_secret(user: User) -> str:
    """The user's TOTP secret (base32), as an authenticator app would be given it."""
    authenticator = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
    return str(get_mfa_adapter().decrypt(authenticator.data["secret"]))


def current_totp_code(user: User) -> str:
    """The code an authenticator app would show now for the user's TOTP secret."""
    counter = int(timezone.now().timestamp()) // 30
    return str(format_hotp_value(hotp_value(totp_secret(user), counter)))


@transaction.atomic
def seed_demo_users() -> list[User]:
    """Create or refresh the demo users; running it twice changes nothing the second time."""
    if not settings.DEBUG:
        raise RuntimeError("Demo data is refused when DEBUG is off.")
    users = []
    for demo in DEMO_USERS:
        user, created = User.objects.get_or_create(
            email=demo.email,
            defaults={
                "full_name": demo.full_name,
                "is_staff": demo.superuser,
                "is_superuser": demo.superuser,
            },
        )
        if created:
            user.set_password(settings.DEMO_PASSWORD)
            user.save(update_fields=["password"])
        EmailAddress.objects.update_or_create(
            user=user, email=demo.email, defaults={"verified": True, "primary": True}
        )
        user_set_roles(user=user, roles=demo.roles, actor=None)
        if (
            demo.two_factor
            and not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
        ):
            TOTP.activate(user, demo_totp_secret(demo.email))
            RecoveryCodes.activate(user)
        users.append(user)
    return users
