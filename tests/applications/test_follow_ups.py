"""Amendments (3.2) and additional-specimen requests (2.3): linked to the approved original,
pre-filled from it, and compared with it side by side."""

import pytest
from django.urls import reverse

from applications.diff import package_diff
from applications.models import Application, SectionAnswer
from applications.services import (
    application_follow_up_start,
    application_section_save,
    application_submit,
)
from portal.errors import DomainError

pytestmark = pytest.mark.django_db


@pytest.fixture
def approved(complete_draft):
    application_submit(application=complete_draft, actor=complete_draft.applicant)
    # Approval belongs to board review; until it exists the state is set directly.
    Application.objects.filter(pk=complete_draft.pk).update(status=Application.Status.APPROVED)
    complete_draft.refresh_from_db()
    return complete_draft


def test_an_amendment_starts_prefilled_and_linked_to_its_original(approved):
    amendment = application_follow_up_start(
        original=approved, kind=Application.Kind.AMENDMENT, actor=approved.applicant
    )

    assert amendment.original == approved
    assert amendment.status == Application.Status.DRAFT
    assert amendment.title == approved.title
    assert amendment.lines.count() == approved.lines.count()
    assert (
        SectionAnswer.objects.get(application=amendment, key="aims").text
        == "Answer to Research aims."
    )
    assert not amendment.fee_acknowledged  # asked again
    assert package_diff(amendment) == []


def test_the_changes_page_shows_each_changed_section_side_by_side(client, approved):
    amendment = application_follow_up_start(
        original=approved, kind=Application.Kind.ADDITIONAL_SPECIMENS, actor=approved.applicant
    )
    answer = SectionAnswer.objects.get(application=amendment, key="aims")
    application_section_save(
        application=amendment,
        key="aims",
        text="Answer to Research aims, and a <new> aim.",
        base_revision=answer.revision,
        actor=approved.applicant,
    )
    client.force_login(approved.applicant)
    html = client.get(reverse("applications:changes", args=[amendment.pk])).content.decode()

    assert "Research aims" in html
    assert "<ins>" in html
    assert "&lt;new&gt;" in html  # the applicant's text is escaped
    assert html.count("data-change") == 1


def test_a_follow_up_starts_only_from_an_approved_application(complete_draft):
    with pytest.raises(DomainError, match="approved application"):
        application_follow_up_start(
            original=complete_draft, kind=Application.Kind.AMENDMENT, actor=complete_draft.applicant
        )
    assert Application.objects.count() == 1


def test_an_additional_specimen_request_must_say_whether_scope_is_unchanged(approved):
    from applications.checks import submission_problems

    request = application_follow_up_start(
        original=approved, kind=Application.Kind.ADDITIONAL_SPECIMENS, actor=approved.applicant
    )
    assert "id_scope_unchanged" in {p.anchor for p in submission_problems(request)}
