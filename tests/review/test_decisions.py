"""Meetings and decisions (issue items 7, 8, 9, 11): recorded by the chair at a meeting with
quorum, with the vote tally and recused members excluded; never while a question to the
RAB is open; AI/AN requests only at a meeting held for them after a consultation; the
applicant is told with the comments meant for them and nothing confidential."""

from datetime import timedelta

import pytest
from django.urls import reverse

from applications.models import Application, ApplicationUpload
from portal.clock import program_today
from portal.errors import DomainError, TransitionNotAllowed
from portal.models import AuditEvent
from review.errors import ReviewRefused
from review.models import Assignment, Decision, ReviewRound, ScoreSheet
from review.services import (
    Vote,
    application_resubmit,
    approve_without_review,
    consultation_record,
    decision_record,
    escalate,
    escalation_answer,
    funding_accept,
    recontact_decide,
)
from tests.applications.conftest import add_upload
from tests.review.conftest import CARRIES, make_ready, meeting_for, new_in_review

pytestmark = pytest.mark.django_db


def decide(application, meeting, chair, outcome="approve", vote=CARRIES, **text):
    return decision_record(
        application=application, meeting=meeting, outcome=outcome, vote=vote, actor=chair, **text
    )


def test_the_chair_records_an_approval_and_the_applicant_is_told_without_confidential_comments(
    ready, meeting, board
):
    decision = decide(ready, meeting, board["chair"], comments_for_applicant="Well argued.")
    ready.refresh_from_db()
    assert ready.status == Application.Status.APPROVED
    assert (decision.votes_for, decision.eligible, decision.recused) == (4, 5, [])
    assert ReviewRound.objects.get(application=ready).stage == "decided"
    assert AuditEvent.objects.filter(action="review.decide").count() == 1
    notice = ready.applicant.notifications.get(template="review_decision")
    assert "Well argued." in notice.body_text
    assert "A clear application" in notice.body_text  # reviewers' comments for the applicant
    assert "CONFIDENTIAL" not in notice.body_text + notice.body_html


def test_the_applicant_sees_the_outcome_on_the_package_page_and_nothing_confidential(
    client, ready, meeting, board
):
    decide(ready, meeting, board["chair"], comments_for_applicant="Well argued.")
    client.force_login(ready.applicant)
    page = client.get(reverse("applications:detail", args=[ready.pk])).content.decode()
    assert "data-board-outcome" in page
    assert "Well argued." in page
    assert "CONFIDENTIAL" not in page
    assert client.get(reverse("review:scores", args=[ready.pk])).status_code == 404


def test_a_decision_is_refused_while_a_question_to_the_rab_is_open(
    ready, meeting, board, rab_member
):
    question = escalate(
        application=ready, question="Does policy 4.7 apply here?", actor=board["chair"]
    )
    assert rab_member.notifications.filter(template="review_escalation").exists()
    with pytest.raises(ReviewRefused) as refused:
        decide(ready, meeting, board["chair"])
    assert "question to the RAB is open" in " ".join(refused.value.problems)
    ready.refresh_from_db()
    assert ready.status == Application.Status.IN_REVIEW
    assert not Decision.objects.exists()
    escalation_answer(
        escalation=question, determination="It does not: no commercial use.", actor=rab_member
    )
    assert board["chair"].notifications.filter(template="review_escalation_answered").exists()
    decide(ready, meeting, board["chair"])


def test_a_decision_is_refused_before_every_sheet_is_in(in_review, board):
    from tests.review.conftest import assign, reviewers_of

    assign(in_review, board["chair"], reviewers_of(board))
    meeting = meeting_for(in_review, board)
    with pytest.raises(ReviewRefused) as refused:
        decide(in_review, meeting, board["chair"])
    assert "score sheet must be in" in refused.value.problems[0]
    in_review.refresh_from_db()
    assert in_review.status == Application.Status.IN_REVIEW
    assert not Decision.objects.exists()


