"""Demo users for trying the portal: one per role, refused wherever DEBUG is off."""

import re
import time
from io import StringIO

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.adapter import get_adapter as get_mfa_adapter
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import validate_totp_code
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import override_settings

from portal.models import User
from portal.roles import Role
from portal.services.demo import DEMO_USERS, demo_totp_secret

pytestmark = pytest.mark.django_db

DEMO_EMAILS = {demo.email for demo in DEMO_USERS}


@pytest.fixture(autouse=True)
def _portal_demo_only(monkeypatch):
    """These tests are about the users and their access states: the applications' and the
    board's demo data (seconds each run) have their own tests (tests/*/test_demo.py)."""
    monkeypatch.setattr("portal.management.commands.seed_demo.DEMO_SEEDERS", [])


def _seed() -> str:
    out = StringIO()
    with override_settings(DEBUG=True):
        call_command("seed_demo", stdout=out)
    return out.getvalue()


def _totp_secret(user: User) -> str:
    authenticator = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
    return get_mfa_adapter().decrypt(authenticator.data["secret"])


def _snapshot() -> dict[str, object]:
    users = User.objects.filter(email__in=DEMO_EMAILS)
    return {
        "users": sorted(users.values_list("pk", "email", "password")),
        "emails": sorted(
            EmailAddress.objects.filter(user__in=users).values_list("email", "verified", "primary")
        ),
        "authenticators": sorted(
            Authenticator.objects.filter(user__in=users).values_list("user_id", "type")
        ),
        "roles": sorted(users.values_list("email", "groups__name")),
        "secrets": sorted(_totp_secret(user) for user in users.filter(authenticator__type="totp")),
    }


def test_seed_demo_creates_one_user_per_role_with_the_shared_password():
    output = _seed()

    for role in Role:
        holders = User.objects.filter(email__in=DEMO_EMAILS, groups__name=role.value)
        assert holders.exists(), f"no demo user holds {role.label}"
    for demo in DEMO_USERS:
        user = User.objects.get(email=demo.email)
        assert user.check_password(settings.DEMO_PASSWORD)
        assert set(user.groups.values_list("name", flat=True)) == {r.value for r in demo.roles}
        assert user.is_superuser is demo.superuser
        assert demo.email in output
    assert settings.DEMO_PASSWORD in output


def test_seeded_demo_users_have_a_verified_primary_email():
    _seed()

    for demo in DEMO_USERS:
        address = EmailAddress.objects.get(email=demo.email)
        assert address.verified
        assert address.primary


def test_seeded_demo_users_have_an_authenticator_app_where_configured():
    _seed()

    for demo in DEMO_USERS:
        user = User.objects.get(email=demo.email)
        has_totp = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
        assert has_totp is demo.two_factor, demo.email
        if demo.two_factor:
            # A fixed secret, so that it can be added to an authenticator app once.
            assert _totp_secret(user) == demo_totp_secret(demo.email)
            assert Authenticator.objects.filter(
                user=user, type=Authenticator.Type.RECOVERY_CODES
            ).exists()


def test_seeding_twice_changes_nothing():
    _seed()
    first = _snapshot()

    _seed()

    assert _snapshot() == first


def test_seeding_keeps_a_password_the_demo_user_changed():
    _seed()
    user = User.objects.get(email="researcher@demo.example.org")
    user.set_password("a-new-password-chosen-by-the-tester")
    user.save()

    _seed()

    user.refresh_from_db()
    assert user.check_password("a-new-password-chosen-by-the-tester")


@override_settings(DEBUG=False)
def test_seed_demo_is_refused_when_debug_is_off():
    with pytest.raises(CommandError, match="DEBUG is off"):
        call_command("seed_demo", stdout=StringIO())

    assert not User.objects.filter(email__in=DEMO_EMAILS).exists()


def test_demo_totp_prints_a_six_digit_code_that_allauth_accepts():
    _seed()
    out = StringIO()
    # allauth accepts the current 30-second step only: do not start at its very end.
    remaining = 30 - time.time() % 30
    if remaining < 2:
        time.sleep(remaining + 0.1)

    with override_settings(DEBUG=True):
        call_command("demo_totp", "researcher@demo.example.org", stdout=out)

    code = out.getvalue().strip()
    assert re.fullmatch(r"\d{6}", code)
    user = User.objects.get(email="researcher@demo.example.org")
    assert validate_totp_code(_totp_secret(user), code)
    assert not validate_totp_code(_totp_secret(user), f"{(int(code) + 1) % 1_000_000:06d}")


@override_settings(DEBUG=False)
def test_demo_totp_is_refused_when_debug_is_off():
    with pytest.raises(CommandError, match="DEBUG is off"):
        call_command("demo_totp", "researcher@demo.example.org", stdout=StringIO())


def test_demo_totp_names_an_unknown_user():
    with override_settings(DEBUG=True), pytest.raises(CommandError, match="seed_demo"):
        call_command("demo_totp", "nobody@demo.example.org", stdout=StringIO())


def test_seed_demo_gives_researchers_every_access_state():
    from portal.onboarding.demo import (
        BYPASSED,
        ELIGIBLE,
        EXPIRED,
        EXPIRING,
        NEVER_STARTED,
    )
    from portal.onboarding.eligibility import Requirement, State
    from portal.onboarding.selectors import access_status_for

    _seed()
    status = {
        email: access_status_for(User.objects.get(email=email))
        for email in (*ELIGIBLE, NEVER_STARTED, EXPIRING, EXPIRED, BYPASSED)
    }

    assert all(status[email].eligible for email in ELIGIBLE)
    assert not status[NEVER_STARTED].eligible
    assert all(r.state == State.INCOMPLETE for r in status[NEVER_STARTED].requirements)
    expiring = status[EXPIRING].get(Requirement.CONTROLLED_TIER)
    assert status[EXPIRING].eligible
    assert expiring.state == State.EXPIRING_SOON
    assert status[EXPIRED].get(Requirement.CONTROLLED_TIER).state == State.EXPIRED
    assert not status[EXPIRED].eligible
    assert status[BYPASSED].get(Requirement.CONTROLLED_TIER).state == State.BYPASSED
    assert status[BYPASSED].eligible


def test_seeding_access_states_twice_adds_no_second_signature_or_review():
    from portal.models import CodeOfConductSignature, Consent, ProfileReview, RequirementBypass

    _seed()
    counts = [
        m.objects.count()
        for m in (CodeOfConductSignature, Consent, ProfileReview, RequirementBypass)
    ]
    _seed()
    assert [
        m.objects.count()
        for m in (CodeOfConductSignature, Consent, ProfileReview, RequirementBypass)
    ] == counts


def test_demo_totp_secret_prints_the_secret_an_authenticator_app_is_given():
    _seed()
    out = StringIO()
    with override_settings(DEBUG=True):
        call_command("demo_totp", "researcher@demo.example.org", "--secret", stdout=out)

    assert out.getvalue().strip() == demo_totp_secret("researcher@demo.example.org")


@pytest.mark.django_db(transaction=True)  # the emails leave after commit, as in `make run`
def test_seeding_prints_a_short_summary_not_the_demo_emails(capsys):
    console = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
    with override_settings(MAILERS=console):
        output = _seed()

    printed = capsys.readouterr().out
    assert "Subject:" not in printed
    assert "Subject:" not in output
    assert len(output.splitlines()) < 30


def test_seeding_leaves_a_published_version_waiting_to_be_made_current():
    from portal.models import CodeOfConductVersion

    _seed()

    standing = dict(CodeOfConductVersion.objects.values_list("version", "is_current"))
    assert standing == {"2026.1": True, "2027.1": False}
