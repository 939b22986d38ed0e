"""The template versions page: a program admin publishes a new version; bad JSON is refused
with the text kept; nobody else may open it."""

import json

import pytest
from django.urls import reverse

from applications.models import TemplateVersion
from applications.sections import DEFAULT_SECTIONS, sections_to_data

pytestmark = pytest.mark.django_db


def test_a_program_admin_publishes_a_new_version(client, program_admin, template_version):
    client.force_login(program_admin)
    sections = sections_to_data(DEFAULT_SECTIONS)
    sections[0]["guidance"] = "Clearer guidance for the abstract."
    response = client.post(
        reverse("applications:templates"),
        {
            "sections": json.dumps(sections),
            "fee_schedule": json.dumps([{"item": "Shipment", "amount": "USD 100"}]),
            "notes": "Clearer abstract guidance.",
            "previous_accepted_until": "",
        },
    )
    assert response.status_code == 302
    current = TemplateVersion.objects.get(is_current=True)
    assert current.number == 2
    assert current.sections[0]["guidance"] == "Clearer guidance for the abstract."
    page = client.get(reverse("applications:templates")).content.decode()
    assert "Version 2" in page
    assert "Still accepted for submission." in page


def test_sections_that_are_not_json_are_refused_and_kept(client, program_admin, template_version):
    client.force_login(program_admin)
    response = client.post(
        reverse("applications:templates"),
        {"sections": "[{broken", "fee_schedule": "[]", "notes": "Oops."},
    )
    assert response.status_code == 400
    assert "[{broken" in response.content.decode()
    assert TemplateVersion.objects.count() == 1


def test_only_a_program_admin_opens_the_page(client, prab_chair, template_version):
    client.force_login(prab_chair)
    assert client.get(reverse("applications:templates")).status_code == 404