def test_a_motion_that_does_not_carry_is_refused(ready, meeting, board):
    with pytest.raises(ReviewRefused) as refused:
        decide(ready, meeting, board["chair"], vote=Vote(2, 2, 1))
    assert "does not carry" in refused.value.problems[0]
    ready.refresh_from_db()
    assert ready.status == Application.Status.IN_REVIEW
    assert not Decision.objects.exists()
    assert not AuditEvent.objects.filter(action="review.decide").exists()


def test_a_denial_needs_reasons_and_revisions_need_the_changes(ready, meeting, board):
    with pytest.raises(ReviewRefused, match="reasons"):
        decide(ready, meeting, board["chair"], outcome="deny")
    with pytest.raises(ReviewRefused, match="changes"):
        decide(ready, meeting, board["chair"], outcome="revisions")
    ready.refresh_from_db()
    assert ready.status == Application.Status.IN_REVIEW
    assert not Decision.objects.exists()


def test_deferral_keeps_the_application_in_review_for_a_later_meeting(ready, meeting, board):
    decide(ready, meeting, board["chair"], outcome="defer")
    ready.refresh_from_db()
    assert ready.status == Application.Status.IN_REVIEW
    assert ReviewRound.objects.get(application=ready).stage == "deferred"
    with pytest.raises(ReviewRefused, match="already recorded at this meeting"):
        decide(ready, meeting, board["chair"])
    later = meeting_for(ready, board)
    decide(ready, later, board["chair"])
    ready.refresh_from_db()
    assert ready.status == Application.Status.APPROVED


def test_an_ai_an_request_is_decided_only_at_its_meeting_after_a_consultation(board):
    chair = board["chair"]
    application = new_in_review(chair)
    Application.objects.filter(pk=application.pk).update(includes_ai_an=True)
    application.refresh_from_db()
    make_ready(application, board)
    with pytest.raises(DomainError, match="meeting held for that review"):
        meeting_for(application, board)
    meeting = meeting_for(application, board, ai_an_review=True)
    with pytest.raises(ReviewRefused, match="consultation"):
        decide(application, meeting, chair)
    consultation_record(
        application=application,
        party="tribal",
        held_on=program_today(),
        summary="The tribal research review board supports the study.",
        actor=chair,
    )
    decide(application, meeting, chair)


def test_conditional_approval_becomes_approval_when_staff_accept_the_proof_of_funding(
    ready, meeting, board, biobank_staff
):
    decide(ready, meeting, board["chair"], outcome="conditional")
    ready.refresh_from_db()
    assert ready.status == Application.Status.CONDITIONALLY_APPROVED
    with pytest.raises(DomainError, match="No proof of funding was uploaded"):
        funding_accept(application=ready, actor=biobank_staff)
    ready.refresh_from_db()
    assert ready.status == Application.Status.CONDITIONALLY_APPROVED
    add_upload(ready, ApplicationUpload.Kind.FUNDING_PROOF)
    funding_accept(application=ready, actor=biobank_staff)
    ready.refresh_from_db()
    assert ready.status == Application.Status.APPROVED
    assert Decision.objects.get().funding_accepted_by == biobank_staff
    assert ready.applicant.notifications.filter(template="review_funding_accepted").exists()
    assert AuditEvent.objects.filter(action="review.funding_accept").count() == 1


def test_the_applicant_can_upload_the_proof_of_funding_after_a_conditional_approval(
    ready, meeting, board, settings, tmp_path
):
    from django.core.files.base import ContentFile

    from applications.demo import demo_pdf
    from applications.services.uploads import application_upload_add

    settings.PRIVATE_DOCUMENT_ROOT = tmp_path
    decide(ready, meeting, board["chair"], outcome="conditional")
    application_upload_add(
        application=Application.objects.get(pk=ready.pk),
        kind=ApplicationUpload.Kind.FUNDING_PROOF,
        upload=ContentFile(demo_pdf("Award letter"), name="award.pdf"),
        actor=ready.applicant,
    )
    with pytest.raises(DomainError):
        application_upload_add(
            application=Application.objects.get(pk=ready.pk),
            kind=ApplicationUpload.Kind.OTHER,
            upload=ContentFile(demo_pdf("Other"), name="other.pdf"),
            actor=ready.applicant,
        )


