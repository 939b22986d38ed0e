"""The review app's dashboard panels (portal.panels): the chair's queue by stage, a member's
assignments, the RAB's open questions and appeals, the board's next meetings, and the
available volumes for biobank staff."""

from typing import Any

from portal.clock import program_today
from portal.models import User
from portal.panels import register_panel
from portal.permissions import can
from portal.roles import Role
from review.models import Appeal, Escalation
from review.selectors import STAGE_TABS, stage_counts
from review.selectors.queues import member_open_assignments, upcoming_meetings

PANEL_ROWS = 5


def chair_panel(user: User) -> dict[str, Any] | None:
    if not can(user, "review.queue.view"):
        return None
    counts = stage_counts(user)
    return {
        "template": "review/_panel_chair.html",
        "stages": [(value, label, counts.get(value, 0)) for value, label in STAGE_TABS],
    }


def member_panel(user: User) -> dict[str, Any] | None:
    if not can(user, "review.assignments.view"):
        return None
    open_rows = member_open_assignments(viewer=user, today=program_today())
    return {
        "template": "review/_panel_member.html",
        "rows": open_rows[:PANEL_ROWS],
        "more": max(len(open_rows) - PANEL_ROWS, 0),
    }


def rab_panel(user: User) -> dict[str, Any] | None:
    if not can(user, "review.rab.view"):
        return None
    return {
        "template": "review/_panel_rab.html",
        "escalations": Escalation.objects.filter(answered_at__isnull=True).count(),
        "appeals": Appeal.objects.filter(outcome=Appeal.Outcome.PENDING).count(),
    }


def meetings_panel(user: User) -> dict[str, Any] | None:
    if not can(user, "review.meeting.view"):
        return None
    return {"template": "review/_panel_meetings.html", "upcoming": upcoming_meetings()}


def stock_panel(user: User) -> dict[str, Any] | None:
    if not can(user, "review.stock.record"):
        return None
    return {"template": "review/_panel_stock.html"}


def register() -> None:
    register_panel(Role.PRAB_CHAIR, "review", chair_panel)
    register_panel(Role.PRAB_CHAIR, "meetings", meetings_panel)
    register_panel(Role.PROGRAM_ADMIN, "meetings", meetings_panel)
    register_panel(Role.PRAB_MEMBER, "assigned", member_panel)
    register_panel(Role.PRAB_MEMBER, "meetings", meetings_panel)
    register_panel(Role.RAB_MEMBER, "rab", rab_panel)
    register_panel(Role.BIOBANK_STAFF, "stock", stock_panel)
