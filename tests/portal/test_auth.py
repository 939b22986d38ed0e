"""Sign-up, sign-in with two-factor, lockout, password reset and the staff two-factor gate."""

import re
from urllib.parse import urlsplit

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from portal.models import AuditEvent, User
from portal.roles import Role
from tests.factories import TEST_PASSWORD, UserFactory, totp_secret
from tests.helpers import frozen

pytestmark = pytest.mark.django_db

PHRASE = "a-long-pass-phrase-9"


def current_code(user: User) -> str:
    return format_hotp_value(hotp_value(totp_secret(user), int(timezone.now().timestamp()) // 30))


def login(client, email: str, password: str = TEST_PASSWORD, ip: str = "198.51.100.7"):
    return client.post(
        reverse("account_login"), {"login": email, "password": password}, REMOTE_ADDR=ip
    )


def test_signup_sends_a_verification_email_and_grants_the_researcher_role(client):
    response = client.post(
        reverse("account_signup"),
        {
            "email": "new.person@example.org",
            "full_name": "  Nia   Newcomer ",
            "password1": "a-long-pass-phrase-9",
            "password2": "a-long-pass-phrase-9",
        },
    )
    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    user = User.objects.get(email="new.person@example.org")
    assert user.has_role(Role.RESEARCHER)
    assert user.full_name == "Nia Newcomer"
    assert not EmailAddress.objects.get(user=user).verified
    assert len(mail.outbox) == 1
    assert "new.person@example.org" in mail.outbox[0].to
    event = AuditEvent.objects.get(action="user.signup")
    assert event.target_id == str(user.pk)
    assert event.after["full_name"] == "Nia Newcomer"


def test_signup_asks_for_the_full_name_and_keeps_what_was_typed(client):
    response = client.post(
        reverse("account_signup"),
        {"email": "no.name@example.org", "password1": "a-long-pass-phrase-9"},
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "Enter your full name, for example Nia Newcomer." in html
    assert 'value="no.name@example.org"' in html
    assert not User.objects.filter(email="no.name@example.org").exists()


def test_unverified_account_cannot_reach_the_dashboard(client):
    UserFactory(email="unverified@example.org", verified_email=False)
    EmailAddress.objects.create(
        user=User.objects.get(email="unverified@example.org"),
        email="unverified@example.org",
        verified=False,
        primary=True,
    )
    response = login(client, "unverified@example.org")
    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    assert client.get(reverse("dashboard")).status_code == 302


def test_email_confirmation_link_verifies_and_signs_in(client):
    client.post(
        reverse("account_signup"),
        {
            "email": "confirm.me@example.org",
            "full_name": "Con Firm",
            "password1": "a-long-pass-phrase-9",
            "password2": "a-long-pass-phrase-9",
        },
    )
    link = re.search(r"https?://[^\s]+/accounts/confirm-email/[^\s]+/", mail.outbox[0].body).group(
        0
    )
    # The link is on the configured SITE_URL, whatever host the request came through.
    assert link.startswith(settings.SITE_URL)
    path = urlsplit(link).path
    response = client.post(path)
    assert response.status_code == 302
    assert EmailAddress.objects.get(email="confirm.me@example.org").verified
    # Signed in: the dashboard sends the new researcher to their access requirements, not
    # to the sign-in page.
    page = client.get(reverse("dashboard"), follow=True)
    assert page.status_code == 200
    assert page.redirect_chain[-1][0] == reverse("access-requirements")
    assert page.context["user"].email == "confirm.me@example.org"


def test_login_with_a_second_factor_reaches_the_dashboard(client, eligible_researcher):
    response = login(client, eligible_researcher.email)
    assert response.status_code == 302
    assert response.url == reverse("mfa_authenticate")
    # The password alone does not sign in.
    assert client.get(reverse("dashboard")).status_code == 302
    response = client.post(reverse("mfa_authenticate"), {"code": current_code(eligible_researcher)})
    assert response.status_code == 302
    page = client.get(reverse("dashboard"), follow=True)
    assert page.status_code == 200
    assert b"Researcher dashboard" in page.content


def test_wrong_second_factor_code_is_refused(client, researcher):
    login(client, researcher.email)
    response = client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert response.status_code == 200
    assert "Incorrect code." in response.content.decode()
    refused = client.get(reverse("dashboard"))
    assert refused.status_code == 302
    assert refused.url.startswith(reverse("account_login"))


def test_recovery_code_signs_in_when_the_authenticator_is_lost(client, researcher):
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

    codes = RecoveryCodes.activate(researcher).get_unused_codes()
    login(client, researcher.email)
    client.post(reverse("mfa_authenticate"), {"code": codes[0]})
    page = client.get(reverse("dashboard"), follow=True)
    assert page.status_code == 200
    assert page.redirect_chain[-1][0] == reverse("access-requirements")
    assert page.context["user"] == researcher
    authenticator = Authenticator.objects.get(
        user=researcher, type=Authenticator.Type.RECOVERY_CODES
    )
    assert codes[0] not in RecoveryCodes(authenticator).get_unused_codes()


def test_repeated_failures_lock_that_account_from_that_address_only(client, settings):
    user = UserFactory(email="target@example.org")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, user.email, password="wrong-password", ip="203.0.113.9")
    locked = login(client, user.email, ip="203.0.113.9")
    assert locked.status_code == 429
    assert b"Too many failed" in locked.content or b"too many failed" in locked.content.lower()
    # The real user, signing in from elsewhere, is not locked out by the attacker.
    client.logout()
    elsewhere = login(client, user.email, ip="192.0.2.44")
    assert elsewhere.status_code == 302
    assert elsewhere.url != reverse("account_login")


def test_lockout_lifts_by_itself_after_the_cool_off(client, settings):
    user = UserFactory(email="cooloff@example.org")
    with frozen(timezone.now()) as clock:
        for _ in range(settings.AXES_FAILURE_LIMIT):
            login(client, user.email, password="wrong-password")
        assert login(client, user.email).status_code == 429
        clock.shift(settings.AXES_COOLOFF_TIME.total_seconds() + 1)
        response = login(client, user.email)
    assert response.status_code == 302


def test_password_reset_sends_a_link_without_revealing_whether_the_account_exists(client):
    UserFactory(email="forgetful@example.org")
    known = client.post(reverse("account_reset_password"), {"email": "forgetful@example.org"})
    unknown = client.post(reverse("account_reset_password"), {"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 302
    assert known.url == unknown.url
    reset_mails = [m for m in mail.outbox if "forgetful@example.org" in m.to]
    assert len(reset_mails) == 1
    assert "/accounts/password/reset/key/" in reset_mails[0].body


@pytest.mark.parametrize(
    "role",
    [
        Role.PRAB_MEMBER,
        Role.PRAB_CHAIR,
        Role.RAB_MEMBER,
        Role.BIOBANK_STAFF,
        Role.DRC_STAFF,
        Role.AUDITOR,
        Role.PROGRAM_ADMIN,
    ],
)
def test_staff_role_without_two_factor_is_sent_to_set_it_up(client, role):
    staff = UserFactory(roles=[role], two_factor=False)
    assert login(client, staff.email).status_code == 302
    response = client.get(reverse("role-dashboard", args=[role.value]))
    assert response.status_code == 302
    assert response.url == reverse("mfa_activate_totp")
    # Setting up an authenticator is a sensitive action: the password is asked again first.
    setup = client.get(reverse("mfa_activate_totp"))
    assert setup.status_code == 302
    assert setup.url.startswith(reverse("account_reauthenticate"))


def test_staff_with_two_factor_opens_their_dashboard(client, biobank_staff):
    client.force_login(biobank_staff)
    response = client.get(reverse("role-dashboard", args=[Role.BIOBANK_STAFF.value]))
    assert response.status_code == 200
    assert "<h1>Biobank dashboard</h1>" in response.content.decode()


def test_researcher_without_two_factor_is_not_forced_by_the_staff_gate(client):
    researcher = UserFactory(roles=[Role.RESEARCHER], two_factor=False)
    client.force_login(researcher)
    # Not sent to set up an authenticator: sent to the access requirements, where two-factor
    # is one requirement among the others.
    response = client.get(reverse("role-dashboard", args=[Role.RESEARCHER.value]))
    assert response.status_code == 302
    assert response.url == reverse("access-requirements")


def test_staff_can_turn_on_two_factor_and_then_use_the_portal(client):
    staff = UserFactory(roles=[Role.AUDITOR], two_factor=False)
    login(client, staff.email)
    client.post(reverse("account_reauthenticate"), {"password": TEST_PASSWORD})
    page = client.get(reverse("mfa_activate_totp"))
    secret = page.context["form"].secret
    code = format_hotp_value(hotp_value(secret, int(timezone.now().timestamp()) // 30))
    response = client.post(reverse("mfa_activate_totp"), {"code": code})
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=staff, type=Authenticator.Type.TOTP).exists()
    assert client.get(reverse("role-dashboard", args=[Role.AUDITOR.value])).status_code == 200


def test_sessions_end_after_thirty_idle_minutes(settings):
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    # Renewed by SessionIdleRefreshMiddleware at most once a minute, not on every request.
    assert settings.SESSION_SAVE_EVERY_REQUEST is False
    assert "portal.middleware.SessionIdleRefreshMiddleware" in settings.MIDDLEWARE
    assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.cached_db"


def _session_writes(client, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return sum(
        1
        for q in captured.captured_queries
        if "django_session" in q["sql"]
        and q["sql"].lstrip().upper().startswith(("UPDATE", "INSERT"))
    )


def test_a_plain_page_view_writes_no_session_row(client, researcher):
    with frozen(timezone.now()) as clock:
        client.force_login(researcher)
        first = _session_writes(client, reverse("notifications"))  # renews the expiry
        clock.shift(20)
        again = _session_writes(client, reverse("notifications"))
        clock.shift(30)
        still = _session_writes(client, reverse("notifications"))

    assert first == 1
    assert again == still == 0


def test_a_plain_page_view_reads_the_session_from_the_cache_not_the_database(client, researcher):
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(researcher)
    client.get(reverse("notifications"))
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse("notifications")).status_code == 200
    assert not [q for q in captured.captured_queries if "django_session" in q["sql"]]

    cache.clear()  # a flushed cache signs nobody out: the session is read from the database
    assert client.get(reverse("notifications")).status_code == 200


def test_the_session_expiry_is_renewed_once_a_minute_goes_by(client, researcher):
    with frozen(timezone.now()) as clock:
        client.force_login(researcher)
        _session_writes(client, reverse("notifications"))
        clock.shift(61)

        assert _session_writes(client, reverse("notifications")) == 1


def test_idle_session_is_signed_out(client, researcher):
    with frozen(timezone.now()) as clock:
        client.force_login(researcher)
        assert client.get(reverse("dashboard"), follow=True).status_code == 200
        clock.shift(29 * 60)
        assert client.get(reverse("notifications")).status_code == 200
        clock.shift(31 * 60)
        response = client.get(reverse("notifications"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_one_account_tried_from_many_addresses_is_throttled_for_a_short_while(client):
    user = UserFactory(email="spread@example.org")
    with frozen(timezone.now()) as clock:
        for n in range(10):
            login(client, user.email, password="wrong-password", ip=f"192.0.2.{n + 1}")
        throttled = login(client, user.email, ip="198.51.100.200")
        assert throttled.status_code != 302 or throttled.url == reverse("account_login")
        assert b"Too many failed" in throttled.content
        clock.shift(15 * 60 + 1)
        assert login(client, user.email, ip="198.51.100.200").status_code == 302
