"""After each step the researcher returns to /access/, told what was done and what is next;
the two-factor set-up explains why it asks for the password again."""

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.urls import reverse
from django.utils import timezone

from portal.models import Consent
from portal.roles import Role
from tests.factories import (
    TEST_PASSWORD,
    ProfileReviewFactory,
    ResearcherProfileFactory,
    UserFactory,
)


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_giving_a_consent_returns_to_the_requirements_with_the_next_step(client, researcher):
    client.force_login(researcher)

    response = client.post(
        reverse("access-consent-give", args=["public_display"]),
        {"public_display-agree": "on"},
        follow=True,
    )

    assert response.redirect_chain[-1][0] == reverse("access-requirements")
    [message] = _messages(response)
    assert message.startswith("Consent recorded: public display")
    assert "Your next step: Give your consents." in message
    assert Consent.objects.filter(user=researcher).count() == 1


def test_reviewing_the_profile_returns_to_the_requirements_with_the_next_step(client, researcher):
    ResearcherProfileFactory(user=researcher)
    client.force_login(researcher)

    response = client.post(reverse("access-profile-review"), {"attest": "on"}, follow=True)

    assert response.redirect_chain[-1][0] == reverse("access-requirements")
    [message] = _messages(response)
    assert "your profile review is confirmed" in message
    assert "Your next step:" in message


def test_the_last_step_returns_to_the_requirements_saying_every_requirement_is_met(
    client, eligible_researcher
):
    Consent.objects.filter(user=eligible_researcher, kind="public_display").delete()
    ProfileReviewFactory(user=eligible_researcher)
    client.force_login(eligible_researcher)

    response = client.post(
        reverse("access-consent-give", args=["public_display"]),
        {"public_display-agree": "on"},
        follow=True,
    )

    [message] = _messages(response)
    assert message.endswith("You meet every requirement now.")
    assert 'data-verdict="eligible"' in response.content.decode()


def test_the_password_asked_before_two_factor_set_up_is_explained(client, researcher):
    Authenticator.objects.filter(user=researcher).delete()
    client.force_login(researcher)

    response = client.get(reverse("mfa_activate_totp"), follow=True)

    page = response.content.decode()
    assert response.redirect_chain[-1][0].startswith(reverse("account_reauthenticate"))
    assert "data-reauthenticate-why" in page
    assert "asks for your password again" in page


@pytest.mark.django_db(transaction=True)
def test_turning_on_two_factor_leads_back_to_the_requirements(client):
    # A real commit: allauth adds its message (in the portal's words) in an on-commit hook.
    researcher = UserFactory(roles=[Role.RESEARCHER], two_factor=False)
    client.force_login(researcher)
    client.post(reverse("account_reauthenticate"), {"password": TEST_PASSWORD})
    page = client.get(reverse("mfa_activate_totp"))
    assert "changes how you sign in" in page.content.decode()
    secret = page.context["form"].secret
    code = format_hotp_value(hotp_value(secret, int(timezone.now().timestamp()) // 30))

    response = client.post(reverse("mfa_activate_totp"), {"code": code})

    assert Authenticator.objects.filter(user=researcher, type=Authenticator.Type.TOTP).exists()
    assert response.url == reverse("mfa_view_recovery_codes")
    html = client.get(response.url).content.decode()
    assert "Two-factor authentication is on" in html
    assert "data-back-to-requirements" in html
    assert f'href="{reverse("access-requirements")}"' in html
