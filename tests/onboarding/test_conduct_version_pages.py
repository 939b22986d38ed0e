"""The publish page makes a version current (audited); a missing signed copy is prepared."""

from datetime import timedelta

import pytest
from django.urls import reverse

from portal.clock import program_today
from portal.models import AuditEvent, CodeOfConductSignature, CodeOfConductVersion
from portal.roles import Role
from tests.factories import (
    CodeOfConductSignatureFactory,
    CodeOfConductVersionFactory,
    UserFactory,
    latest_code_of_conduct,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(roles=[Role.PROGRAM_ADMIN], two_factor=True))
    return client


def _make_current(client, version, until=""):
    return client.post(
        reverse("access-code-of-conduct-make-current", args=[version.pk]),
        {f"v{version.pk}-previous_accepted_until": until},
    )


def test_the_publish_page_makes_a_version_current_with_a_grace_period(admin_client):
    old = latest_code_of_conduct()
    new = CodeOfConductVersionFactory(version="2027.1")
    last_day = program_today() + timedelta(days=30)

    response = _make_current(admin_client, new, last_day.isoformat())

    assert response.status_code == 302
    old.refresh_from_db()
    new.refresh_from_db()
    assert new.is_current
    assert not old.is_current
    assert old.accepted_until == last_day
    assert AuditEvent.objects.filter(action="code_of_conduct.make_current").count() == 1
    page = admin_client.get(reverse("access-code-of-conduct-publish")).content.decode()
    assert "The version signed now is <strong>2027.1</strong>" in page
    assert f"Accepted through {last_day:%-d %B %Y}" in page


def test_a_past_grace_period_is_refused_on_the_page_and_keeps_the_date_typed(admin_client):
    old = latest_code_of_conduct()
    new = CodeOfConductVersionFactory(version="2027.1")
    yesterday = (program_today() - timedelta(days=1)).isoformat()

    response = _make_current(admin_client, new, yesterday)

    assert response.status_code == 200
    page = response.content.decode()
    assert "has already passed" in page
    assert f'value="{yesterday}"' in page
    old.refresh_from_db()
    assert old.is_current
    assert not AuditEvent.objects.filter(action="code_of_conduct.make_current").exists()


@pytest.mark.parametrize("roles", [[Role.RESEARCHER], [Role.AUDITOR], []])
def test_only_a_program_admin_may_make_a_version_current(client, roles):
    old = latest_code_of_conduct()
    new = CodeOfConductVersionFactory(version="2027.1")
    client.force_login(UserFactory(roles=roles, is_superuser=not roles, two_factor=True))

    response = _make_current(client, new)

    assert response.status_code == 404
    assert list(CodeOfConductVersion.objects.filter(is_current=True)) == [old]


def test_a_signature_without_its_pdf_offers_to_prepare_it_and_then_downloads_it(client):
    signature = CodeOfConductSignatureFactory(user=UserFactory(roles=[Role.RESEARCHER]))
    assert signature.signed_copy is None
    client.force_login(signature.user)

    history = client.get(reverse("access-code-of-conduct-history")).content.decode()
    response = client.post(reverse("access-code-of-conduct-signed-copy", args=[signature.pk]))

    assert "Prepare and download the PDF" in history
    signature.refresh_from_db()
    assert signature.signed_copy is not None
    assert response.status_code == 302
    assert response.url == reverse("document-download", args=[signature.signed_copy.pk])


def test_someone_elses_signature_is_not_found(client):
    signature = CodeOfConductSignatureFactory(user=UserFactory(roles=[Role.RESEARCHER]))
    client.force_login(UserFactory(roles=[Role.RESEARCHER]))

    response = client.post(reverse("access-code-of-conduct-signed-copy", args=[signature.pk]))

    assert response.status_code == 404
    assert CodeOfConductSignature.objects.get(pk=signature.pk).signed_copy is None
