"""The review app's audit actions (portal.actions explains the convention)."""

from portal.actions import AuditAction


class ReviewAction(AuditAction):
    ASSIGN = "review.assign", "Reviewers assigned"
    ASSIGNMENT_REMOVE = "assignment.remove", "Review assignment removed"
    CONFLICT_DECLARE = "conflict.declare", "Conflict of interest declared"
    CONFLICT_NONE = "conflict.none", "No conflict of interest declared"
    SUGGESTION_CONFIRM = "conflict_suggestion.confirm", "Suggested conflict confirmed"
    SUGGESTION_DISMISS = "conflict_suggestion.dismiss", "Suggested conflict dismissed"
    SHEET_SAVE = "score_sheet.save", "Score sheet saved"
    SHEET_SUBMIT = "score_sheet.submit", "Score sheet submitted"
    DISCUSSION_POST = "discussion.post", "Discussion message posted"
    ESCALATE = "review.escalate", "Question sent to the RAB"
    ESCALATION_ANSWER = "escalation.answer", "RAB determination recorded"
    CONSULTATION_RECORD = "consultation.record", "Consultation recorded"
    MEETING_SCHEDULE = "meeting.schedule", "Meeting scheduled"
    AGENDA_ADD = "meeting.agenda_add", "Application put on a meeting's agenda"
    ATTENDANCE_SET = "meeting.attendance_set", "Meeting attendance recorded"
    NOTES_SAVE = "meeting.notes_save", "Meeting notes saved for the minutes"
    DECIDE = "review.decide", "Board decision recorded"
    APPROVE_WITHOUT_REVIEW = (
        "review.approve_without_review",
        "Additional specimens approved without full review",
    )
    RECONTACT_DECIDE = "review.recontact_decide", "Re-contact of participants decided"
    FUNDING_ACCEPT = "review.funding_accept", "Proof of funding accepted"
    RESUBMIT = "application.resubmit", "Application resubmitted with revisions"
    APPEAL = "review.appeal", "Denial appealed"
    APPEAL_UPHOLD = "review.appeal_uphold", "Denial upheld on appeal"
    APPEAL_RETURN = "review.appeal_return", "Appeal returned for a new review"
    BOARD_MEMBER_SAVE = "board_member.save", "Board member's expertise recorded"
    VOLUME_RECORD = "available_volume.record", "Available volume recorded"
