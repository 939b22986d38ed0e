"""The access banner: on every page, a signed-in researcher or authorized biospecimen user
whose Controlled Tier authorization, Code of Conduct signature or profile review expires
within the next 30 days (or has expired) is told so, with a link to renew.

This runs on every page, so it costs one query: the full access status from
`access_status_for`, the same records and the same eligibility function (`evaluate_access`)
every other page uses. A page that has already computed the access status for this request
(the requirements page) lends it here and no query is made at all.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from portal.models import User
from portal.onboarding.eligibility import AccessStatus, Requirement, State
from portal.onboarding.selectors import access_status_for, program_today
from portal.permissions import can

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


def access_banner(request: HttpRequest) -> dict[str, Any]:
    """Context processor: `access_banner` is the list of requirements to warn about.

    Nothing is read for anonymous users or users who do not onboard; one query otherwise
    (the user's roles are already loaded by the navigation), none when the view lent the
    full status.
    """
    user = getattr(request, "user", None)
    if not isinstance(user, User) or not can(user, "access.requirements.view"):
        return {}
    status = getattr(request, _STATUS_ATTRIBUTE, None)
    if status is None:
        status = access_status_for(user)
    return {"access_banner": banner_items(status)}
