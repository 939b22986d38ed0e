"""Conflicts of interest (issue item 3, policy 4.5): a reviewer declares before seeing the
application; a declared conflict recuses them: 404 on the application, its scores, its
discussion and its PDF; not counted toward quorum; shown leaving the room at the meeting."""

import pytest
from django.urls import reverse

from portal.errors import DomainError, PermissionRefused
from portal.models import AuditEvent
from review.errors import ReviewRefused
from review.models import Assignment, ReviewRound, ScoreSheet
from review.selectors.records import quorum_for
from review.services import (
    Vote,
    chair_conflict_declare,
    conflict_declare,
    decision_record,
    score_sheet_save,
)
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


def test_the_minutes_a_recused_member_downloads_hide_what_they_are_recused_from(
    client, recused, board
):
    from tests.helpers import pdf_text

    application = recused.round.application
    for assignment in Assignment.objects.filter(state=Assignment.State.DECLARING):
        declare_none(assignment)
        submit_sheet(assignment)
    meeting = meeting_for(application, board)
    decision_record(
        application=application,
        meeting=meeting,
        outcome="deny",
        vote=Vote(3, 1, 0),
        reasons="The power analysis is missing entirely.",
        actor=board["chair"],
    )
    client.force_login(board["community"])
    text = " ".join(
        pdf_text(client.get(reverse("review:minutes", args=[meeting.pk])).content).split()
    )
    assert application.reference in text
    assert "You are recused from this application" in text
    assert application.title not in text
    assert "power analysis is missing" not in text
    client.force_login(board["scientist"])
    text = " ".join(
        pdf_text(client.get(reverse("review:minutes", args=[meeting.pk])).content).split()
    )
    assert "power analysis is missing" in text


def test_a_recused_chair_does_not_meet_the_application_elsewhere_either(
    client, board, program_admin
):
    from django.utils import timezone

    from review.services import meeting_schedule
    from tests.review.conftest import new_in_review

    chair = board["chair"]
    hidden = new_in_review(chair, title="Inflammation markers and sleep, the first study")
    other = new_in_review(chair, title="Inflammation markers and sleep, a replication")
    chair_conflict_declare(
        application=hidden,
        conflict_type="personal",
        description="My spouse leads this study.",
        hand_to=program_admin,
        actor=chair,
    )
    meeting = meeting_schedule(
        title="PRAB meeting",
        kind="regular",
        ai_an_review=False,
        starts_at=timezone.now(),
        actor=chair,
    )
    from review.selectors import similar_applications

    assert hidden.pk in [s.pk for s in similar_applications(other)]  # to everyone else
    client.force_login(chair)
    overview = client.get(reverse("review:overview", args=[other.pk])).content.decode()
    assert hidden.reference not in overview
    agenda = client.get(reverse("review:meeting", args=[meeting.pk])).content.decode()
    assert other.reference in agenda
    assert hidden.reference not in agenda
