"""Reads for the staff pages: the researchers and authorized users, and one person's record.

Scoped to the viewer: someone who may not see researchers' access status gets nobody.
"""

from datetime import date, timedelta
from typing import Any

from allauth.account.models import EmailAddress
from django.db.models import (
    BooleanField,
    CharField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
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


# Sort keys of the people list: SQL orderings on the user and their eligibility snapshot.
PEOPLE_ORDERINGS: dict[str, list[Any]] = {
    "name": ["full_name", "email", "pk"],
    "-name": ["-full_name", "-email", "-pk"],
    "email": ["email", "pk"],
    "-email": ["-email", "-pk"],
    "verdict": [F("eligibility_snapshot__eligible").asc(nulls_first=True), "full_name", "pk"],
    "-verdict": [F("eligibility_snapshot__eligible").desc(nulls_last=True), "full_name", "pk"],
    "expiry": [F("eligibility_snapshot__earliest_expiry").asc(nulls_last=True), "full_name", "pk"],
    "-expiry": [
        F("eligibility_snapshot__earliest_expiry").desc(nulls_last=True),
        "full_name",
        "pk",
    ],
}


def onboarding_people_filtered(
    *,
    viewer: User,
    query: str = "",
    verdict: str = "",
    expiring: bool = False,
    sort: str = "name",
    today: date | None = None,
) -> QuerySet[User]:
    """The people list as asked: searched, filtered by the latest recorded verdict (the
    EligibilitySnapshot the daily job and every verdict-moving service keep current) and by
    a first lapse within 30 days, and sorted; scoped to the viewer like `onboarding_people`.
    """
    people = onboarding_people(viewer=viewer)
    if query:
        people = people.filter(Q(email__icontains=query) | Q(full_name__icontains=query))
    if verdict == "eligible":
        people = people.filter(eligibility_snapshot__eligible=True)
    elif verdict == "not_eligible":
        people = people.filter(eligibility_snapshot__eligible=False)
    elif verdict == "unchecked":
        people = people.filter(eligibility_snapshot__isnull=True)
    if expiring:
        day = today or program_today()
        # The lapse day (the day after the last day) falls within the next 30 days.
        people = people.filter(
            eligibility_snapshot__earliest_expiry__gte=day,
            eligibility_snapshot__earliest_expiry__lte=day + timedelta(days=29),
        )
    return people.order_by(*PEOPLE_ORDERINGS.get(sort, PEOPLE_ORDERINGS["name"]))
