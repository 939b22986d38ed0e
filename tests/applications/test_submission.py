"""Submitting the package (policy 2.2, 2.3): refused with every problem listed and nothing
changed; accepted, it is kept exactly as submitted with its hash and everyone is told."""

from datetime import timedelta

import pytest
from django.core import mail

from applications.actions import ApplicationAction
from applications.errors import ApplicationIncomplete, NotEditable
from applications.models import Application, ApplicationUpload, SectionAnswer, Submission
from applications.sections import DEFAULT_SECTIONS
from applications.services import (
    application_details_save,
    application_section_save,
    application_submit,
    application_withdraw,
    snapshot_sha256,
    team_accept,
    team_invite,
    template_version_publish,
)
from portal.clock import program_today
from portal.models import AuditEvent, Consent, Notification
from portal.roles import Role
from tests.applications.conftest import add_upload, complete
from tests.factories import UserFactory, make_eligible

pytestmark = pytest.mark.django_db


def _assert_refused_unchanged(application: Application, anchor: str, words: str) -> None:
    events = AuditEvent.objects.count()
    with pytest.raises(ApplicationIncomplete) as refused:
        application_submit(application=application, actor=application.applicant)
    problems = refused.value.problems
    assert any(p.anchor == anchor and words in p.message for p in problems), problems
    application.refresh_from_db()
    assert application.status == Application.Status.DRAFT
    assert not Submission.objects.filter(application=application).exists()
    assert AuditEvent.objects.count() == events


def test_a_complete_package_is_submitted_kept_with_its_hash_and_everyone_is_told(
    complete_draft, prab_chair, program_admin
):
    submission = application_submit(application=complete_draft, actor=complete_draft.applicant)

    complete_draft.refresh_from_db()
    assert complete_draft.status == Application.Status.SUBMITTED
    assert submission.number == 1
    assert submission.snapshot["details"]["title"] == "Inflammation markers and sleep"
    assert submission.snapshot["lines"][0]["specimen_type"] == "plasma"
    assert submission.sha256 == snapshot_sha256(submission.snapshot)
    assert AuditEvent.objects.filter(action=ApplicationAction.APPLICATION_SUBMIT).count() == 1
    told = set(Notification.objects.values_list("user_id", "template"))
    assert (complete_draft.applicant_id, "application_submitted") in told
    assert (prab_chair.pk, "application_to_screen") in told
    assert (program_admin.pk, "application_to_screen") in told


def test_every_problem_is_listed_at_once(draft):
    with pytest.raises(ApplicationIncomplete) as refused:
        application_submit(application=draft, actor=draft.applicant)
    anchors = {p.anchor for p in refused.value.problems}
    assert {"id_public_summary", "id_funding_source", "section-abstract", "lines", "uploads"} <= (
        anchors
    )


@pytest.mark.parametrize(
    ("field", "value", "anchor", "words"),
    [
        ("public_summary", "", "id_public_summary", "plain-language summary"),
        ("funding_source", "", "id_funding_source", "public, commercial or both"),
        ("funding_status", "", "id_funding_status", "secured or contingent"),
        ("recontact_requested", None, "id_recontact_requested", "re-contacted"),
        ("recontact_requested", True, "id_recontact_justification", "Explain why"),
        ("derivatives_acknowledged", False, "id_derivatives_acknowledged", "4.8"),
        ("fee_acknowledged", False, "id_fee_acknowledged", "4.4"),
        ("funding_source", "commercial", "id_commercial_terms_accepted", "4.7"),
    ],
)
def test_submission_refused_for_each_missing_declaration(
    complete_draft, field, value, anchor, words
):
    application_details_save(
        application=complete_draft, changes={field: value}, actor=complete_draft.applicant
    )
    _assert_refused_unchanged(complete_draft, anchor, words)


def test_submission_refused_for_a_missing_required_section(complete_draft):
    answer = SectionAnswer.objects.get(application=complete_draft, key="risks")
    application_section_save(
        application=complete_draft,
        key="risks",
        text="  ",
        base_revision=answer.revision,
        actor=complete_draft.applicant,
    )
    _assert_refused_unchanged(complete_draft, "section-risks", "Risks to participants")


def test_submission_refused_for_a_section_over_its_limit_which_keeps_the_text(complete_draft):
    long_text = "x" * 3001
    answer = application_section_save(
        application=complete_draft,
        key="abstract",
        text=long_text,
        base_revision=1,
        actor=complete_draft.applicant,
    )
    assert answer.text == long_text  # nothing typed is lost
    _assert_refused_unchanged(complete_draft, "section-abstract", "the limit is 3,000")