def test_revisions_go_back_to_the_same_reviewers_who_see_what_changed(
    client, ready, meeting, board
):
    from applications.services import application_section_save

    decide(
        ready,
        meeting,
        board["chair"],
        outcome="revisions",
        required_changes="Add the power calculation for aim 2.",
    )
    ready.refresh_from_db()
    assert ready.status == Application.Status.REVISIONS_REQUESTED
    assert ready.editable
    answer = ready.answers.get(key="aims")
    application_section_save(
        application=ready,
        key="aims",
        text=answer.text + " Aim 2 is powered at 90%.",
        base_revision=answer.revision,
        actor=ready.applicant,
    )
    application_resubmit(application=ready, actor=ready.applicant)
    ready.refresh_from_db()
    assert ready.status == Application.Status.IN_REVIEW
    assert ready.submissions.count() == 2
    round_ = ReviewRound.objects.get(application=ready)
    assert (round_.number, round_.stage, round_.sheets_submitted) == (1, "in_review", 0)
    assert set(Assignment.objects.values_list("state", flat=True)) == {"reviewing"}
    assert not ScoreSheet.objects.filter(submitted_at__isnull=False).exists()
    reviewer = Assignment.objects.first().reviewer
    assert reviewer.notifications.filter(template="review_resubmitted").exists()
    client.force_login(reviewer)
    changes = client.get(reverse("review:changes", args=[ready.pk])).content.decode()
    assert "<ins>" in changes
    assert "powered at 90%" in changes
    assert AuditEvent.objects.filter(action="application.resubmit").count() == 1


def test_an_additional_specimen_request_with_the_scope_unchanged_is_approved_without_review(
    ready, meeting, board
):
    from applications.services import (
        application_accept,
        application_details_save,
        application_follow_up_start,
        application_screen,
        application_submit,
    )

    chair = board["chair"]
    decide(ready, meeting, chair)
    pi = ready.applicant
    more = application_follow_up_start(
        original=Application.objects.get(pk=ready.pk), kind="additional_specimens", actor=pi
    )
    application_details_save(
        application=more,
        changes={
            "scope_unchanged": True,
            "derivatives_acknowledged": True,
            "fee_acknowledged": True,
        },
        actor=pi,
    )
    add_upload(more, ApplicationUpload.Kind.FUNDING_PROOF)
    add_upload(more, ApplicationUpload.Kind.CV, person=pi)
    application_submit(application=more, actor=pi)
    application_screen(application=more, actor=chair)
    application_accept(application=more, actor=chair)
    decision = approve_without_review(application=more, comments_for_applicant="", actor=chair)
    more.refresh_from_db()
    assert more.status == Application.Status.APPROVED
    assert decision.outcome == Decision.Outcome.APPROVE_WITHOUT_REVIEW
    assert ReviewRound.objects.get(application=more).full_review is False
    assert AuditEvent.objects.filter(action="review.approve_without_review").count() == 1


def test_approval_without_review_is_refused_for_a_new_application(ready, board):
    with pytest.raises(ReviewRefused) as refused:
        approve_without_review(application=ready, comments_for_applicant="", actor=board["chair"])
    assert "Only a request for additional specimens" in refused.value.problems[0]
    ready.refresh_from_db()
    assert ready.status == Application.Status.IN_REVIEW


