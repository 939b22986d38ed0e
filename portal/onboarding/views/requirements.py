"""The requirements page: each researcher's home until they are eligible (policy 2.1).

It lists every requirement with its state, when it was last done and when it is next due,
and gives one next step: the first requirement that does not hold, with a button to the page
that fixes it. `redirect_unless_eligible` sends a researcher whose access is not current
from their dashboard to this page.
"""

from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.views.decorators.http import require_GET

from portal.facts import user_facts
from portal.http import AuthenticatedHttpRequest
from portal.models import User
from portal.onboarding.context_processors import remember_access_status, request_access_status
from portal.onboarding.eligibility import (
    STATE_LABELS,
    AccessStatus,
    Requirement,
    RequirementStatus,
    State,
)
from portal.onboarding.selectors import (
    CompletionDates,
    access_status_for,
    completion_dates_for,
    program_today,
)
from portal.roles import ONBOARDING_ROLES

# Bootstrap badge classes; the badge always carries the state in words too.
STATE_BADGES: dict[State, str] = {
    State.COMPLETE: "text-bg-success",
    State.EXPIRING_SOON: "text-bg-warning",
    State.EXPIRED: "text-bg-danger",
    State.INCOMPLETE: "text-bg-secondary",
    State.BYPASSED: "text-bg-info",
}
# Requirements that, once done, hold until withdrawn rather than for a year.
_LASTING = {
    Requirement.CONSENT_PUBLIC_DISPLAY,
    Requirement.CONSENT_VIOLATION_RELEASE,
    Requirement.TWO_FACTOR,
}


@dataclass(frozen=True)
class RequirementRow:
    status: RequirementStatus
    last_done: date | None
    last_done_text: str
    due_text: str
    url: str  # the page where the researcher does it; "" when they cannot do it here

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.status.state]

    @property
    def badge(self) -> str:
        return STATE_BADGES[self.status.state]


@dataclass(frozen=True)
class NextStep:
    requirement: Requirement | None
    title: str
    explanation: str
    url: str
    button: str
    help_email: str = ""  # who to write to when the step cannot be done here
    email_url: str = ""  # the page for adding the address the roster lists


def _last_done(
    user: User, status: AccessStatus, dates: CompletionDates | None = None
) -> dict[Requirement, tuple[date | None, str]]:
    """When each requirement was last done, with a word on what that date is (3 queries,
    none when the caller already has the completion dates)."""
    dates = dates or completion_dates_for(user=user)
    done: dict[Requirement, tuple[date | None, str]] = {
        requirement: (given_on, "Given")
        for requirement, given_on in dates.consents_given_on.items()
    }
    if dates.two_factor_since is not None:
        done[Requirement.TWO_FACTOR] = (dates.two_factor_since, "Turned on")
    if dates.roster_imported_on is not None and status.get(Requirement.CONTROLLED_TIER).expires_on:
        done[Requirement.CONTROLLED_TIER] = (
            dates.roster_imported_on,
            "Listed on the roster imported",
        )
    for r in status.requirements:
        if r.last_done is not None and r.requirement not in done:
            verb = "Signed" if r.requirement == Requirement.CODE_OF_CONDUCT else "Confirmed"
            done[r.requirement] = (r.last_done, verb)
    return done


def _days(n: int) -> str:
    return "tomorrow" if n == 1 else f"in {n} days"


def _due_text(r: RequirementStatus, today: date) -> str:
    """When it is next due, naming the lapse day every page, email and reminder names."""
    days = r.days_left(today)
    if r.state == State.BYPASSED:
        if r.lapses_on is None or days is None:
            return "Waived by a program admin"
        return f"Waived until {r.lapses_on:%-d %B %Y} ({_days(days)})"
    if r.state == State.INCOMPLETE or (r.state == State.EXPIRED and r.lapses_on is None):
        return "Now"
    if r.state == State.EXPIRED:
        return f"Now: it expired on {r.lapses_on:%-d %B %Y}"
    if r.lapses_on is None or days is None:
        return "No renewal needed" if r.requirement in _LASTING else "—"
    return f"Expires on {r.lapses_on:%-d %B %Y} ({_days(days)})"


