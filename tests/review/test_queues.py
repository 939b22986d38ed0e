"""The board's queues (issue item 1): the chair's by stage with ages, due dates and a
highlight for what waits too long; a member's own assignments; the RAB's open questions and
appeals. Each issues the same number of queries for few rows and many."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from applications.models import Application
from review.models import Assignment, Escalation, ReviewRound
from review.services import escalate
from tests.review.conftest import assign, new_in_review, reviewers_of

pytestmark = pytest.mark.django_db


def _rounds(chair, n: int, *, stage: str = "awaiting_assignment") -> list[ReviewRound]:
    """`n` applications in review at `stage` (copies of one, to be quick)."""
    first = new_in_review(chair)
    rounds = []
    for i in range(n):
        copy = Application.objects.create(
            reference=f"BSA-Q-{i:05d}",
            applicant=first.applicant,
            template_version=first.template_version,
            title=f"Queued application {i}",
            status=Application.Status.IN_REVIEW,
            submitted_at=timezone.now(),
        )
        rounds.append(
            ReviewRound.objects.create(
                application=copy,
                number=1,
                stage=stage,
                opened_at=timezone.now(),
                stage_changed_at=timezone.now() - timedelta(days=i),
            )
        )
    return rounds


# After a change on the board: the user, the stage counts and the page's rows; then, until
# the next change, the user only (review.selectors.queues: kept per generation).
CHAIR_QUEUE_QUERIES = 3
CHAIR_QUEUE_QUERIES_WARM = 1


@pytest.mark.parametrize("rows", [3, 120])
def test_the_chairs_queue_reads_the_same_queries_for_few_rows_and_many(
    client, board, rows, django_assert_num_queries
):
    from review.selectors.queues import next_generation

    _rounds(board["chair"], rows)
    client.force_login(board["chair"])
    client.get(reverse("review:queue") + "?stage=in_review")  # the user's facts cached
    next_generation()
    with django_assert_num_queries(CHAIR_QUEUE_QUERIES):
        response = client.get(reverse("review:queue") + "?stage=awaiting_assignment")
    assert response.status_code == 200
    assert response.content.decode().count("data-queue-row=") == min(rows + 1, 50)
    with django_assert_num_queries(CHAIR_QUEUE_QUERIES_WARM):
        again = client.get(reverse("review:queue") + "?stage=awaiting_assignment")
    assert again.content.decode().count("data-queue-row=") == min(rows + 1, 50)


def test_a_change_on_the_board_shows_in_the_queue_at_once(client, board, in_review):
    client.force_login(board["chair"])
    waiting = client.get(reverse("review:queue") + "?stage=awaiting_assignment").content
    assert f'data-queue-row="{in_review.pk}"'.encode() in waiting
    assign(in_review, board["chair"], reviewers_of(board))
    after = client.get(reverse("review:queue") + "?stage=awaiting_assignment").content
    assert f'data-queue-row="{in_review.pk}"'.encode() not in after


def test_the_chairs_queue_pages_by_keyset_and_highlights_what_waits_too_long(
    client, board, settings
):
    _rounds(board["chair"], 60)
    client.force_login(board["chair"])
    first = client.get(reverse("review:queue")).content.decode()
    assert "Waiting too long" in first  # some have waited longer than the stage allows
    assert 'rel="next"' in first
    assert "Showing 1 to 50 of 61" in first
    last = client.get(reverse("review:queue") + "?page=last").content.decode()
    assert "Showing 12 to 61 of 61" in last  # the last page is a full one


def test_the_chairs_queue_filters_by_stage_and_search(client, board, in_review):
    assign(in_review, board["chair"], reviewers_of(board))
    client.force_login(board["chair"])
    in_review_tab = client.get(reverse("review:queue") + "?stage=in_review").content.decode()
    assert f'data-queue-row="{in_review.pk}"' in in_review_tab
    assert "0 of 3 in" in in_review_tab
    waiting = client.get(reverse("review:queue") + "?stage=awaiting_assignment").content.decode()
    assert f'data-queue-row="{in_review.pk}"' not in waiting
    missing = client.get(reverse("review:queue") + "?stage=in_review&q=nomatchatall").content
    assert "Nothing at this stage matches." in missing.decode()


def test_an_escalated_application_is_listed_under_its_tab(client, board, ready):
    escalate(application=ready, question="Is this within policy 4.7?", actor=board["chair"])
    client.force_login(board["chair"])
    page = client.get(reverse("review:queue") + "?stage=escalated").content.decode()
    assert f'data-queue-row="{ready.pk}"' in page
    assert "Question with the RAB" in page


def test_the_queue_is_for_the_chair_admins_and_auditors(client, board):
    client.force_login(board["scientist"])
    assert client.get(reverse("review:queue")).status_code == 404


@pytest.mark.parametrize("count", [1, 12])
def test_a_members_queue_reads_the_same_queries_for_few_rows_and_many(
    client, board, count, django_assert_num_queries
):
    reviewer = board["participant"]
    for round_ in _rounds(board["chair"], count):
        Assignment.objects.create(
            round=round_,
            reviewer=reviewer,
            due_on=timezone.now().date() + timedelta(days=5),
            assigned_by=board["chair"],
            assigned_at=timezone.now(),
        )
    client.force_login(reviewer)
    client.get(reverse("review:mine"))
    from review.selectors.queues import next_generation

    next_generation()
    with django_assert_num_queries(3):  # the user, open assignments, submitted ones
        page = client.get(reverse("review:mine")).content.decode()
    with django_assert_num_queries(1):  # then the user only, until the next change
        client.get(reverse("review:mine"))
    assert page.count("data-assignment=") == count
    assert "Declare any conflict of interest" in page


@pytest.mark.parametrize("count", [1, 15])
def test_the_rabs_queue_reads_the_same_queries_for_few_rows_and_many(
    client, board, rab_member, count, django_assert_num_queries
):
    for round_ in _rounds(board["chair"], count):
        Escalation.objects.create(
            application=round_.application,
            question="Is this within policy?",
            asked_by=board["chair"],
            asked_at=timezone.now(),
        )
    client.force_login(rab_member)
    client.get(reverse("review:rab"))
    with django_assert_num_queries(3):  # the user, questions and appeals (recusals inside each)
        page = client.get(reverse("review:rab")).content.decode()
    assert page.count("/review/escalations/") == count


def _meeting_count(chair, n: int) -> None:
    from review.services import meeting_schedule

    for i in range(n):
        meeting_schedule(
            title=f"PRAB meeting {i}",
            kind="regular",
            ai_an_review=False,
            starts_at=timezone.now() + timedelta(days=i),
            actor=chair,
        )


def _queries(client, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_meetings_list_reads_the_same_queries_for_few_meetings_and_many(client, board):
    client.force_login(board["chair"])
    _meeting_count(board["chair"], 2)
    few = _queries(client, reverse("review:meetings"))
    _meeting_count(board["chair"], 30)
    many = _queries(client, reverse("review:meetings"))
    assert few == many
    assert client.get(reverse("review:meetings")).content.decode().count("PRAB meeting ") >= 32


def test_the_board_and_stock_pages_read_the_same_queries_for_few_members_and_many(
    client, board, program_admin
):
    from portal.roles import Role
    from review.services import board_member_save
    from tests.conftest import _user_with

    client.force_login(program_admin)
    few = (_queries(client, reverse("review:board")), _queries(client, reverse("review:stock")))
    for _ in range(20):
        member = _user_with(Role.PRAB_MEMBER)
        board_member_save(user=member, expertise="elsi", institution="", actor=program_admin)
    many = (_queries(client, reverse("review:board")), _queries(client, reverse("review:stock")))
    assert few == many
    assert client.get(reverse("review:board")).content.decode().count("data-member=") == 25
