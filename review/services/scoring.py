"""Score sheets and the board's discussion (policy 3.1)."""

from typing import Any

from django.db import transaction
from django.utils import timezone

from applications.models import Application
from portal.audit import audit_record
from portal.errors import DomainError
from portal.models import User
from portal.permissions import ensure_can
from review.actions import ReviewAction
from review.errors import ReviewRefused
from review.models import Assignment, DiscussionPost, ReviewRound, ScoreSheet
from review.scoring import parse_score, sheet_problems
from review.services._common import locked_application, review_url, tell, who_acts_for_board
from review.services.rounds import settle_stage

POST_MAX = 5000


class SheetRefused(ReviewRefused):
    """A sheet refused field by field; `fields` maps each field to what to fix."""

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__(list(fields.values()))
        self.fields = fields


@transaction.atomic
def score_sheet_save(
    *, assignment: Assignment, data: dict[str, Any], submit: bool, actor: User
) -> ScoreSheet:
    """The assigned reviewer, with no conflict declared, saves their score sheet as a draft
    or submits it. Refused field by field, with nothing saved, for a score outside 1 to 9
    or (on submission) anything missing. Once submitted the sheet is final, and the
    reviewer sees the other sheets and the discussion; when the last sheet is in the chair
    is told the application is ready for decision. Audited as `score_sheet.save` or
    `score_sheet.submit`."""
    assignment = (
        Assignment.objects.select_for_update()
        .select_related("round__application")
        .get(pk=assignment.pk)
    )
    ensure_can(actor, "review.score", assignment)
    if assignment.state != Assignment.State.REVIEWING:
        raise DomainError(
            "Declare whether you have a conflict of interest before scoring."
            if assignment.state == Assignment.State.DECLARING
            else "This score sheet can no longer be changed."
        )
    problems = sheet_problems(data, final=submit)
    if problems:
        raise SheetRefused(problems)
    now = timezone.now()
    scores = {
        key: {"score": parse_score(entry.get("score")), "comment": str(entry.get("comment", ""))}
        for key, entry in data.get("scores", {}).items()
    }
    sheet, _ = ScoreSheet.objects.update_or_create(
        assignment=assignment,
        defaults={
            "scores": scores,
            "overall": parse_score(data.get("overall")),
            "recommendation": data.get("recommendation") or "",
            "comments_for_applicant": str(data.get("comments_for_applicant", "")),
            "confidential_comments": str(data.get("confidential_comments", "")),
            "saved_at": now,
            "submitted_at": now if submit else None,
        },
    )
    application = assignment.round.application
    if submit:
        assignment.state = Assignment.State.SUBMITTED
        assignment.save(update_fields=["state"])
        round_ = ReviewRound.objects.select_for_update().get(pk=assignment.round_id)
        before = round_.stage
        settle_stage(round_)
        round_.save()
        if before != round_.stage == ReviewRound.Stage.READY:
            tell(
                who_acts_for_board(application, round_),
                template="review_ready",
                url=review_url(application),
                application=application,
            )
    audit_record(
        actor=actor,
        action=ReviewAction.SHEET_SUBMIT if submit else ReviewAction.SHEET_SAVE,
        target=application,
        before={},
        after={"assignment": assignment.pk, "overall": sheet.overall},
    )
    return sheet


@transaction.atomic
def discussion_post(*, application: Application, body: str, actor: User) -> DiscussionPost:
    """The chair or a reviewer who submitted their sheet writes in the application's board
    discussion (closed to recused members). Audited as `discussion.post`."""
    application = locked_application(application)
    ensure_can(actor, "review.discuss", application)
    body = body.strip()
    if not body:
        raise DomainError("Write a message before posting.")
    if len(body) > POST_MAX:
        raise DomainError(f"Keep a message under {POST_MAX} characters; split it if needed.")
    post = DiscussionPost.objects.create(
        application=application, author=actor, body=body, posted_at=timezone.now()
    )
    audit_record(
        actor=actor,
        action=ReviewAction.DISCUSSION_POST,
        target=application,
        before={},
        after={"post": post.pk},
    )
    return post
