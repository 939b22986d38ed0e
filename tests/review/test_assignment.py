"""Assignment (issue item 2) and suggested conflicts of interest (item 3): the chair assigns
at least three reviewers with a participant representative and an ELSI member; the page
suggests reviewers by expertise and load and flags likely conflicts."""

from datetime import timedelta

import pytest
from django.urls import reverse

from portal.clock import program_today
from portal.errors import DomainError
from portal.models import AuditEvent
from review.errors import ReviewRefused
from review.models import Assignment, ConflictDeclaration, ConflictSuggestion, ReviewRound
from review.services import review_assign, suggestion_decide
from tests.review.conftest import assign, reviewers_of

pytestmark = pytest.mark.django_db


def set_institution(user, institution: str) -> None:
    from portal.onboarding.models import ResearcherProfile

    ResearcherProfile.objects.filter(user=user).update(institution=institution)


def test_accepting_into_review_opens_a_round_awaiting_assignment(in_review):
    round_ = ReviewRound.objects.get(application=in_review)
    assert (round_.number, round_.current, round_.stage) == (1, True, "awaiting_assignment")


def test_the_chair_assigns_three_reviewers_who_are_asked_to_declare_first(in_review, board):
    assignments = assign(in_review, board["chair"], reviewers_of(board))

    round_ = ReviewRound.objects.get(application=in_review)
    assert (round_.stage, round_.reviewers, round_.sheets_submitted) == ("in_review", 3, 0)
    assert {a.state for a in assignments} == {Assignment.State.DECLARING}
    assert AuditEvent.objects.filter(action="review.assign").count() == 1
    for reviewer in reviewers_of(board):
        assert reviewer.notifications.filter(template="review_assigned").exists()


def test_assignment_is_refused_listing_every_missing_expertise_and_nothing_changes(
    in_review, board
):
    with pytest.raises(ReviewRefused) as refused:
        assign(in_review, board["chair"], [board["scientist"], board["community"]])
    problems = " ".join(refused.value.problems)
    assert "at least 3 reviewers" in problems
    assert "participant representative" in problems
    assert "ELSI" in problems
    assert not Assignment.objects.exists()
    assert not AuditEvent.objects.filter(action="review.assign").exists()


def test_a_due_date_in_the_past_and_someone_off_the_board_are_refused(in_review, board, researcher):
    with pytest.raises(ReviewRefused) as refused:
        review_assign(
            application=in_review,
            reviewers=[*reviewers_of(board), researcher],
            due_on=program_today() - timedelta(days=1),
            actor=board["chair"],
        )
    assert "Choose a due date after today." in refused.value.problems
    assert f"{researcher} is not a PRAB member." in refused.value.problems
    assert not Assignment.objects.exists()


def test_only_the_chair_assigns(in_review, board):
    from portal.errors import PermissionRefused

    with pytest.raises(PermissionRefused):
        assign(in_review, board["scientist"], reviewers_of(board))
    assert not Assignment.objects.exists()
    assert ReviewRound.objects.get(application=in_review).stage == "awaiting_assignment"


def test_a_shared_institution_with_the_applicant_is_suggested_and_blocks_assignment(
    in_review, board
):
    set_institution(in_review.applicant, "Lakeside University")
    from review.selectors.records import suggested_conflicts

    suggested = suggested_conflicts(in_review)
    assert "principal investigator" in suggested[board["scientist"].pk]
    with pytest.raises(ReviewRefused) as refused:
        assign(in_review, board["chair"], reviewers_of(board))
    assert any("may have a conflict" in p for p in refused.value.problems)


