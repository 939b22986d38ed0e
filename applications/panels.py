"""The applications app's dashboard panels (portal.panels): a researcher's applications and
invitations, and the screening queue's length for those who screen."""

from typing import Any

from applications.models import Application
from applications.selectors import invitations_for, my_applications
from portal.models import User
from portal.panels import register_panel
from portal.permissions import can
from portal.roles import Role

PANEL_ROWS = 5


def researcher_panel(user: User) -> dict[str, Any] | None:
    applications = my_applications(user)
    invitations = invitations_for(user)
    if not applications and not invitations:
        return None
    return {
        "template": "applications/_panel_researcher.html",
        "rows": applications[:PANEL_ROWS],
        "more": max(len(applications) - PANEL_ROWS, 0),
        "invitations": invitations,
    }


def screening_panel(user: User) -> dict[str, Any] | None:
    if not can(user, "application.screen"):
        return None
    waiting = Application.objects.filter(
        status__in=[Application.Status.SUBMITTED, Application.Status.SCREENING]
    ).count()
    return {"template": "applications/_panel_screening.html", "waiting": waiting}


def templates_panel(user: User) -> dict[str, Any] | None:
    if not can(user, "template_version.publish"):
        return None
    return {"template": "applications/_panel_templates.html"}


def register() -> None:
    register_panel(Role.RESEARCHER, "applications", researcher_panel)
    register_panel(Role.PRAB_CHAIR, "screening", screening_panel)
    register_panel(Role.PROGRAM_ADMIN, "screening", screening_panel)
    register_panel(Role.PROGRAM_ADMIN, "templates", templates_panel)
