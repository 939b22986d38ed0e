"""Reads of board review that views, panels and tasks share, each scoped to the viewer."""

from review.selectors.pages import (
    CLAIMING_STATUSES,
    applicant_outcome,
    board_people,
    meeting_detail,
    meetings_list,
    review_links,
    review_overview,
    scarcity_for,
    scoring_summary,
    similar_applications,
    stock_levels,
)
from review.selectors.queues import (
    STAGE_TABS,
    chair_queue,
    member_queue,
    rab_queue,
    stage_counts,
)

__all__ = [
    "CLAIMING_STATUSES",
    "STAGE_TABS",
    "applicant_outcome",
    "board_people",
    "chair_queue",
    "meeting_detail",
    "meetings_list",
    "member_queue",
    "rab_queue",
    "review_links",
    "review_overview",
    "scarcity_for",
    "scoring_summary",
    "similar_applications",
    "stage_counts",
    "stock_levels",
]