def _page_for(r: RequirementStatus) -> str:
    match r.requirement:
        case Requirement.CONTROLLED_TIER:
            return ""  # only the Workbench roster can change it
        case Requirement.CONSENT_PUBLIC_DISPLAY | Requirement.CONSENT_VIOLATION_RELEASE:
            return reverse("access-consents")
        case Requirement.CODE_OF_CONDUCT:
            return reverse("access-code-of-conduct")
        case Requirement.PROFILE_REVIEW:
            return reverse("access-profile-review")
        case _:
            return reverse("mfa_index" if r.state == State.COMPLETE else "mfa_activate_totp")


def requirement_rows(
    user: User, status: AccessStatus, dates: CompletionDates | None = None
) -> list[RequirementRow]:
    today = program_today()
    done = _last_done(user, status, dates)
    rows = []
    for r in status.requirements:
        day, verb = done.get(r.requirement, (None, ""))
        rows.append(
            RequirementRow(
                status=r,
                last_done=day,
                last_done_text=f"{verb} {day:%-d %B %Y}" if day else "Not yet",
                due_text=_due_text(r, today),
                url=_page_for(r),
            )
        )
    return rows


def _step_for(r: RequirementStatus, user: User) -> NextStep:
    renewing = r.state in (State.EXPIRED, State.EXPIRING_SOON) or r.superseded
    lapse = f"{r.lapses_on:%-d %B %Y}" if r.lapses_on else ""
    match r.requirement:
        case Requirement.CONTROLLED_TIER:
            return _controlled_tier_step(r, renewing=renewing, lapse=lapse)
        case Requirement.CONSENT_PUBLIC_DISPLAY | Requirement.CONSENT_VIOLATION_RELEASE:
            return NextStep(
                r.requirement,
                "Give your consents",
                "Two consents are required: to the public display of your name, affiliation "
                "and plain-language project descriptions, and to the public release of your "
                "name and institution if you are found in violation of program policy.",
                reverse("access-consents"),
                "Go to the consents",
            )
        case Requirement.CODE_OF_CONDUCT:
            if r.superseded:
                explanation = (
                    f"A new version of the Code of Conduct is there to sign. Your signature on "
                    f"the older version expires on {lapse}: read the new version and sign it "
                    "before then to keep your access without a gap."
                )
            elif r.state == State.EXPIRING_SOON:
                explanation = (
                    f"Your signature expires on {lapse}. Read the current version and sign it "
                    "again to keep your access."
                )
            elif r.state == State.EXPIRED:
                explanation = r.note or (
                    f"Your signature expired on {lapse}. Read the current version and sign it "
                    "again."
                )
            else:
                explanation = (
                    "Read the whole Biospecimen Access Code of Conduct, initial each statement "
                    "that asks for it, and sign with your full name and password."
                )
            return NextStep(
                r.requirement,
                "Sign the Code of Conduct again"
                if renewing
                else "Sign the Biospecimen Access Code of Conduct",
                explanation,
                reverse("access-code-of-conduct"),
                "Go to the Code of Conduct",
            )
        case Requirement.PROFILE_REVIEW:
            explanation = (
                "Check your contact information, affiliations, conflicts of interest and "
                "research purposes, update anything that has changed, and confirm."
            )
            if renewing:
                verb = "expired" if r.state == State.EXPIRED else "expires"
                explanation = f"Your annual profile review {verb} on {lapse}. {explanation}"
            return NextStep(
                r.requirement,
                "Review and confirm your profile",
                explanation,
                reverse("access-profile-review"),
                "Review your profile",
            )
        case _:
            return NextStep(
                r.requirement,
                "Turn on two-factor authentication",
                "Set up an authenticator app on your phone; you will enter a code from it "
                "each time you sign in.",
                reverse("mfa_activate_totp"),
                "Set up two-factor authentication",
            )


