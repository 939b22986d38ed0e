"""The access banner: on every page, a signed-in researcher or authorized biospecimen user
whose Controlled Tier authorization, Code of Conduct signature or profile review expires
within the next 30 days (or has expired) is told so, with a link to renew.

This runs on every page, so it reads only what the banner needs, in one query: the three
requirements that expire, with their bypasses. Consents and two-factor authentication never
expire, so they cannot raise the banner. The verdict still comes from the one eligibility
function (`evaluate_access`); a page that has already computed the full access status for
this request (the requirements page) lends it here and no query is made at all.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from allauth.account.models import EmailAddress
from django.db.models import Exists, OuterRef, Q, Subquery
from django.db.models.functions import Lower
from django.http import HttpRequest
from django.urls import reverse

from portal.models import (
    CodeOfConductSignature,
    ProfileReview,
    RequirementBypass,
    ResearcherProfile,
    RosterEntry,
    User,
)
from portal.onboarding.eligibility import (
    AccessRecords,
    AccessStatus,
    Requirement,
    State,
    evaluate_access,
)
from portal.onboarding.selectors import (
    _same_name,
    code_of_conduct_policy,
    program_date,
    program_today,
)
from portal.roles import Role

# Who onboards (policy 2.1): researchers and the team members named on their applications.
ONBOARDING_ROLES = (Role.RESEARCHER, Role.AUTHORIZED_USER)

# The requirements that can expire, as the banner names them.
EXPIRING_REQUIREMENTS: dict[Requirement, str] = {
    Requirement.CONTROLLED_TIER: "Controlled Tier authorization",
    Requirement.CODE_OF_CONDUCT: "Code of Conduct signature",
    Requirement.PROFILE_REVIEW: "annual profile review",
}

_STATUS_ATTRIBUTE = "_portal_access_status"


def renew_url(requirement: Requirement) -> str:
    """Where a person renews a requirement that expires."""
    if requirement == Requirement.CODE_OF_CONDUCT:
        return reverse("access-code-of-conduct")
    if requirement == Requirement.PROFILE_REVIEW:
        return reverse("access-profile-review")
    # Controlled Tier authorization is renewed in the Researcher Workbench, not here: the
    # requirements page explains how.
    return reverse("access-requirements")


def lapse_day(expires_on: date) -> date:
    """The first day a requirement no longer holds (`expires_on` is the last day it does)."""
    return expires_on + timedelta(days=1)


def remember_access_status(request: HttpRequest, status: AccessStatus) -> None:
    """Let this request's banner reuse a full access status a view already computed."""
    setattr(request, _STATUS_ATTRIBUTE, status)


@dataclass(frozen=True)
class BannerItem:
    requirement: Requirement
    label: str
    expired: bool
    expires_on: date | None  # the first day it no longer holds; None for a retired version
    note: str
    url: str

    @property
    def text(self) -> str:
        """What happened or will happen, in one sentence without the link."""
        today = program_today()
        if not self.expired:
            return f"Your {self.label} expires on {self.expires_on:%-d %B %Y}"
        if self.expires_on is not None and self.expires_on <= today:
            return f"Your {self.label} expired on {self.expires_on:%-d %B %Y}"
        # Lapsed for another reason than the date (a retired version, a changed name).
        return self.note.rstrip(".") or f"Your {self.label} no longer counts"


def banner_items(status: AccessStatus) -> list[BannerItem]:
    """The expiring or expired requirements to warn about, soonest first."""
    items = [
        BannerItem(
            requirement=r.requirement,
            label=EXPIRING_REQUIREMENTS[r.requirement],
            expired=r.state == State.EXPIRED,
            expires_on=lapse_day(r.expires_on) if r.expires_on else None,
            note=r.note,
            url=renew_url(r.requirement),
        )
        for r in status.requirements
        if r.requirement in EXPIRING_REQUIREMENTS
        and r.state in (State.EXPIRING_SOON, State.EXPIRED)
    ]
    return sorted(items, key=lambda i: (not i.expired, i.expires_on or date.min))


def expiring_access_status(user: User, *, today: date | None = None) -> AccessStatus:
    """The access status as far as the expiring requirements go, in one query.

    Consents and two-factor authentication are left out (they show as incomplete here);
    use `portal.onboarding.selectors.access_status_for` for the full status and the verdict.
    The records are gathered by the same rules as `access_records_for_users`.
    """
    day = today or program_today()
    verified_emails = (
        EmailAddress.objects.filter(user=OuterRef(OuterRef("pk")), verified=True)
        .annotate(lower_email=Lower("email"))
        .values("lower_email")
    )
    roster = (
        RosterEntry.objects.filter(roster__is_current=True, email__in=verified_emails)
        .order_by("-access_expires_on")
        .values("access_expires_on")[:1]
    )
    signature = CodeOfConductSignature.objects.filter(user=OuterRef("pk")).order_by(
        "-signed_at", "-id"
    )
    review = ProfileReview.objects.filter(user=OuterRef("pk")).order_by("-confirmed_at", "-id")
    complete_profile = (
        ResearcherProfile.objects.filter(user=OuterRef("pk"))
        .exclude(institution="")
        .exclude(research_purposes="")
    )

    def bypass(requirement: Requirement) -> Exists:
        return Exists(
            RequirementBypass.objects.filter(
                Q(expires_on__isnull=True) | Q(expires_on__gte=day),
                user=OuterRef("pk"),
                revoked_at__isnull=True,
                requirement=requirement,
            )
        )

    row = (
        User.objects.filter(pk=user.pk)
        .annotate(
            roster_expires_on=Subquery(roster),
            coc_version=Subquery(signature.values("version__version")[:1]),
            coc_signed_at=Subquery(signature.values("signed_at")[:1]),
            coc_printed_name=Subquery(signature.values("printed_name")[:1]),
            review_confirmed_at=Subquery(review.values("confirmed_at")[:1]),
            profile_complete=Exists(complete_profile),
            **{f"bypass_{r.value}": bypass(r) for r in EXPIRING_REQUIREMENTS},
        )
        .values(
            "full_name",
            "roster_expires_on",
            "coc_version",
            "coc_signed_at",
            "coc_printed_name",
            "review_confirmed_at",
            "profile_complete",
            *(f"bypass_{r.value}" for r in EXPIRING_REQUIREMENTS),
        )
        .get()
    )
    signed_at = row["coc_signed_at"]
    confirmed_at = row["review_confirmed_at"]
    records = AccessRecords(
        roster_expires_on=row["roster_expires_on"],
        coc_version=row["coc_version"],
        coc_signed_on=program_date(signed_at) if signed_at else None,
        coc_name_matches=(
            _same_name(row["coc_printed_name"], row["full_name"]) if signed_at else True
        ),
        profile_confirmed_on=program_date(confirmed_at) if confirmed_at else None,
        profile_complete=bool(row["profile_complete"]),
        bypassed=frozenset(r.value for r in EXPIRING_REQUIREMENTS if row[f"bypass_{r.value}"]),
    )
    return evaluate_access(records, today=day, policy=code_of_conduct_policy())


def access_banner(request: HttpRequest) -> dict[str, Any]:
    """Context processor: `access_banner` is the list of requirements to warn about.

    Nothing is read for anonymous users or users who do not onboard; one query otherwise
    (the user's roles are already loaded by the navigation), none when the view lent the
    full status.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.has_role(*ONBOARDING_ROLES):
        return {}
    status = getattr(request, _STATUS_ATTRIBUTE, None)
    if status is None:
        status = expiring_access_status(user)
    return {"access_banner": banner_items(status)}
