"""The access banner: on every page, a signed-in researcher or authorized biospecimen user
is told of each requirement (or waiver) that has lapsed or lapses within 30 days, "in N
days" to the same lapse day the requirements page, the emails and the reminders name, and
of a newer Code of Conduct version to sign; the first link renews what lapses first.

This runs on every page, so it costs one query: the full access status from
`access_status_for`, the same records and the same eligibility function (`evaluate_access`)
every other page uses. A page that has already computed the access status for this request
(the requirements page) lends it here and no query is made at all.
"""

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from portal.facts import user_facts
from portal.models import User
from portal.onboarding.eligibility import (
    EXPIRING_SOON_DAYS,
    AccessStatus,
    Requirement,
    RequirementStatus,
    State,
)
from portal.onboarding.selectors import access_status_for, program_today
from portal.permissions import can

# The requirements as the banner names them.
BANNER_LABELS: dict[Requirement, str] = {
    Requirement.CONTROLLED_TIER: "Controlled Tier authorization",
    Requirement.CONSENT_PUBLIC_DISPLAY: "waiver of the public-display consent",
    Requirement.CONSENT_VIOLATION_RELEASE: "waiver of the violation-release consent",
    Requirement.CODE_OF_CONDUCT: "Code of Conduct signature",
    Requirement.PROFILE_REVIEW: "annual profile review",
    Requirement.TWO_FACTOR: "waiver of two-factor authentication",
}

_STATUS_ATTRIBUTE = "_portal_access_status"


def renew_url(requirement: Requirement) -> str:
    """Where a person renews (or does for the first time) a requirement."""
    if requirement == Requirement.CODE_OF_CONDUCT:
        return reverse("access-code-of-conduct")
    if requirement == Requirement.PROFILE_REVIEW:
        return reverse("access-profile-review")
    if requirement in (Requirement.CONSENT_PUBLIC_DISPLAY, Requirement.CONSENT_VIOLATION_RELEASE):
        return reverse("access-consents")
    if requirement == Requirement.TWO_FACTOR:
        return reverse("mfa_activate_totp")
    # Controlled Tier authorization is renewed in the Researcher Workbench, not here: the
    # requirements page explains how.
    return reverse("access-requirements")


def remember_access_status(request: HttpRequest, status: AccessStatus) -> None:
    """Let this request's banner reuse a full access status a view already computed."""
    setattr(request, _STATUS_ATTRIBUTE, status)


@dataclass(frozen=True)
class BannerItem:
    requirement: Requirement
    label: str
    expired: bool
    lapses_on: date | None  # the first day it no longer holds; None for a retired version
    days_left: int | None  # days from today to `lapses_on`, as every page counts them
    note: str
    url: str

    superseded: bool = False

    @property
    def text(self) -> str:
        """What happened or will happen, in one sentence without the link."""
        when = f"{self.lapses_on:%-d %B %Y}" if self.lapses_on else ""
        if self.superseded:
            return (
                f"A new version of the Code of Conduct is there to sign; your signature "
                f"on the older one expires on {when}, in {self.days_left} days"
            )
        if not self.expired:
            if self.days_left == 1:
                return f"Your {self.label} expires tomorrow, on {when}"
            return f"Your {self.label} expires on {when}, in {self.days_left} days"
        if self.lapses_on is not None and self.days_left is not None and self.days_left <= 0:
            return f"Your {self.label} expired on {when}"
        # Lapsed for another reason than the date (a retired version, a changed name).
        return self.note.rstrip(".") or f"Your {self.label} no longer counts"


def _warns(r: RequirementStatus, today: date) -> bool:
    if r.state == State.EXPIRED or r.superseded:
        return True
    days = r.days_left(today)
    return r.holds and days is not None and days <= EXPIRING_SOON_DAYS


def banner_items(status: AccessStatus, *, today: date | None = None) -> list[BannerItem]:
    """The lapsed requirements, then those (or their waivers) that lapse within 30 days,
    soonest first: the first item's link is the step that renews what lapses first."""
    day = today or program_today()
    items = [
        BannerItem(
            requirement=r.requirement,
            label=BANNER_LABELS[r.requirement],
            expired=r.state == State.EXPIRED,
            lapses_on=r.lapses_on,
            days_left=r.days_left(day),
            note=r.note,
            url=renew_url(r.requirement),
            superseded=r.superseded,
        )
        for r in status.requirements
        if _warns(r, day)
    ]
    return sorted(items, key=lambda i: (not i.expired, i.lapses_on or date.min))


def access_banner(request: HttpRequest) -> dict[str, Any]:
    """Context processor: `access_banner` is the list of requirements to warn about.

    Nothing is read for anonymous users or users who do not onboard; one query otherwise
    (the user's roles are already loaded by the navigation), none when the view lent the
    full status.
    """
    user = getattr(request, "user", None)
    if not isinstance(user, User) or not can(user, "access.requirements.view"):
        return {}
    status = getattr(request, _STATUS_ATTRIBUTE, None) or request_access_status(user)
    return {"access_banner": banner_items(status)}


def request_access_status(user: User) -> AccessStatus:
    """The user's access status for showing it (banner, dashboard card, the dashboard's
    redirect): from the cached per-user facts. Never for a decision: the gate reads the
    database."""
    status = user_facts(user).access
    return status if status is not None else access_status_for(user)
