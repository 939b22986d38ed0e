"""Non-duplication (issue item 5) and scarcity (item 6, policy 3.1): the most similar other
applications by title, abstract and aims, approved ones included; each requested type's
volume against what is available and what others claim; competing requests for a scarce
type ranked by score."""

from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from applications.models import Application
from applications.services.lifecycle import submission_record
from portal.errors import DomainError
from portal.models import AuditEvent
from review.models import AvailableVolume
from review.selectors import scarcity_for, similar_applications
from review.services import volume_record
from tests.review.conftest import make_ready, new_in_review

pytestmark = pytest.mark.django_db


def _with_text(application: Application, text: str) -> Application:
    Application.objects.filter(pk=application.pk).update(search_document=text)
    return Application.objects.get(pk=application.pk)


def test_similar_applications_are_ranked_with_approved_ones_included(board):
    chair = board["chair"]
    subject = _with_text(
        new_in_review(chair, title="Sleep and inflammation"),
        "Sleep quality and inflammation markers: cytokines in plasma of adults with insomnia",
    )
    close = _with_text(
        new_in_review(chair, title="Insomnia and cytokines"),
        "Insomnia, sleep quality and plasma cytokines as inflammation markers in adults",
    )
    Application.objects.filter(pk=close.pk).update(status=Application.Status.APPROVED)
    far = _with_text(
        new_in_review(chair, title="Kidney stones"),
        "Urinary oxalate and kidney stone recurrence in men",
    )
    found = similar_applications(subject)
    references = [s.reference for s in found]
    assert references[0] == close.reference
    assert found[0].status == "approved"
    if connection.vendor == "postgresql":
        assert far.reference not in references  # no word in common: no match at all


def test_submission_keeps_the_words_applications_are_compared_by(in_review):
    assert "Inflammation markers and sleep" in in_review.search_document
    assert "Answer to Abstract." in in_review.search_document


def test_the_review_page_shows_similar_applications(client, board, in_review):
    other = new_in_review(board["chair"], title="Inflammation markers and sleep, a replication")
    client.force_login(board["chair"])
    page = client.get(reverse("review:overview", args=[in_review.pk])).content.decode()
    assert "data-similar" in page
    assert other.reference in page


def test_staff_record_available_volumes_with_history(biobank_staff):
    volume_record(specimen_type="plasma", volume=Decimal("100"), note="count", actor=biobank_staff)
    volume_record(specimen_type="plasma", volume=Decimal("80"), note="recount", actor=biobank_staff)
    assert AvailableVolume.objects.filter(specimen_type="plasma").count() == 2
    assert AuditEvent.objects.filter(action="available_volume.record").count() == 2
    with pytest.raises(DomainError, match="cannot be negative"):
        volume_record(specimen_type="plasma", volume=Decimal("-1"), note="", actor=biobank_staff)
    assert AvailableVolume.objects.filter(specimen_type="plasma").count() == 2


def test_only_biobank_staff_record_volumes(client, board):
    from portal.errors import PermissionRefused

    with pytest.raises(PermissionRefused):
        volume_record(specimen_type="plasma", volume=Decimal("5"), note="", actor=board["chair"])
    assert not AvailableVolume.objects.exists()


def test_a_scarce_type_shows_what_others_claim_and_ranks_competing_requests(board, biobank_staff):
    chair = board["chair"]
    # Each application asks for 400 mL of plasma (tests/applications/conftest PLASMA).
    better, worse = new_in_review(chair), new_in_review(chair)
    make_ready(better, board, scores=(2, 2, 3))
    make_ready(worse, board, scores=(6, 7, 6))
    volume_record(specimen_type="plasma", volume=Decimal("500"), note="", actor=biobank_staff)
    (plasma,) = scarcity_for(worse)
    assert (plasma.requested, plasma.available, plasma.claimed_by_others) == (
        Decimal("400"),
        Decimal("500"),
        Decimal("400"),
    )
    assert plasma.scarce
    assert plasma.left_after == Decimal("-300")
    ranked = [c["reference"] for c in plasma.competing]
    assert ranked == [better.reference, worse.reference]
    assert plasma.competing[1]["this"]


def test_a_type_with_enough_left_is_not_scarce(board, biobank_staff, in_review):
    volume_record(specimen_type="plasma", volume=Decimal("5000"), note="", actor=biobank_staff)
    (plasma,) = scarcity_for(in_review)
    assert not plasma.scarce
    assert plasma.competing == []


def test_the_stock_page_keeps_a_bad_volume_typed_and_says_what_to_do(client, biobank_staff):
    client.force_login(biobank_staff)
    response = client.post(
        reverse("review:stock"), {"specimen_type": "serum", "volume": "-4", "note": "typo"}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "cannot be negative" in page
    assert 'value="typo"' in page
    assert not AvailableVolume.objects.exists()


def test_submission_record_is_reused_by_resubmission(in_review):
    submission = submission_record(
        application=in_review, actor=in_review.applicant, now=timezone.now()
    )
    assert submission.number == 2
