"""The team (policy 2.3): named individuals invited by email, who accept in the portal and
must be eligible before submission. The principal investigator manages it until then."""

from django.db import transaction
from django.utils import timezone

from applications.actions import ApplicationAction
from applications.models import Application, TeamMember
from applications.services.drafting import _locked_editable
from portal.audit import audit_record
from portal.errors import DomainError
from portal.models import User
from portal.notifications import notify
from portal.permissions import ensure_can
from portal.roles import ONBOARDING_ROLES, Role
from portal.services.users import user_set_roles


class NotAPortalUser(DomainError):
    """The address belongs to nobody with an account: invite them to sign up first."""


@transaction.atomic
def team_invite(
    *, application: Application, email: str, role_on_project: str, actor: User
) -> TeamMember:
    """The principal investigator names someone on the team by their sign-in address. They
    get an email and an in-app notice to accept. Refused for an address with no account
    (they must sign up first), for the applicant themself, and for someone already on the
    team. Audited as `team.invite`."""
    application = _locked_editable(application, actor=actor, action="application.team.manage")
    address = email.strip().lower()
    person = User.objects.filter(email__iexact=address).first()
    if person is None:
        raise NotAPortalUser(
            f"Nobody has a portal account with the address {address}. Ask them to sign up "
            "at the portal first (they need an account to be named), then invite them again."
        )
    if person.pk == application.applicant_id:
        raise DomainError(
            "You are the principal investigator: you are on the team already. Invite the other "
            "people who will handle or use the biospecimens."
        )
    if application.team.filter(user=person, removed_at__isnull=True).exists():
        raise DomainError(f"{person} is already on the team.")
    member = TeamMember.objects.create(
        application=application,
        user=person,
        role_on_project=role_on_project.strip()[:120],
        invited_by=actor,
        invited_at=timezone.now(),
    )
    audit_record(
        actor=actor,
        action=ApplicationAction.TEAM_INVITE,
        target=application,
        after={"member": person.pk, "role_on_project": member.role_on_project},
    )
    notify(
        user=person,
        template="team_invited",
        context={"application": application, "inviter": actor},
        url=f"/applications/{application.pk}/",
    )
    return member


@transaction.atomic
def team_accept(*, member: TeamMember, actor: User) -> TeamMember:
    """The invited person accepts. Someone who holds neither onboarding role is given the
    authorized biospecimen user role, so that the access requirements (policy 2.1) apply to
    them and their access page shows what to complete. Accepting twice changes nothing.
    Audited as `team.accept`."""
    member = TeamMember.objects.select_for_update().select_related("application").get(pk=member.pk)
    ensure_can(actor, "team.accept", member)
    if member.removed_at is not None:
        raise DomainError("This invitation was withdrawn by the principal investigator.")
    if member.accepted_at is not None:
        return member
    member.accepted_at = timezone.now()
    member.save(update_fields=["accepted_at"])
    if not actor.role_names & ONBOARDING_ROLES:
        user_set_roles(user=actor, roles=[*actor.role_names, Role.AUTHORIZED_USER], actor=None)
    audit_record(
        actor=actor,
        action=ApplicationAction.TEAM_ACCEPT,
        target=member.application,
        after={"member": actor.pk},
    )
    notify(
        user=member.application.applicant,
        template="team_accepted",
        context={"application": member.application, "member": actor},
        url=f"/applications/{member.application_id}/",
    )
    return member


@transaction.atomic
def team_remove(*, member: TeamMember, actor: User) -> TeamMember:
    """The principal investigator takes someone off the team before submission (the row is
    kept, marked removed). Audited as `team.remove`."""
    application = _locked_editable(
        member.application, actor=actor, action="application.team.manage"
    )
    member = TeamMember.objects.select_for_update().get(pk=member.pk, application=application)
    if member.removed_at is not None:
        return member
    member.removed_at = timezone.now()
    member.save(update_fields=["removed_at"])
    audit_record(
        actor=actor,
        action=ApplicationAction.TEAM_REMOVE,
        target=application,
        before={"member": member.user_id},
    )
    return member
