"""Who may do what to applications (policy 2.2, 2.3), registered in the portal's one
permission table (`portal.permissions`). Imported once, by `ApplicationsConfig.ready`."""

from typing import Any

from applications.models import Application, TeamMember
from portal.models import User
from portal.permissions import ADMIN, Grant, _predicate, _roles, register
from portal.roles import Role

APPLICANT = "the applicant only"
TEAM = "the applicant and the named team"
INVITEE = "the person invited only"
SCREENERS = _roles(Role.PRAB_CHAIR, Role.PROGRAM_ADMIN)
READERS = _roles(Role.PRAB_CHAIR, Role.PROGRAM_ADMIN, Role.AUDITOR)


def _application_of(obj: Any) -> Application | None:
    """The application a record belongs to (itself, or a part's), or None for anything else."""
    if isinstance(obj, Application):
        return obj
    application = getattr(obj, "application", None)
    return application if isinstance(application, Application) else None


@_predicate
def is_applicant(actor: User, obj: Any) -> bool:
    """The actor is the application's principal investigator."""
    application = _application_of(obj)
    return application is not None and application.applicant_id == actor.pk


@_predicate
def is_on_team(actor: User, obj: Any) -> bool:
    """The actor is named on the application's team (invited or accepted, not removed)."""
    application = _application_of(obj)
    if application is None or application.pk is None:
        return False
    return bool(application.team.filter(user_id=actor.pk, removed_at__isnull=True).exists())


@_predicate
def is_invitee(actor: User, obj: Any) -> bool:
    """The team invitation is addressed to the actor."""
    return isinstance(obj, TeamMember) and obj.user_id == actor.pk


register(
    "application.start",
    Grant(_roles(Role.RESEARCHER)),
    refusal="Only researchers start applications. Ask a program admin for the researcher "
    "role if you are one.",
)
register(
    "application.view",
    Grant(frozenset({"*"}), is_applicant | is_on_team, note=TEAM),
    Grant(READERS),
    refusal="You can see only applications you are on.",
    subject="application",
)
for action, what in [
    ("application.edit", "change the application"),
    ("application.submit", "submit the application"),
    ("application.resubmit", "resubmit the application with the board's revisions"),
    ("application.withdraw", "withdraw the application"),
    ("application.team.manage", "manage the team"),
]:
    register(
        action,
        Grant(_roles(Role.RESEARCHER), is_applicant, note=APPLICANT),
        refusal=f"Only the principal investigator can {what}.",
        subject="application",
    )
register(
    "application.upload",
    Grant(_roles(Role.RESEARCHER), is_applicant, note=APPLICANT),
    Grant(_roles(Role.RESEARCHER, Role.AUTHORIZED_USER), is_on_team, note=TEAM),
    refusal="Only the principal investigator and the team can add documents.",
    subject="application",
)
register(
    "team.accept",
    Grant(frozenset({"*"}), is_invitee, note=INVITEE),
    refusal="This invitation is addressed to someone else.",
    subject="team member",
)
for action in ("application.screen", "application.accept", "application.return"):
    register(
        action,
        Grant(SCREENERS),
        refusal="Only the PRAB chair or a program admin screens applications.",
        subject="application",
    )
register(
    "application.queue.view",
    Grant(READERS),
    refusal="Only the PRAB chair, program admins and auditors see the screening queue.",
)
register(
    "template_version.publish",
    Grant(ADMIN),
    refusal="Only a program admin publishes a template version.",
    system=True,
    subject="application template",
)