def _controlled_tier_step(r: RequirementStatus, *, renewing: bool, lapse: str) -> NextStep:
    """The Controlled Tier step: the one step the researcher cannot do here, explained."""
    how = (
        "The Controlled Tier holds the All of Us Research Program's minimally obfuscated "
        "individual-level data, including genomic data; researchers get access to it in "
        "the All of Us Researcher Workbench, after their institution's agreement and the "
        "Workbench's Controlled Tier training. The program's staff import "
        "the Workbench's roster of Controlled Tier users every night; the portal then finds "
        "you by any of your verified email addresses."
    )
    if renewing:
        verb = "expired" if r.state == State.EXPIRED else "expires"
        explanation = (
            f"Your Controlled Tier authorization {verb} on {lapse}. Renew it in the "
            "Researcher Workbench; the renewal reaches the portal with the next nightly "
            "roster import. " + how
        )
    else:
        explanation = (
            "Waiting for the roster: you are not yet on the Controlled Tier roster. " + how
        )
    return NextStep(
        r.requirement,
        "Renew your Controlled Tier authorization"
        if renewing
        else "Get Controlled Tier access in the Researcher Workbench",
        explanation,
        settings.CONTROLLED_TIER_ACCESS_URL,
        "Go to the Researcher Workbench",
        help_email=settings.PORTAL_HELP_EMAIL,
        email_url=reverse("account_email"),
    )


def next_step(status: AccessStatus, user: User) -> NextStep:
    """The one thing to do now: the first requirement that does not hold and that the
    researcher can do here (the Controlled Tier waits for the roster, so it comes last),
    else a newer Code of Conduct to sign, else the first that is about to expire, else go
    on to the dashboard."""
    failing = [r for r in status.requirements if not r.holds]
    doable = [r for r in failing if r.requirement != Requirement.CONTROLLED_TIER]
    if doable or failing:
        return _step_for((doable or failing)[0], user)
    superseded = [r for r in status.requirements if r.superseded]
    if superseded:
        return _step_for(superseded[0], user)
    soon = [r for r in status.requirements if r.state == State.EXPIRING_SOON]
    if soon:
        return _step_for(min(soon, key=lambda r: r.expires_on or date.max), user)
    return NextStep(
        None,
        "You are eligible",
        "Every requirement is met: you may apply for biospecimens, be named on a team and "
        "receive specimens.",
        reverse("dashboard"),
        "Go to your dashboard",
    )


def back_to_requirements(request: AuthenticatedHttpRequest, *, done: str) -> HttpResponse:
    """After a step, back to the list: say what was done and what comes next."""
    step = next_step(access_status_for(request.user), request.user)
    if step.requirement is None:
        messages.success(request, f"{done} You meet every requirement now.")
    else:
        messages.success(request, f"{done} Your next step: {step.title}.")
    return redirect("access-requirements")


@login_required
@require_GET
def requirements(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Every requirement with its state, when it was last done and next due, and one next
    step. Open to anyone signed in: staff who also apply meet the same requirements."""
    user = request.user
    status = request_access_status(user)
    remember_access_status(request, status)
    return render(
        request,
        "onboarding/requirements.html",
        {
            "status": status,
            # From the cached facts, as the status is (staff who do not onboard: read now).
            "rows": requirement_rows(user, status, user_facts(user).completion),
            "next_step": next_step(status, user),
        },
    )


def redirect_unless_eligible(request: AuthenticatedHttpRequest, role: str) -> HttpResponse | None:
    """Send a researcher or team member whose access is not current from their dashboard
    to the requirements page, saying why; None when they may stay."""
    if role not in ONBOARDING_ROLES:
        return None
    status = request_access_status(request.user)
    if status.eligible:
        return None
    lapsed = [r.label for r in status.requirements if r.state == State.EXPIRED]
    if lapsed:
        messages.warning(
            request,
            "Your access has lapsed: renew the requirements below to use your dashboard again "
            f"(expired: {', '.join(lapsed)}).",
        )
    else:
        messages.info(
            request,
            "Complete the requirements below to use your dashboard; your next step is shown first.",
        )
    return redirect("access-requirements")


urlpatterns: list[URLPattern] = [
    path("", requirements, name="access-requirements"),
]
