"""`seed_demo` gives every review page real content: applications at every review stage,
reviewers with a recusal, scores, a held meeting with its minutes, an open question to the
RAB, an appeal, an AI/AN request on an ad hoc meeting's agenda, and available volumes."""

import io

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse

from applications.models import Application
from portal.models import User
from review.models import (
    Appeal,
    Assignment,
    AvailableVolume,
    ConflictDeclaration,
    Escalation,
    Meeting,
    ReviewRound,
    ScoreSheet,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(settings, tmp_path):
    settings.PRIVATE_DOCUMENT_ROOT = tmp_path
    with override_settings(DEBUG=True):
        call_command("seed_demo", stdout=io.StringIO())
    return {u.email: u for u in User.objects.filter(email__endswith="@demo.example.org")}


def test_the_demo_has_every_review_state_and_a_second_run_adds_nothing(seeded):
    stages = set(ReviewRound.objects.filter(current=True).values_list("stage", flat=True))
    assert stages >= {
        "awaiting_assignment",
        "in_review",
        "ready",
        "deferred",
        "revisions",
        "decided",
    }
    statuses = set(Application.objects.values_list("status", flat=True))
    assert statuses >= {
        "in_review",
        "approved",
        "revisions_requested",
        "conditionally_approved",
        "appealed",
    }
    assert ConflictDeclaration.objects.filter(conflicted=True).count() == 1
    assert ScoreSheet.objects.filter(submitted_at__isnull=False).exists()
    assert Escalation.objects.filter(answered_at__isnull=True).exists()
    assert Appeal.objects.filter(outcome="pending").exists()
    assert Meeting.objects.filter(ai_an_review=True).exists()
    assert AvailableVolume.objects.count() == 6
    rounds = ReviewRound.objects.count()
    with override_settings(DEBUG=True):
        call_command("seed_demo", stdout=io.StringIO())
    assert ReviewRound.objects.count() == rounds


def test_every_review_page_shows_demo_content(client, seeded):
    chair = seeded["prab.chair@demo.example.org"]
    client.force_login(chair)
    queue = client.get(reverse("review:queue") + "?stage=decided").content.decode()
    assert "data-queue-row=" in queue
    for round_ in ReviewRound.objects.filter(current=True):
        pk = round_.application_id
        for name in ("review:overview", "review:assign", "review:scores", "review:discussion"):
            assert client.get(reverse(name, args=[pk])).status_code == 200, (name, pk)
    held = Meeting.objects.get(ai_an_review=False)
    page = client.get(reverse("review:meeting", args=[held.pk])).content.decode()
    assert "data-item-decision" in page
    assert client.get(reverse("review:minutes", args=[held.pk])).status_code == 200
    for name in ("review:meetings", "review:board", "review:stock"):
        assert client.get(reverse(name)).status_code == 200

    reviewer = seeded["prab.member@demo.example.org"]
    client.force_login(reviewer)
    mine = client.get(reverse("review:mine")).content.decode()
    assert "data-assignment=" in mine
    client.force_login(seeded["rab.member@demo.example.org"])
    rab = client.get(reverse("review:rab")).content.decode()
    assert "/review/escalations/" in rab
    assert "/review/appeals/" in rab

    client.force_login(seeded["researcher@demo.example.org"])
    revised = Application.objects.get(status="revisions_requested")
    page = client.get(reverse("applications:detail", args=[revised.pk])).content.decode()
    assert "Changes the board requires" in page
    assert "CONFIDENTIAL" not in page

    # The recused reviewer cannot open the application.
    recusal = ConflictDeclaration.objects.get(conflicted=True)
    client.force_login(recusal.member)
    assert (
        client.get(reverse("applications:detail", args=[recusal.application_id])).status_code == 404
    )
    assert (
        Assignment.objects.get(
            reviewer=recusal.member, round__application=recusal.application
        ).state
        == "recused"
    )