def test_recontact_needs_its_own_explicitly_recorded_approval(board):
    chair = board["chair"]
    application = new_in_review(
        chair,
        recontact_requested=True,
        recontact_justification="To invite them to a follow-up visit.",
    )
    make_ready(application, board)
    meeting = meeting_for(application, board)
    decide(application, meeting, chair)
    application.refresh_from_db()
    assert not application.recontact_decisions.exists()  # approval of the study is not re-contact
    record = recontact_decide(
        application=application,
        meeting=meeting,
        approved=True,
        vote=CARRIES,
        conditions="Only through the program's participant portal.",
        actor=chair,
    )
    assert record.approved
    assert AuditEvent.objects.filter(action="review.recontact_decide").count() == 1


def test_the_minutes_list_who_was_present_recused_and_decided(client, ready, meeting, board):
    from tests.helpers import pdf_text

    decide(ready, meeting, board["chair"])
    client.force_login(board["chair"])
    response = client.get(reverse("review:minutes", args=[meeting.pk]))
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert ready.reference in text
    assert "Approved" in text
    assert str(board["elsi"]) in text


def test_the_decision_page_refuses_without_quorum_and_keeps_the_form(client, ready, board):
    meeting = meeting_for(ready, board, present=[board["chair"]])
    client.force_login(board["chair"])
    response = client.post(
        reverse("review:decide", args=[meeting.pk, ready.pk]),
        {
            "form": "decision",
            "outcome": "approve",
            "votes_for": "1",
            "votes_against": "0",
            "abstentions": "0",
            "comments_for_applicant": "Kept text",
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "No quorum" in page
    assert "Kept text" in page
    ready.refresh_from_db()
    assert ready.status == "in_review"


def test_the_chair_cannot_decide_an_application_twice(ready, meeting, board):
    decide(ready, meeting, board["chair"])
    with pytest.raises(TransitionNotAllowed):
        decide(
            ready, meeting, board["chair"], outcome="deny", reasons="Changed our minds entirely."
        )
    assert AuditEvent.objects.filter(action="review.decide").count() == 1


def test_reviews_due_in_three_days_and_overdue_are_reminded_once(in_review, board):
    from review.services import review_reminders_send
    from tests.review.conftest import assign, reviewers_of

    assignments = assign(in_review, board["chair"], reviewers_of(board))
    due = assignments[0].due_on
    assert review_reminders_send(today=due - timedelta(days=3)) == 3
    assert review_reminders_send(today=due - timedelta(days=3)) == 0
    assert review_reminders_send(today=due + timedelta(days=1)) == 3
    assert review_reminders_send(today=due + timedelta(days=2)) == 0
    reviewer = assignments[0].reviewer
    assert reviewer.notifications.filter(template="review_due").count() == 1
    assert reviewer.notifications.filter(template="review_overdue").count() == 1


@pytest.mark.pdf
def test_the_minutes_render_as_a_real_pdf_with_the_recused_members(client, ready, meeting, board):
    from tests.helpers import pdf_text

    decide(ready, meeting, board["chair"], comments_for_applicant="Well argued.")
    client.force_login(board["chair"])
    data = client.get(reverse("review:minutes", args=[meeting.pk])).content
    assert data.startswith(b"%PDF")
    text = " ".join(pdf_text(data).split())
    assert "Minutes: PRAB meeting" in text
    assert ready.reference in text
    assert "4 for, 1 against" in text


def test_the_chair_writes_notes_that_the_minutes_print(client, meeting, board):
    from review.models import Meeting
    from tests.helpers import pdf_text

    client.force_login(board["chair"])
    client.post(
        reverse("review:meeting-notes", args=[meeting.pk]),
        {"notes": "The board thanked the outgoing participant representative."},
    )
    assert "outgoing participant" in Meeting.objects.get(pk=meeting.pk).notes
    assert AuditEvent.objects.filter(action="meeting.notes_save").count() == 1
    text = pdf_text(client.get(reverse("review:minutes", args=[meeting.pk])).content)
    assert "outgoing participant representative" in " ".join(text.split())
    client.force_login(board["scientist"])
    denied = client.post(reverse("review:meeting-notes", args=[meeting.pk]), {"notes": "x"})
    assert denied.status_code == 404
