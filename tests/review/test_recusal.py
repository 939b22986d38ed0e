"""Conflicts of interest (issue item 3, policy 4.5): a reviewer declares before seeing the
application; a declared conflict recuses them: 404 on the application, its scores, its
discussion and its PDF; not counted toward quorum; shown leaving the room at the meeting."""

import pytest
from django.urls import reverse

from portal.errors import DomainError, PermissionRefused
from portal.models import AuditEvent
from review.errors import ReviewRefused
from review.models import Assignment, ReviewRound, ScoreSheet
from review.services import (
    Vote,
    chair_conflict_declare,
    conflict_declare,
    decision_record,
    score_sheet_save,
)
from review.services.meetings import quorum_for
from tests.review.conftest import (
    assign,
    declare_none,
    meeting_for,
    reviewers_of,
    sheet_data,
    submit_sheet,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def recused(in_review, board) -> Assignment:
    """The community partner is assigned with the three and declares a conflict."""
    assignments = assign(in_review, board["chair"], [*reviewers_of(board), board["community"]])
    conflict_declare(
        assignment=assignments[3],
        conflicted=True,
        conflict_type="collaborator",
        description="Co-authored a paper with the applicant in 2025.",
        actor=board["community"],
    )
    return Assignment.objects.get(pk=assignments[3].pk)


def test_before_declaring_a_reviewer_cannot_open_the_application(client, in_review, board):
    assignment = assign(in_review, board["chair"], reviewers_of(board))[0]
    client.force_login(assignment.reviewer)
    assert client.get(reverse("applications:detail", args=[in_review.pk])).status_code == 404
    declare = client.get(reverse("review:declare", args=[assignment.pk]))
    assert declare.status_code == 200
    assert in_review.title in declare.content.decode()
    declare_none(assignment)
    assert client.get(reverse("applications:detail", args=[in_review.pk])).status_code == 200
    assert client.get(reverse("applications:pdf", args=[in_review.pk])).status_code == 200


def test_a_declared_conflict_recuses_and_the_chair_is_told(recused, board):
    assert recused.state == Assignment.State.RECUSED
    assert ReviewRound.objects.get(application=recused.round.application).reviewers == 3
    assert board["chair"].notifications.filter(template="review_recused").exists()
    assert AuditEvent.objects.filter(action="conflict.declare").count() == 1


def test_a_conflict_needs_its_type_and_a_description(in_review, board):
    assignment = assign(in_review, board["chair"], reviewers_of(board))[0]
    with pytest.raises(ReviewRefused) as refused:
        conflict_declare(
            assignment=assignment,
            conflicted=True,
            conflict_type="",
            description="",
            actor=assignment.reviewer,
        )
    assert len(refused.value.problems) == 2
    assert Assignment.objects.get(pk=assignment.pk).state == Assignment.State.DECLARING


@pytest.mark.parametrize(
    "url",
    [
        "applications:detail",
        "applications:pdf",
        "review:overview",
        "review:scores",
        "review:discussion",
    ],
)
def test_a_recused_reviewer_gets_404_on_the_application_its_scores_discussion_and_pdf(
    client, recused, url
):
    client.force_login(recused.reviewer)
    assert client.get(reverse(url, args=[recused.round.application_id])).status_code == 404


def test_a_recused_reviewer_cannot_post_a_score_even_by_a_forged_request(client, recused):
    client.force_login(recused.reviewer)
    response = client.post(
        reverse("review:sheet", args=[recused.pk]), {"action": "submit", "overall": "1"}
    )
    assert response.status_code == 404
    with pytest.raises(PermissionRefused):
        score_sheet_save(assignment=recused, data=sheet_data(), submit=True, actor=recused.reviewer)
    assert not ScoreSheet.objects.exists()


def test_a_recused_member_does_not_count_toward_quorum_and_leaves_the_room(client, recused, board):
    application = recused.round.application
    for assignment in Assignment.objects.filter(state=Assignment.State.DECLARING):
        declare_none(assignment)
        submit_sheet(assignment)
    meeting = meeting_for(application, board)
    quorum = quorum_for(meeting, application)
    assert quorum.eligible == 4
    assert quorum.recused == [str(board["community"])]
    # Five present, one recused: a tally of five is more than may vote.
    with pytest.raises(ReviewRefused) as refused:
        decision_record(
            application=application,
            meeting=meeting,
            outcome="approve",
            vote=Vote(5, 0, 0),
            actor=board["chair"],
        )
    assert "only 4 members present may vote" in " ".join(refused.value.problems)
    client.force_login(board["scientist"])
    page = client.get(reverse("review:meeting", args=[meeting.pk])).content.decode()
    assert str(board["community"]) in page.split("data-recused-at-meeting>")[1]
    client.force_login(board["community"])
    page = client.get(reverse("review:meeting", args=[meeting.pk])).content.decode()
    assert "you are recused from this application" in page
    assert application.title not in page


def test_quorum_counts_only_members_present_and_not_recused(recused, board):
    application = recused.round.application
    for assignment in Assignment.objects.filter(state=Assignment.State.DECLARING):
        declare_none(assignment)
        submit_sheet(assignment)
    # Quorum is half the board of five, rounded up: 3. Present: two plus the recused one.
    meeting = meeting_for(
        application, board, present=[board["chair"], board["elsi"], board["community"]]
    )
    assert meeting.quorum == 3
    with pytest.raises(ReviewRefused) as refused:
        decision_record(
            application=application,
            meeting=meeting,
            outcome="approve",
            vote=Vote(2, 0, 0),
            actor=board["chair"],
        )
    assert "No quorum" in refused.value.problems[0]
    application.refresh_from_db()
    assert application.status == "in_review"


def test_a_conflicted_chair_hands_the_application_over_and_cannot_see_it(
    client, in_review, board, program_admin
):
    chair = board["chair"]
    with pytest.raises(ReviewRefused):
        chair_conflict_declare(
            application=in_review,
            conflict_type="personal",
            description="My former student.",
            hand_to=None,
            actor=chair,
        )
    chair_conflict_declare(
        application=in_review,
        conflict_type="advisor",
        description="My former doctoral student.",
        hand_to=program_admin,
        actor=chair,
    )
    client.force_login(chair)
    assert client.get(reverse("review:overview", args=[in_review.pk])).status_code == 404
    assert client.get(reverse("applications:detail", args=[in_review.pk])).status_code == 404
    queue = client.get(reverse("review:queue")).content.decode()
    assert in_review.reference not in queue
    with pytest.raises(DomainError):
        assign(in_review, chair, reviewers_of(board))
    # The program admin now acts for the board on it.
    assign(in_review, program_admin, reviewers_of(board))
    assert program_admin.notifications.filter(template="review_handed_over").exists()