def test_submission_refused_without_a_specimen_line(complete_draft):
    complete_draft.lines.all().delete()
    _assert_refused_unchanged(complete_draft, "lines", "specimen line")


def test_submission_refused_without_proof_of_secured_funding(complete_draft):
    complete_draft.uploads.filter(kind=ApplicationUpload.Kind.FUNDING_PROOF).delete()
    _assert_refused_unchanged(complete_draft, "uploads", "proof of funding")


def test_contingent_funding_needs_no_proof_yet(complete_draft):
    complete_draft.uploads.filter(kind=ApplicationUpload.Kind.FUNDING_PROOF).delete()
    application_details_save(
        application=complete_draft,
        changes={"funding_status": Application.FundingStatus.CONTINGENT},
        actor=complete_draft.applicant,
    )
    application_submit(application=complete_draft, actor=complete_draft.applicant)


def test_submission_refused_without_the_applicants_cv(complete_draft):
    complete_draft.uploads.filter(kind=ApplicationUpload.Kind.CV).delete()
    _assert_refused_unchanged(complete_draft, "uploads", "your own CV")


def test_submission_refused_while_the_applicant_is_not_eligible(complete_draft):
    Consent.objects.filter(user=complete_draft.applicant).delete()
    _assert_refused_unchanged(complete_draft, "team", "access requirement")


def test_submission_refused_until_every_team_member_accepts_and_is_eligible(complete_draft):
    colleague = UserFactory(full_name="Rosa Parkes", roles=[Role.RESEARCHER], two_factor=True)
    member = team_invite(
        application=complete_draft,
        email=colleague.email,
        role_on_project="co-investigator",
        actor=complete_draft.applicant,
    )
    add_upload(complete_draft, ApplicationUpload.Kind.CV, person=colleague)
    _assert_refused_unchanged(complete_draft, f"member-{member.pk}", "has not accepted")

    team_accept(member=member, actor=colleague)
    _assert_refused_unchanged(complete_draft, f"member-{member.pk}", "access requirement")

    make_eligible(colleague)
    application_submit(application=complete_draft, actor=complete_draft.applicant)


def test_submission_refused_when_the_template_version_is_no_longer_accepted(
    complete_draft, program_admin
):
    template_version_publish(
        template=complete_draft.template_version.template,
        sections=list(DEFAULT_SECTIONS),
        fee_schedule=[],
        notes="Clearer guidance.",
        previous_accepted_until=program_today() - timedelta(days=1),
        actor=program_admin,
    )
    complete_draft.refresh_from_db()
    _assert_refused_unchanged(complete_draft, "template", "no longer accepted")


def test_an_ai_an_request_needs_the_extra_fields(complete_draft):
    from applications.services import specimen_line_add
    from tests.applications.conftest import PLASMA

    specimen_line_add(
        application=complete_draft,
        line=PLASMA.__class__(**{**PLASMA.__dict__, "includes_ai_an": True}),
        actor=complete_draft.applicant,
    )
    complete_draft.refresh_from_db()
    assert complete_draft.includes_ai_an
    _assert_refused_unchanged(complete_draft, "section-ai_an_consultation", "Tribal consultation")


def test_a_submitted_package_is_read_only(complete_draft):
    application_submit(application=complete_draft, actor=complete_draft.applicant)

    with pytest.raises(NotEditable, match="can no longer be changed"):
        application_details_save(
            application=complete_draft, changes={"title": "Changed"}, actor=complete_draft.applicant
        )
    complete_draft.refresh_from_db()
    assert complete_draft.title == "Inflammation markers and sleep"


def test_the_applicant_withdraws_before_a_decision_and_the_team_is_told(complete_draft):
    application_submit(application=complete_draft, actor=complete_draft.applicant)
    mail.outbox.clear()

    application_withdraw(application=complete_draft, actor=complete_draft.applicant)

    complete_draft.refresh_from_db()
    assert complete_draft.status == Application.Status.WITHDRAWN
    assert complete_draft.submissions.get().outcome == Submission.Outcome.WITHDRAWN
    assert AuditEvent.objects.filter(action=ApplicationAction.APPLICATION_WITHDRAW).count() == 1


def test_only_the_applicant_submits(complete_draft):
    from portal.errors import PermissionRefused

    other = make_eligible(UserFactory(roles=[Role.RESEARCHER], two_factor=True))
    with pytest.raises(PermissionRefused):
        application_submit(application=complete_draft, actor=other)
    complete_draft.refresh_from_db()
    assert complete_draft.status == Application.Status.DRAFT


def test_complete_fixture_is_submittable_for_a_fresh_applicant(eligible_researcher):
    from applications.services import application_start

    application = complete(application_start(actor=eligible_researcher, title="Another"))
    application_submit(application=application, actor=eligible_researcher)
