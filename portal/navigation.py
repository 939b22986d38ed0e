"""What each role sees in the navigation: one dashboard per role the user holds, and the
administration site for superusers and program admins."""

from dataclasses import dataclass

from portal.models import User
from portal.roles import Role


@dataclass(frozen=True)
class RoleDashboard:
    role: Role
    title: str
    nav_label: str
    summary: str


ROLE_DASHBOARDS: dict[str, RoleDashboard] = {
    d.role.value: d
    for d in (
        RoleDashboard(
            Role.RESEARCHER,
            "Researcher dashboard",
            "My research",
            "Your access requirements, applications, approved projects and reports due.",
        ),
        RoleDashboard(
            Role.AUTHORIZED_USER,
            "Team member dashboard",
            "My teams",
            "The projects you are named on and what you must keep current to stay on them.",
        ),
        RoleDashboard(
            Role.PRAB_MEMBER,
            "PRAB reviewer dashboard",
            "Reviews",
            "Applications assigned to you for scoring, and the meetings you sit on.",
        ),
        RoleDashboard(
            Role.PRAB_CHAIR,
            "PRAB chair dashboard",
            "PRAB chair",
            "Applications awaiting reviewer assignment, meetings to run and decisions to record.",
        ),
        RoleDashboard(
            Role.RAB_MEMBER,
            "RAB dashboard",
            "RAB",
            "Escalations, appeals and violations awaiting the Resource Access Board.",
        ),
        RoleDashboard(
            Role.BIOBANK_STAFF,
            "Biobank dashboard",
            "Biobank",
            "Shipments to prepare and approve, status reports received and withdrawals to import.",
        ),
        RoleDashboard(
            Role.DRC_STAFF,
            "DRC dashboard",
            "DRC",
            "Returned assay data and the embargo dates that govern its release.",
        ),
        RoleDashboard(
            Role.AUDITOR,
            "Audit dashboard",
            "Audit",
            "The audit log, its integrity check and the audits you run.",
        ),
        RoleDashboard(
            Role.PROGRAM_ADMIN,
            "Program administration",
            "Administration",
            "Users and roles, templates, agreement versions, fees and meetings.",
        ),
    )
}


def dashboards_for(user: User) -> list[RoleDashboard]:
    """The dashboards this user may open, in the order of the roles table."""
    if not user.is_authenticated:
        return []
    names = user.role_names
    return [d for key, d in ROLE_DASHBOARDS.items() if key in names]


def shows_admin_link(user: User) -> bool:
    """Superusers and program admins see a link to the administration site."""
    return user.is_authenticated and (user.is_superuser or user.has_role(Role.PROGRAM_ADMIN))
