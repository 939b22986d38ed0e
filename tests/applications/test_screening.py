"""Screening (issue item 9): the PRAB chair or a program admin takes a submitted application,
accepts it into review or returns it with comments; a returned one is fixed and resubmitted,
and each submission is kept."""

import pytest

from applications.actions import ApplicationAction
from applications.models import Application, SectionAnswer, Submission
from applications.services import (
    application_accept,
    application_return,
    application_screen,
    application_section_save,
    application_submit,
)
from portal.errors import DomainError, PermissionRefused, TransitionNotAllowed
from portal.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def submitted(complete_draft):
    application_submit(application=complete_draft, actor=complete_draft.applicant)
    return complete_draft


def test_the_chair_accepts_a_screened_application_into_review(submitted, prab_chair):
    application_screen(application=submitted, actor=prab_chair)
    application_accept(application=submitted, actor=prab_chair)

    submitted.refresh_from_db()
    assert submitted.status == Application.Status.IN_REVIEW
    submission = submitted.submissions.get()
    assert (submission.outcome, submission.screened_by) == (Submission.Outcome.ACCEPTED, prab_chair)
    assert AuditEvent.objects.filter(action=ApplicationAction.APPLICATION_ACCEPT).count() == 1
    assert submitted.applicant.notifications.filter(template="application_accepted").exists()


def test_a_returned_application_is_fixed_and_resubmitted_and_both_submissions_are_kept(
    submitted, program_admin
):
    application_screen(application=submitted, actor=program_admin)
    application_return(
        application=submitted,
        comments="The power analysis is missing its effect size.",
        actor=program_admin,
    )
    submitted.refresh_from_db()
    assert submitted.status == Application.Status.RETURNED
    notice = submitted.applicant.notifications.get(template="application_returned")
    assert "effect size" in notice.body_text

    answer = SectionAnswer.objects.get(application=submitted, key="statistical_power")
    application_section_save(
        application=submitted,
        key="statistical_power",
        text="80% power for an effect size of 0.3.",
        base_revision=answer.revision,
        actor=submitted.applicant,
    )
    second = application_submit(application=submitted, actor=submitted.applicant)

    assert second.number == 2
    first = submitted.submissions.get(number=1)
    assert first.outcome == Submission.Outcome.RETURNED
    assert (
        first.snapshot["sections"]["statistical_power"]
        != (second.snapshot["sections"]["statistical_power"])
    )


def test_returning_needs_comments_the_applicant_can_act_on(submitted, prab_chair):
    application_screen(application=submitted, actor=prab_chair)
    with pytest.raises(DomainError, match="at least 10 characters"):
        application_return(application=submitted, comments="no", actor=prab_chair)
    submitted.refresh_from_db()
    assert submitted.status == Application.Status.SCREENING


def test_a_researcher_cannot_screen(submitted):
    with pytest.raises(PermissionRefused):
        application_screen(application=submitted, actor=submitted.applicant)


def test_a_draft_cannot_be_accepted(complete_draft, prab_chair):
    with pytest.raises(TransitionNotAllowed):
        application_accept(application=complete_draft, actor=prab_chair)
    complete_draft.refresh_from_db()
    assert complete_draft.status == Application.Status.DRAFT
