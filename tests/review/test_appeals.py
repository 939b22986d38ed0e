"""Appeals (issue item 10, policy 3.5): within the window after a denial the applicant
submits grounds and documents; the RAB upholds the denial (final) or returns the
application for a new review with new reviewers."""

from datetime import timedelta

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from applications.demo import demo_pdf
from applications.models import Application
from portal.errors import DomainError, PermissionRefused
from portal.models import AuditEvent
from review.errors import ReviewRefused
from review.models import Appeal, ReviewRound
from review.services import appeal_determine, appeal_submit, decision_record
from tests.review.conftest import CARRIES, assign, reviewers_of

pytestmark = pytest.mark.django_db

GROUNDS = "The board read aim 2 as duplicating an approved study; it does not."


@pytest.fixture
def denied(ready, meeting, board) -> Application:
    decision_record(
        application=ready,
        meeting=meeting,
        outcome="deny",
        vote=CARRIES,
        reasons="Duplicates an approved study.",
        actor=board["chair"],
    )
    return Application.objects.get(pk=ready.pk)


def test_the_applicant_appeals_with_documents_and_the_rab_is_told(
    denied, rab_member, settings, tmp_path
):
    settings.PRIVATE_DOCUMENT_ROOT = tmp_path
    appeal = appeal_submit(
        application=denied,
        grounds=GROUNDS,
        files=[ContentFile(demo_pdf("Letter"), name="letter.pdf")],
        actor=denied.applicant,
    )
    denied.refresh_from_db()
    assert denied.status == Application.Status.APPEALED
    assert appeal.documents.count() == 1
    assert rab_member.notifications.filter(template="review_appeal").exists()
    assert AuditEvent.objects.filter(action="review.appeal").count() == 1


def test_an_appeal_after_the_window_is_refused_and_nothing_changes(denied, settings):
    with (
        time_machine.travel(
            timezone.now() + timedelta(days=settings.REVIEW_APPEAL_WINDOW_DAYS + 1)
        ),
        pytest.raises(ReviewRefused, match="appeal window closed"),
    ):
        appeal_submit(application=denied, grounds=GROUNDS, files=[], actor=denied.applicant)
    denied.refresh_from_db()
    assert denied.status == Application.Status.DENIED
    assert not Appeal.objects.exists()


def test_an_appeal_on_an_application_that_was_not_denied_is_refused(ready):
    with pytest.raises(DomainError, match="only a denied application can be appealed"):
        appeal_submit(application=ready, grounds=GROUNDS, files=[], actor=ready.applicant)
    ready.refresh_from_db()
    assert ready.status == Application.Status.IN_REVIEW
    assert not Appeal.objects.exists()


def test_only_the_applicant_appeals(denied, researcher):
    with pytest.raises(PermissionRefused):
        appeal_submit(application=denied, grounds=GROUNDS, files=[], actor=researcher)
    denied.refresh_from_db()
    assert denied.status == Application.Status.DENIED
    assert not Appeal.objects.exists()


def test_a_file_that_is_not_a_clean_pdf_or_docx_is_refused_by_name(denied, settings, tmp_path):
    settings.PRIVATE_DOCUMENT_ROOT = tmp_path
    with pytest.raises(ReviewRefused) as refused:
        appeal_submit(
            application=denied,
            grounds=GROUNDS,
            files=[ContentFile(b"MZ\x90\x00not a document", name="tool.exe")],
            actor=denied.applicant,
        )
    assert refused.value.problems[0].startswith("tool.exe:")
    assert not Appeal.objects.exists()


def test_the_rab_upholds_the_denial_which_is_final(denied, rab_member):
    appeal = appeal_submit(application=denied, grounds=GROUNDS, files=[], actor=denied.applicant)
    appeal_determine(
        appeal=appeal, uphold=True, determination="The duplication stands.", actor=rab_member
    )
    denied.refresh_from_db()
    assert denied.status == Application.Status.DENIED_FINAL
    assert denied.applicant.notifications.filter(template="review_appeal_outcome").exists()
    with pytest.raises(DomainError):
        appeal_submit(application=denied, grounds=GROUNDS, files=[], actor=denied.applicant)


def test_the_rab_returns_it_for_a_new_review_with_new_reviewers(denied, rab_member, board):
    appeal = appeal_submit(application=denied, grounds=GROUNDS, files=[], actor=denied.applicant)
    appeal_determine(
        appeal=appeal,
        uphold=False,
        determination="Aim 2 is distinct: review it again.",
        actor=rab_member,
    )
    denied.refresh_from_db()
    assert denied.status == Application.Status.IN_REVIEW
    rounds = list(ReviewRound.objects.filter(application=denied).order_by("number"))
    assert [(r.number, r.current, r.stage) for r in rounds] == [
        (1, False, "decided"),
        (2, True, "awaiting_assignment"),
    ]
    with pytest.raises(ReviewRefused) as refused:
        assign(denied, board["chair"], reviewers_of(board))
    assert any("new reviewers" in p for p in refused.value.problems)
    assert board["chair"].notifications.filter(template="review_appeal_returned").exists()


def test_the_appeal_page_refuses_after_the_window_and_keeps_the_grounds(client, denied, settings):
    from review.models import Decision

    Decision.objects.update(
        recorded_at=timezone.now() - timedelta(days=settings.REVIEW_APPEAL_WINDOW_DAYS + 2)
    )
    client.force_login(denied.applicant)
    response = client.post(reverse("review:appeal", args=[denied.pk]), {"grounds": GROUNDS})
    assert response.status_code == 400
    page = response.content.decode()
    assert "appeal window closed" in page
    assert GROUNDS in page
    denied.refresh_from_db()
    assert denied.status == Application.Status.DENIED
