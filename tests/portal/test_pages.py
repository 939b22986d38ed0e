"""The page frame, the public pages, the account pages and the error pages."""

import re

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views import defaults

from portal.roles import Role
from tests.factories import TEST_PASSWORD, totp_secret

pytestmark = pytest.mark.django_db


def assert_inside_base_page(html: str) -> None:
    """The page is the portal's own frame: skip link, landmarks and the stylesheets."""
    assert (
        '<a class="skip-link visually-hidden-focusable" href="#main">Skip to main content</a>'
        in html
    )
    assert re.search(r'<nav class="[^"]*navbar[^"]*"[^>]*aria-label="Main navigation"', html)
    assert '<main id="main"' in html
    assert "<header" in html
    assert "<footer" in html
    assert "vendor/bootstrap/css/bootstrap.min.css" in html


def assert_csp_clean(html: str) -> None:
    """Nothing the Content Security Policy would block: no inline styles or scripts."""
    assert "style=" not in html
    assert "<style" not in html
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert " src=" in tag or 'type="application/json"' in tag, tag


def current_code(user) -> str:
    return format_hotp_value(hotp_value(totp_secret(user), int(timezone.now().timestamp()) // 30))


def sign_in(client, user, *, reauthenticate: bool = False) -> None:
    """Sign in through the real forms; two-factor settings also ask for the password again."""
    response = client.post(
        reverse("account_login"), {"login": user.email, "password": TEST_PASSWORD}
    )
    assert response.status_code == 302
    if response.url == reverse("mfa_authenticate"):
        response = client.post(reverse("mfa_authenticate"), {"code": current_code(user)})
        assert response.status_code == 302
    if reauthenticate:
        response = client.post(reverse("account_reauthenticate"), {"password": TEST_PASSWORD})
        assert response.status_code == 302


def test_base_page_has_a_skip_link_and_landmarks(client, eligible_researcher):
    client.force_login(eligible_researcher)
    response = client.get(reverse("role-dashboard", args=[Role.RESEARCHER.value]))
    html = response.content.decode()
    assert_inside_base_page(html)
    assert html.index("Skip to main content") < html.index("<header")
    assert '<html lang="en">' in html
    assert_csp_clean(html)


def test_home_page_explains_the_portal_to_anonymous_visitors(client):
    response = client.get(reverse("home"))
    assert response.status_code == 200
    html = response.content.decode()
    assert_inside_base_page(html)
    assert_csp_clean(html)
    for words in ("White blood cells", "Serum", "Plasma", "DNA", "Urine", "PRAB", "Reporting"):
        assert words in html
    assert f'href="{reverse("account_login")}"' in html
    assert f'href="{reverse("account_signup")}"' in html


def test_home_page_sends_a_signed_in_user_to_their_dashboard(client, researcher):
    client.force_login(researcher)
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url == reverse("dashboard")


def test_login_page_uses_bootstrap_and_a_labelled_email_field(client):
    response = client.get(reverse("account_login"))
    assert response.status_code == 200
    html = response.content.decode()
    assert_inside_base_page(html)
    assert_csp_clean(html)
    assert re.search(r'<label\s+for="id_login" class="form-label[^"]*">\s*Email', html)
    email_input = re.search(r'<input type="email" name="login"[^>]*>', html)
    assert email_input is not None
    assert "form-control" in email_input.group(0)
    assert 'id="id_login"' in email_input.group(0)
    assert re.search(r'<label\s+for="id_password" class="form-label', html)
    assert 'class="btn btn-primary btn-lg"' in html
    assert f'href="{reverse("account_reset_password")}"' in html


def test_failed_sign_in_shows_the_error_as_an_alert(client, researcher):
    response = client.post(
        reverse("account_login"), {"login": researcher.email, "password": "wrong-password"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    summary = html[html.index("data-error-summary") :]
    assert 'role="alert"' in html[html.index('class="alert alert-danger error-summary"') :][:80]
    assert "The email address and/or password you specified are not correct." in summary


def test_field_errors_are_tied_to_their_input(client):
    response = client.post(reverse("account_signup"), {"email": "not-an-email"})
    html = response.content.decode()
    email_input = re.search(r'<input type="email" name="email"[^>]*>', html)
    assert email_input is not None
    assert 'aria-invalid="true"' in email_input.group(0)
    assert "is-invalid" in email_input.group(0)
    assert 'id="id_email_error"' in html


@pytest.mark.parametrize(
    "url_name",
    ["account_signup", "account_reset_password", "account_email_verification_sent"],
)
def test_public_account_pages_render_inside_the_portal(client, url_name):
    response = client.get(reverse(url_name))
    assert response.status_code == 200
    html = response.content.decode()
    assert_inside_base_page(html)
    assert_csp_clean(html)
    assert 'class="card shadow-sm entrance-card"' in html


def test_signup_page_labels_every_field(client):
    html = client.get(reverse("account_signup")).content.decode()
    for field in ("email", "password1", "password2"):
        assert re.search(rf'<label\s+for="id_{field}" class="form-label', html), field
        assert re.search(rf'<input [^>]*class="[^"]*form-control[^"]*"[^>]*id="id_{field}"', html)


@pytest.mark.parametrize(
    "url_name",
    ["account_email", "account_change_password", "mfa_index", "account_reauthenticate"],
)
def test_account_settings_pages_render_inside_the_portal(client, researcher, url_name):
    client.force_login(researcher)
    response = client.get(reverse(url_name))
    assert response.status_code == 200
    html = response.content.decode()
    assert_inside_base_page(html)
    assert_csp_clean(html)


@pytest.mark.parametrize(
    "url_name",
    ["mfa_deactivate_totp", "mfa_generate_recovery_codes", "mfa_reauthenticate", "account_logout"],
)
def test_sensitive_account_pages_render_inside_the_portal(client, researcher, url_name):
    sign_in(client, researcher, reauthenticate=True)
    response = client.get(reverse(url_name))
    assert response.status_code == 200
    html = response.content.decode()
    assert_inside_base_page(html)
    assert_csp_clean(html)
    assert re.search(r'<button type="submit"\s+class="btn btn-', html)


def test_invalid_email_confirmation_link_renders_inside_the_portal(client):
    response = client.get(reverse("account_confirm_email", args=["not-a-real-key"]))
    assert response.status_code == 200
    html = response.content.decode()
    assert_inside_base_page(html)
    assert_csp_clean(html)


def test_account_settings_pages_have_a_settings_menu(client, researcher):
    client.force_login(researcher)
    html = client.get(reverse("mfa_index")).content.decode()
    assert '<nav class="account-nav" aria-label="Account settings">' in html
    assert re.search(rf'href="{reverse("mfa_index")}" aria-current="page"', html)


def test_two_factor_sign_in_step_renders_inside_the_portal(client, researcher):
    client.post(reverse("account_login"), {"login": researcher.email, "password": TEST_PASSWORD})
    response = client.get(reverse("mfa_authenticate"))
    assert response.status_code == 200
    html = response.content.decode()
    assert_inside_base_page(html)
    assert_csp_clean(html)
    assert re.search(r'<label\s+for="id_code" class="form-label', html)
    assert 'form="logout-from-stage"' in html


def test_authenticator_setup_shows_the_qr_code_and_the_setup_key(client, user_factory):
    user = user_factory(roles=[Role.RESEARCHER])
    sign_in(client, user, reauthenticate=True)
    response = client.get(reverse("mfa_activate_totp"))
    assert response.status_code == 200
    html = response.content.decode()
    assert_inside_base_page(html)
    assert_csp_clean(html)
    assert re.search(r'<img src="data:image/svg\+xml;base64,[^"]+" alt="QR code', html)
    assert 'class="totp-secret"' in html
    assert re.search(r'<label\s+for="id_code" class="form-label', html)


def test_authenticator_setup_turns_on_two_factor(client, user_factory):
    user = user_factory(roles=[Role.RESEARCHER])
    sign_in(client, user, reauthenticate=True)
    page = client.get(reverse("mfa_activate_totp"))
    secret = re.search(r'<code class="totp-secret">([A-Z2-7]+)</code>', page.content.decode())
    assert secret is not None
    code = format_hotp_value(hotp_value(secret.group(1), int(timezone.now().timestamp()) // 30))
    response = client.post(reverse("mfa_activate_totp"), {"code": code})
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def test_recovery_codes_page_renders_inside_the_portal(client, researcher):
    sign_in(client, researcher, reauthenticate=True)
    client.post(reverse("mfa_generate_recovery_codes"))
    response = client.get(reverse("mfa_view_recovery_codes"))
    assert response.status_code == 200
    html = response.content.decode()
    assert_inside_base_page(html)
    assert_csp_clean(html)
    assert re.search(r'<label class="form-label" for="recovery_codes">\s*Unused codes', html)
    assert 'class="form-control recovery-codes"' in html


def test_lockout_page_explains_the_pause_and_links_to_password_reset(client, researcher):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("account_login"), {"login": researcher.email, "password": "wrong"})
    response = client.post(
        reverse("account_login"), {"login": researcher.email, "password": "wrong"}
    )
    assert response.status_code == 429
    html = response.content.decode()
    assert_inside_base_page(html)
    assert_csp_clean(html)
    assert "Too many failed sign-in attempts" in html
    assert 'role="alert"' in html
    assert f'href="{reverse("account_reset_password")}"' in html


def test_lockout_page_states_the_cool_off_that_settings_define(rf):
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    html = render_to_string(
        "account/lockout.html",
        {"username": "someone@example.org", "failure_limit": 5},
        request=rf.get("/accounts/login/"),
    )
    assert f"Try again in {minutes} minutes." in html
    assert "someone@example.org" in html


def test_missing_page_uses_the_portal_404_page(client, researcher):
    client.force_login(researcher)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert_inside_base_page(html)
    assert "Page not found" in html
    assert f'href="{reverse("dashboard")}"' in html


def test_forbidden_page_uses_the_portal_403_page(rf, researcher):
    request = rf.get("/somewhere/")
    request.user = researcher
    response = defaults.permission_denied(request, PermissionDenied())
    assert response.status_code == 403
    html = response.content.decode()
    assert_inside_base_page(html)
    assert "You cannot do this" in html


def test_server_error_page_renders_without_a_request_context(rf):
    response = defaults.server_error(rf.get("/broken/"))
    assert response.status_code == 500
    html = response.content.decode()
    assert_inside_base_page(html)
    assert_csp_clean(html)
    assert "Something went wrong" in html
    assert f"· {settings.PORTAL_NAME}</title>" in html
    assert f'href="{reverse("account_login")}"' in html


def test_too_many_requests_page_extends_the_base_page(rf):
    html = render_to_string("429.html", request=rf.get("/"))
    assert_inside_base_page(html)
    assert "Too many requests" in html


def test_warning_messages_are_announced_as_alerts(client, user_factory):
    # A staff member without two-factor is sent to set it up with a warning message.
    staff = user_factory(roles=[Role.BIOBANK_STAFF], two_factor=False)
    sign_in(client, staff)
    response = client.get(reverse("role-dashboard", args=[Role.BIOBANK_STAFF.value]), follow=True)
    assert re.search(
        r'<div class="alert alert-warning alert-dismissible fade show"\s+role="alert">\s*'
        r"Your role requires two-factor authentication",
        response.content.decode(),
    )
