"""Score sheets (issue item 4, policy 3.1): one score per criterion from 1 to 9 with a
comment; blinded until the reviewer's own sheet is in; the chair's summary with each
criterion's mean and range and strong disagreement marked; the board's discussion."""

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from portal.errors import DomainError
from portal.models import AuditEvent
from review.criteria import CRITERIA
from review.models import Assignment, ReviewRound, ScoreSheet
from review.scoring import sheet_problems, summarise
from review.services import SheetRefused, discussion_post, score_sheet_save
from tests.review.conftest import assign, declare_none, reviewers_of, sheet_data, submit_sheet

pytestmark = pytest.mark.django_db


@pytest.fixture
def declared(in_review, board) -> list[Assignment]:
    assignments = assign(in_review, board["chair"], reviewers_of(board))
    return [declare_none(a) for a in assignments]


@given(score=st.integers(min_value=-5, max_value=15))
def test_a_score_outside_1_to_9_is_refused_even_in_a_draft(score):
    data = {"scores": {"soundness": {"score": score, "comment": ""}}}
    problems = sheet_problems(data, final=False)
    assert ("score_soundness" in problems) == (not 1 <= score <= 9)


def test_a_final_sheet_needs_every_criterion_its_comment_the_overall_and_recommendation():
    problems = sheet_problems({"scores": {}}, final=True)
    for criterion in CRITERIA:
        assert f"score_{criterion.key}" in problems
        assert f"comment_{criterion.key}" in problems
    assert {"overall", "recommendation", "comments_for_applicant"} <= set(problems)
    assert sheet_problems(sheet_data(), final=True) == {}


def test_the_summary_gives_each_criterions_mean_and_range_and_marks_disagreement():
    sheets = [sheet_data(2)["scores"], sheet_data(3)["scores"], sheet_data(7)["scores"]]
    rows = summarise([{"scores": s, "overall": o} for s, o in zip(sheets, (2, 3, 7), strict=True)])
    soundness = rows[0]
    assert (soundness.mean, soundness.low, soundness.high) == (4.0, 2, 7)
    assert soundness.disagreement
    assert rows[-1].title == "Overall impact"
    assert not summarise([{"scores": sheet_data(3)["scores"], "overall": 3}])[0].disagreement


def test_a_sheet_with_a_bad_score_is_refused_and_nothing_is_saved(declared):
    data = sheet_data()
    data["scores"]["analysis"]["score"] = 12
    with pytest.raises(SheetRefused) as refused:
        score_sheet_save(assignment=declared[0], data=data, submit=True, actor=declared[0].reviewer)
    assert "score_analysis" in refused.value.fields
    assert not ScoreSheet.objects.exists()
    assert not AuditEvent.objects.filter(action="score_sheet.submit").exists()


def test_the_page_keeps_what_was_typed_and_names_each_missing_score(client, declared):
    assignment = declared[0]
    client.force_login(assignment.reviewer)
    response = client.post(
        reverse("review:sheet", args=[assignment.pk]),
        {"action": "submit", "score_soundness": "2", "comment_soundness": "Careful design."},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Careful design." in page
    assert "Analysis and power: give a score from 1 to 9." in page
    assert not ScoreSheet.objects.exists()


def test_a_reviewer_cannot_score_before_declaring(in_review, board):
    assignment = assign(in_review, board["chair"], reviewers_of(board))[0]
    with pytest.raises(DomainError, match="conflict of interest before scoring"):
        score_sheet_save(
            assignment=assignment, data=sheet_data(), submit=True, actor=assignment.reviewer
        )
    assert not ScoreSheet.objects.exists()


def test_blinding_other_sheets_stay_hidden_until_the_reviewers_own_is_in(client, declared):
    first, second, _ = declared
    submit_sheet(first, 2)
    application_pk = first.round.application_id
    client.force_login(second.reviewer)
    assert client.get(reverse("review:scores", args=[application_pk])).status_code == 404
    assert client.get(reverse("review:discussion", args=[application_pk])).status_code == 404
    draft = sheet_data(5)
    score_sheet_save(assignment=second, data=draft, submit=False, actor=second.reviewer)
    assert client.get(reverse("review:scores", args=[application_pk])).status_code == 404
    submit_sheet(second, 5)
    page = client.get(reverse("review:scores", args=[application_pk])).content.decode()
    assert str(first.reviewer) in page
    assert "CONFIDENTIAL" in page  # the board's comments are for the board


def test_the_last_sheet_makes_the_round_ready_and_tells_the_chair(declared, board):
    for assignment, score in zip(declared, (2, 3, 8), strict=True):
        submit_sheet(assignment, score)
    round_ = ReviewRound.objects.get(application=declared[0].round.application)
    assert (round_.stage, round_.sheets_submitted) == ("ready", 3)
    assert board["chair"].notifications.filter(template="review_ready").count() == 1


def test_the_chairs_summary_highlights_strong_disagreement(client, declared, board):
    for assignment, score in zip(declared, (2, 3, 8), strict=True):
        submit_sheet(assignment, score)
    client.force_login(board["chair"])
    page = client.get(reverse("review:scores", args=[declared[0].round.application_id]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "data-disagreement" in html
    assert "Strong disagreement" in html


def test_a_submitted_sheet_is_final(declared):
    submit_sheet(declared[0])
    before = ScoreSheet.objects.values("scores", "overall", "submitted_at").get()
    with pytest.raises(DomainError):
        score_sheet_save(
            assignment=Assignment.objects.get(pk=declared[0].pk),
            data=sheet_data(9),
            submit=True,
            actor=declared[0].reviewer,
        )
    assert ScoreSheet.objects.values("scores", "overall", "submitted_at").get() == before


def test_the_discussion_is_for_the_chair_and_reviewers_who_submitted(client, declared, board):
    application = declared[0].round.application
    discussion_post(application=application, body="Thoughts on power?", actor=board["chair"])
    with pytest.raises(DomainError):
        discussion_post(application=application, body="Me too", actor=declared[1].reviewer)
    submit_sheet(declared[1])
    discussion_post(application=application, body="Power is fine.", actor=declared[1].reviewer)
    client.force_login(declared[1].reviewer)
    page = client.get(reverse("review:discussion", args=[application.pk])).content.decode()
    assert "Thoughts on power?" in page
    assert "Power is fine." in page
    assert AuditEvent.objects.filter(action="discussion.post").count() == 2
