"""Reads for the staff pages: the researchers and authorized users, and one person's record.

Scoped to the viewer: someone who may not see researchers' access status gets nobody.
"""

from datetime import date
from typing import Any

from allauth.account.models import EmailAddress
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, QuerySet

from portal.clock import program_today
from portal.models import RequirementBypass, RosterEntry, User
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
    program's today by default) and who granted it."""
    day = today or program_today()
    return (
        RequirementBypass.objects.filter(user=person)
        .select_related("granted_by")
        .annotate(active=ExpressionWrapper(active_bypass_q(day), output_field=BooleanField()))
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