def test_a_dismissed_suggestion_stays_dismissed_and_a_confirmed_one_recuses(in_review, board):
    set_institution(in_review.applicant, "Lakeside University")
    chair = board["chair"]
    with pytest.raises(DomainError, match="at least 10 characters"):
        suggestion_decide(
            application=in_review, member=board["scientist"], confirm=False, reason="", actor=chair
        )
    assert not ConflictSuggestion.objects.exists()
    suggestion_decide(
        application=in_review,
        member=board["scientist"],
        confirm=False,
        reason="Different campus and department; they have never met.",
        actor=chair,
    )
    from review.selectors.records import suggested_conflicts

    assert board["scientist"].pk not in suggested_conflicts(in_review)
    assign(in_review, chair, reviewers_of(board))  # no longer blocked
    suggestion = ConflictSuggestion.objects.get(member=board["scientist"])
    assert suggestion.state == "dismissed"
    assert AuditEvent.objects.filter(action="conflict_suggestion.dismiss").count() == 1


def test_confirming_a_suggestion_recuses_the_member(in_review, board):
    set_institution(in_review.applicant, "Coastal Center for Bioethics")
    suggestion_decide(
        application=in_review, member=board["elsi"], confirm=True, reason="", actor=board["chair"]
    )
    declaration = ConflictDeclaration.objects.get(member=board["elsi"])
    assert (declaration.conflicted, declaration.source) == (True, "chair")
    with pytest.raises(ReviewRefused) as refused:
        assign(in_review, board["chair"], reviewers_of(board))
    assert any("is recused" in p for p in refused.value.problems)


def test_a_member_on_the_team_is_suggested(in_review, board):
    from django.utils import timezone

    from applications.models import TeamMember
    from review.selectors.records import suggested_conflicts

    TeamMember.objects.create(
        application=in_review,
        user=board["community"],
        role_on_project="Adviser",
        invited_by=in_review.applicant,
        invited_at=timezone.now(),
    )
    assert "team member" in suggested_conflicts(in_review)[board["community"].pk]


def test_the_assignment_page_suggests_members_by_expertise_and_load(client, in_review, board):
    client.force_login(board["chair"])
    page = client.get(reverse("review:assign", args=[in_review.pk])).content.decode()
    for person in reviewers_of(board):
        assert f'data-candidate="{person.pk}"' in page
    assert "Participant representative" in page
    assert "Open reviews" in page


def test_the_assignment_page_keeps_the_choice_and_says_what_is_missing(client, in_review, board):
    client.force_login(board["chair"])
    due = (program_today() + timedelta(days=10)).isoformat()
    response = client.post(
        reverse("review:assign", args=[in_review.pk]),
        {"reviewers": [board["scientist"].pk], "due_on": due},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Include a participant representative" in page
    assert f'value="{board["scientist"].pk}" id="reviewer-{board["scientist"].pk}" checked' in page
    assert f'value="{due}"' in page


def test_the_chair_removes_an_unsubmitted_assignment_with_a_reason(client, in_review, board):
    assignments = assign(in_review, board["chair"], reviewers_of(board))
    client.force_login(board["chair"])
    url = reverse("review:unassign", args=[assignments[0].pk])
    refused = client.post(url, {"reason": ""}, follow=True).content.decode()
    assert "Say why the reviewer is removed" in refused
    assert Assignment.objects.get(pk=assignments[0].pk).state == Assignment.State.DECLARING
    client.post(url, {"reason": "On leave until March; cannot review in time."})
    removed = Assignment.objects.get(pk=assignments[0].pk)
    assert removed.state == Assignment.State.REMOVED
    assert ReviewRound.objects.get(application=in_review).stage == "awaiting_assignment"
    assert AuditEvent.objects.filter(action="assignment.remove").count() == 1
    page = client.get(reverse("review:overview", args=[in_review.pk])).content.decode()
    assert "On leave until March" in page


def test_only_the_chair_removes_a_reviewer(client, in_review, board):
    assignments = assign(in_review, board["chair"], reviewers_of(board))
    client.force_login(board["scientist"])
    response = client.post(
        reverse("review:unassign", args=[assignments[1].pk]), {"reason": "Not my call at all."}
    )
    assert response.status_code == 404
    assert Assignment.objects.get(pk=assignments[1].pk).state == Assignment.State.DECLARING
