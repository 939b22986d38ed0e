"""Every write of board review, one function per domain action (DESIGN.md "Lifecycles")."""

from review.services.board import board_member_save, review_reminders_send, volume_record
from review.services.decisions import (
    Vote,
    application_resubmit,
    approve_without_review,
    decision_record,
    funding_accept,
    recontact_decide,
)
from review.services.meetings import (
    agenda_add,
    attendance_set,
    meeting_notes_save,
    meeting_schedule,
)
from review.services.rab import (
    appeal_determine,
    appeal_submit,
    consultation_record,
    escalate,
    escalation_answer,
)
from review.services.rounds import (
    assignment_remove,
    board_role_change,
    chair_conflict_declare,
    conflict_declare,
    review_assign,
    round_open,
    suggestion_decide,
)
from review.services.scoring import SheetRefused, discussion_post, score_sheet_save

__all__ = [
    "SheetRefused",
    "Vote",
    "agenda_add",
    "appeal_determine",
    "appeal_submit",
    "application_resubmit",
    "approve_without_review",
    "assignment_remove",
    "attendance_set",
    "board_member_save",
    "board_role_change",
    "chair_conflict_declare",
    "conflict_declare",
    "consultation_record",
    "decision_record",
    "discussion_post",
    "escalate",
    "escalation_answer",
    "funding_accept",
    "meeting_notes_save",
    "meeting_schedule",
    "recontact_decide",
    "review_assign",
    "review_reminders_send",
    "round_open",
    "score_sheet_save",
    "suggestion_decide",
    "volume_record",
]
