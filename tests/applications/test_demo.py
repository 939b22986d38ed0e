"""`seed_demo` gives every application page real content: Rosa's applications in each state,
which her pages and the chair's show."""

import io

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse

from applications.models import Application
from portal.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(settings, tmp_path):
    settings.PRIVATE_DOCUMENT_ROOT = tmp_path
    with override_settings(DEBUG=True):
        call_command("seed_demo", stdout=io.StringIO())
    return {u.email: u for u in User.objects.filter(email__endswith="@demo.example.org")}


def test_the_demo_has_an_application_in_every_state_and_a_second_run_adds_none(seeded, settings):
    states = set(Application.objects.values_list("status", flat=True))
    assert states >= {"draft", "submitted", "screening", "returned", "withdrawn", "approved"}
    assert Application.objects.filter(includes_ai_an=True).exists()
    assert Application.objects.filter(kind="amendment", original__status="approved").exists()
    count = Application.objects.count()
    with override_settings(DEBUG=True):
        call_command("seed_demo", stdout=io.StringIO())
    assert Application.objects.count() == count


def test_every_application_page_shows_demo_content(client, seeded):
    rosa = seeded["researcher@demo.example.org"]
    client.force_login(rosa)
    assert "Inflammation markers" in client.get(reverse("applications:list")).content.decode()
    for application in Application.objects.filter(applicant=rosa):
        for name in ("detail", "details", "lines", "team", "uploads"):
            response = client.get(reverse(f"applications:{name}", args=[application.pk]))
            assert response.status_code == 200, (name, application.reference)
        assert (
            client.get(
                reverse("applications:section", args=[application.pk, "abstract"])
            ).status_code
            == 200
        )
    amendment = Application.objects.get(kind="amendment")
    changes = client.get(reverse("applications:changes", args=[amendment.pk])).content.decode()
    assert "data-change" in changes

    client.force_login(seeded["prab.chair@demo.example.org"])
    queue = client.get(reverse("applications:queue")).content.decode()
    assert queue.count("data-queue-row=") == 2  # one submitted, one in screening
    client.force_login(seeded["admin@demo.example.org"])
    assert "Version 1" in client.get(reverse("applications:templates")).content.decode()
