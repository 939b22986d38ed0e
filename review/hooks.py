"""How the review app plugs into the apps below it (applications.extensions,
portal.services.users, portal.panels): registered once by `ReviewConfig.ready`."""

from typing import Any

from django.db.models import Q

from applications.extensions import (
    register_after_accept,
    register_detail_panel,
    register_visibility,
)
from applications.models import Application
from portal.models import User
from portal.roles import Role
from portal.services.users import register_role_change
from review.models import Appeal, Assignment, ConflictDeclaration, Escalation


def reviewer_grant(viewer: User) -> Q | None:
    """An assigned reviewer opens the package once they declared no conflict; a RAB member
    opens what is before the RAB."""
    roles = viewer.role_names
    granted = None
    if roles & {Role.PRAB_MEMBER.value, Role.PRAB_CHAIR.value}:
        granted = Q(
            pk__in=Assignment.objects.filter(
                reviewer=viewer,
                state__in=[Assignment.State.REVIEWING, Assignment.State.SUBMITTED],
            ).values("round__application_id")
        )
    if Role.BIOBANK_STAFF.value in roles:
        # Staff accept the proof of funding (2.3) and later ship what was approved.
        approved = Q(
            status__in=[Application.Status.CONDITIONALLY_APPROVED, Application.Status.APPROVED]
        )
        granted = approved if granted is None else granted | approved
    if Role.RAB_MEMBER.value in roles:
        rab = Q(pk__in=Escalation.objects.values("application_id")) | Q(
            pk__in=Appeal.objects.values("application_id")
        )
        granted = rab if granted is None else granted | rab
    return granted


def recusal_exclusion(viewer: User) -> Q | None:
    """A member with a conflict on an application sees nothing of it (404), whatever their
    role; reading the few declarations is one indexed subquery."""
    if not viewer.role_names & {
        Role.PRAB_MEMBER.value,
        Role.PRAB_CHAIR.value,
        Role.PROGRAM_ADMIN.value,
        Role.RAB_MEMBER.value,
    }:
        return None
    return Q(
        pk__in=ConflictDeclaration.objects.filter(member=viewer, conflicted=True).values(
            "application_id"
        )
    )


def open_round_on_accept(application: Application, actor: User) -> None:
    from review.services import round_open

    round_open(application=application, actor=actor)


def detail_panel(application: Application, viewer: User) -> dict[str, Any] | None:
    from review.selectors import applicant_outcome, review_links

    if (
        application.applicant_id == viewer.pk
        or application.team.filter(user=viewer, removed_at__isnull=True).exists()
    ):
        outcome = applicant_outcome(application, viewer)
        if outcome is not None:
            return {"template": "review/_panel_outcome.html", **outcome}
    links = review_links(application, viewer)
    if links is not None:
        return {"template": "review/_panel_board.html", **links}
    return None


def register() -> None:
    from review.services import board_role_change

    register_visibility(grant=reviewer_grant, exclude=recusal_exclusion)
    register_after_accept(open_round_on_accept)
    register_detail_panel(detail_panel)
    register_role_change(board_role_change)
