"""Reads for the staff pages: the researchers and authorized users, and one person's record.

Scoped to the viewer: someone who may not see researchers' access status gets nobody.
"""

from datetime import date
from typing import Any

from allauth.account.models import EmailAddress
from django.db.models import (
    BooleanField,
    CharField,
    Exists,
    ExpressionWrapper,
    OuterRef,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Cast

from portal.actions import PortalAction
from portal.clock import program_today
from portal.models import AuditEvent, RequirementBypass, RosterEntry, User
from portal.onboarding.selectors.access import active_bypass_q
from portal.permissions import can
from portal.roles import ONBOARDING_ROLES


def onboarding_people(*, viewer: User) -> QuerySet[User]:
    """Researchers and authorized biospecimen users, by name; nobody for a viewer who may
    not see their access status (`access.people.view`)."""
    if not can(viewer, "access.people.view"):
        return User.objects.none()
    member = User.groups.through.objects.filter(
        user_id=OuterRef("pk"), group__name__in=ONBOARDING_ROLES
    )
    return User.objects.filter(Exists(member)).order_by("full_name", "email", "pk")


def bypasses_of(*, person: User, today: date | None = None) -> QuerySet[RequirementBypass]:
    """Every bypass granted to `person`, newest first, each with `active` on `today` (the
    program's today by default), who granted it and, once revoked, `revoke_reason`."""
    day = today or program_today()
    # Why it was revoked lives in the revocation's audit event (history is never edited).
    revoke_reason = AuditEvent.objects.filter(
        action=PortalAction.REQUIREMENT_BYPASS_REVOKE,
        target_type=RequirementBypass._meta.label_lower,
        target_id=Cast(OuterRef("pk"), CharField()),
    ).values("after__reason")[:1]
    return (
        RequirementBypass.objects.filter(user=person)
        .select_related("granted_by")
        .annotate(
            active=ExpressionWrapper(active_bypass_q(day), output_field=BooleanField()),
            revoke_reason=Subquery(revoke_reason),
        )
    )


def email_addresses_of(*, person: User) -> list[dict[str, Any]]:
    """Each of the person's addresses (`email`, `verified`), the primary one first."""
    return list(
        EmailAddress.objects.filter(user=person)
        .order_by("-primary", "email")
        .values("email", "verified")
    )


def current_roster_entries_for(*, emails: list[str]) -> list[RosterEntry]:
    """The current roster's entries for these (lower-cased) addresses, latest expiry first."""
    return list(
        RosterEntry.objects.filter(roster__is_current=True, email__in=emails).order_by(
            "-access_expires_on"
        )
    )
