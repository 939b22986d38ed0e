"""Auditors read every record in the admin, other apps' included, and change none."""

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse

from portal.roles import Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LISTS = [
    "admin:portal_user_changelist",
    "admin:account_emailaddress_changelist",
    "admin:auth_group_changelist",
    "admin:mfa_authenticator_changelist",
    "admin:axes_accessattempt_changelist",
    "admin:axes_accesslog_changelist",
    "admin:axes_accessfailurelog_changelist",
    "admin:portal_consent_changelist",
    "admin:portal_codeofconductsignature_changelist",
]


@pytest.fixture
def auditor_client(client):
    client.force_login(UserFactory(roles=[Role.AUDITOR], two_factor=True, is_staff=True))
    return client


@pytest.mark.parametrize("name", LISTS)
def test_an_auditor_reads_each_list(auditor_client, name):
    response = auditor_client.get(reverse(name))

    assert response.status_code == 200


def test_an_auditor_cannot_change_an_email_address(auditor_client):
    person = UserFactory(email="kept@example.org")
    address = EmailAddress.objects.get(user=person)

    response = auditor_client.post(
        reverse("admin:account_emailaddress_change", args=[address.pk]),
        {"user": person.pk, "email": "changed@example.org", "verified": "on", "primary": "on"},
    )

    assert response.status_code == 403
    address.refresh_from_db()
    assert address.email == "kept@example.org"


def test_a_researcher_still_cannot_open_the_admin_lists(client):
    client.force_login(UserFactory(roles=[Role.RESEARCHER], two_factor=True))

    response = client.get(reverse("admin:account_emailaddress_changelist"))

    assert response.status_code == 302
