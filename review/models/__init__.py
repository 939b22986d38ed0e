"""Review rounds and assignments, conflicts of interest, score sheets and discussion,
escalations to the RAB, consultations, meetings and decisions, appeals, the board's members
and the biobank's available volumes."""

from review.models.appeals import Appeal, AppealDocument
from review.models.board import AvailableVolume, BoardMember
from review.models.meetings import AgendaItem, Attendance, Decision, Meeting, RecontactDecision
from review.models.rounds import (
    Assignment,
    ConflictDeclaration,
    ConflictSuggestion,
    Consultation,
    DiscussionPost,
    Escalation,
    ReviewRound,
    ScoreSheet,
)

__all__ = [
    "AgendaItem",
    "Appeal",
    "AppealDocument",
    "Assignment",
    "Attendance",
    "AvailableVolume",
    "BoardMember",
    "ConflictDeclaration",
    "ConflictSuggestion",
    "Consultation",
    "Decision",
    "DiscussionPost",
    "Escalation",
    "Meeting",
    "RecontactDecision",
    "ReviewRound",
    "ScoreSheet",
]
