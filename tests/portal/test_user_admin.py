"""A program admin changes someone's sign-in address in the user admin."""

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse

from portal.errors import PermissionRefused
from portal.models import AuditEvent
from portal.roles import Role
from portal.services import user_email_addresses_reset
from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    admin = UserFactory(
        roles=[Role.PROGRAM_ADMIN], two_factor=True, is_staff=True, is_superuser=True
    )
    client.force_login(admin)
    return client


def _change(client, person, **fields):
    data = {"email": person.email, "full_name": person.full_name, "is_active": "on"}
    data.update(fields)
    return client.post(reverse("admin:portal_user_change", args=[person.pk]), data)


def test_a_changed_address_replaces_the_old_one_and_must_be_confirmed(admin_client):
    person = UserFactory(email="old.address@example.org", roles=[Role.RESEARCHER])

    response = _change(admin_client, person, email="New.Address@Example.org")

    assert response.status_code == 302
    person.refresh_from_db()
    assert person.email == "new.address@example.org"
    assert list(
        EmailAddress.objects.filter(user=person).values_list("email", "verified", "primary")
    ) == [("new.address@example.org", False, True)]
    event = AuditEvent.objects.get(action="user.email_addresses_reset", target_id=str(person.pk))
    assert event.before["addresses"] == [
        {"email": "old.address@example.org", "verified": True, "primary": True}
    ]


def test_the_old_address_no_longer_signs_in(admin_client, client):
    person = UserFactory(email="before@example.org", roles=[Role.RESEARCHER])
    _change(admin_client, person, email="after@example.org")
    admin_client.logout()

    response = client.post(
        reverse("account_login"), {"login": "before@example.org", "password": TEST_PASSWORD}
    )

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_an_address_another_account_has_on_file_is_refused(admin_client):
    other = UserFactory(email="owner@example.org")
    EmailAddress.objects.create(user=other, email="second@example.org", verified=True)
    person = UserFactory(email="person@example.org")

    response = _change(admin_client, person, email="second@example.org")

    assert response.status_code == 200
    assert "Another user already signs in with this address." in response.content.decode()
    person.refresh_from_db()
    assert person.email == "person@example.org"
    assert EmailAddress.objects.get(user=person).verified


def test_only_a_program_admin_may_reset_someones_addresses(researcher):
    person = UserFactory(email="kept@example.org")

    with pytest.raises(PermissionRefused):
        user_email_addresses_reset(user=person, actor=researcher)

    assert EmailAddress.objects.get(user=person).verified
    assert not AuditEvent.objects.filter(action="user.email_addresses_reset").exists()
