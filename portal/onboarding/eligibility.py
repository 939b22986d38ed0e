"""Eligibility (policy 2.1) as one pure function of a researcher's records.

`evaluate_access` takes plain values, reads no database and no clock: the same records and
the same day always give the same verdict. `access_records_for_users` (in
`portal.onboarding.selectors`) gathers the records; the daily job, the requirements page,
the banner, the staff view and the `access_status` command all call this one function.

Dates are the program's calendar days (settings.TIME_ZONE). `expires_on` is the last day a
requirement still holds; `lapses_on`, the day after it, is the first day it no longer holds.
Every page, email, reminder and command names `lapses_on` ("expires on 3 March 2027") and
counts the days to it (`days_left`), so that they all name the same day: a reminder "30
days before" goes on the day the banner says "in 30 days".
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

# A Code of Conduct signature and a profile review hold for 365 days: the day of signing
# and the 364 days after it.
ANNUAL_VALIDITY = timedelta(days=364)
EXPIRING_SOON_DAYS = 30


class Requirement(StrEnum):
    CONTROLLED_TIER = "controlled_tier"
    CONSENT_PUBLIC_DISPLAY = "consent_public_display"
    CONSENT_VIOLATION_RELEASE = "consent_violation_release"
    CODE_OF_CONDUCT = "code_of_conduct"
    PROFILE_REVIEW = "profile_review"
    TWO_FACTOR = "two_factor"


REQUIREMENT_LABELS: dict[Requirement, str] = {
    Requirement.CONTROLLED_TIER: "Controlled Tier authorization",
    Requirement.CONSENT_PUBLIC_DISPLAY: "Consent to public display of your name and projects",
    Requirement.CONSENT_VIOLATION_RELEASE: "Consent to public release of your name if found "
    "in violation",
    Requirement.CODE_OF_CONDUCT: "Biospecimen Access Code of Conduct signature",
    Requirement.PROFILE_REVIEW: "Annual profile review",
    Requirement.TWO_FACTOR: "Two-factor authentication",
}


class State(StrEnum):
    COMPLETE = "complete"
    EXPIRING_SOON = "expiring_soon"
    EXPIRED = "expired"
    INCOMPLETE = "incomplete"
    BYPASSED = "bypassed"


# Each state as pages name it.
STATE_LABELS: dict[State, str] = {
    State.COMPLETE: "Complete",
    State.EXPIRING_SOON: "Expiring soon",
    State.EXPIRED: "Expired",
    State.INCOMPLETE: "Incomplete",
    State.BYPASSED: "Bypassed",
}

HOLDING_STATES = frozenset({State.COMPLETE, State.EXPIRING_SOON, State.BYPASSED})


@dataclass(frozen=True)
class CodeOfConductPolicy:
    """Which Code of Conduct versions count: the latest, and older ones until a lapse date.

    `accepted` maps an older version to the last day signatures on it still hold.
    A version in neither is retired: a signature on it no longer counts.
    """

    latest: str | None
    accepted: dict[str, date] = field(default_factory=dict)


@dataclass(frozen=True)
class AccessRecords:
    """Everything eligibility depends on, as plain values."""

    roster_expires_on: date | None = None
    consents: frozenset[str] = frozenset()
    coc_version: str | None = None
    coc_signed_on: date | None = None
    coc_name_matches: bool = True
    profile_confirmed_on: date | None = None
    profile_complete: bool = False
    two_factor: bool = False
    bypassed: frozenset[str] = frozenset()
    # The last day each bypass with an end date is in force; an open-ended one is absent.
    bypass_ends: dict[str, date] = field(default_factory=dict)


@dataclass(frozen=True)
class RequirementStatus:
    requirement: Requirement
    state: State
    last_done: date | None
    expires_on: date | None
    note: str = ""
    # A Code of Conduct signature on an older version that still counts: a newer version
    # is there to sign.
    superseded: bool = False

    @property
    def label(self) -> str:
        return REQUIREMENT_LABELS[self.requirement]

    @property
    def holds(self) -> bool:
        return self.state in HOLDING_STATES

    @property
    def lapses_on(self) -> date | None:
        """The first day this requirement no longer holds: the day every page names."""
        return self.expires_on + timedelta(days=1) if self.expires_on else None

    def days_left(self, today: date) -> int | None:
        """Days from `today` to `lapses_on`: 1 on the last day it holds."""
        return (self.lapses_on - today).days if self.lapses_on else None


@dataclass(frozen=True)
class AccessStatus:
    requirements: tuple[RequirementStatus, ...]

    @property
    def eligible(self) -> bool:
        return all(r.holds for r in self.requirements)

    @property
    def earliest_expiry(self) -> date | None:
        """The last day of the holding requirement (or bypass) that ends first, if any ends."""
        dates = [r.expires_on for r in self.requirements if r.expires_on is not None and r.holds]
        return min(dates) if dates else None

    @property
    def earliest_lapse(self) -> date | None:
        """The first day on which a requirement that holds today will no longer hold."""
        expiry = self.earliest_expiry
        return expiry + timedelta(days=1) if expiry else None

    def first_to_lapse(self) -> "RequirementStatus | None":
        """The holding requirement (or bypass) that ends first."""
        expiry = self.earliest_expiry
        if expiry is None:
            return None
        return next(r for r in self.requirements if r.holds and r.expires_on == expiry)

    def get(self, requirement: Requirement) -> RequirementStatus:
        return next(r for r in self.requirements if r.requirement == requirement)


def _dated(
    requirement: Requirement,
    *,
    today: date,
    done: date | None,
    expires_on: date | None,
    note: str = "",
) -> RequirementStatus:
    if expires_on is None:
        return RequirementStatus(requirement, State.INCOMPLETE, done, None, note)
    if today > expires_on:
        return RequirementStatus(requirement, State.EXPIRED, done, expires_on, note)
    if (expires_on - today).days < EXPIRING_SOON_DAYS:
        return RequirementStatus(requirement, State.EXPIRING_SOON, done, expires_on, note)
    return RequirementStatus(requirement, State.COMPLETE, done, expires_on, note)


def _code_of_conduct(
    records: AccessRecords, *, today: date, policy: CodeOfConductPolicy
) -> RequirementStatus:
    req = Requirement.CODE_OF_CONDUCT
    signed = records.coc_signed_on
    if signed is None or records.coc_version is None:
        return RequirementStatus(req, State.INCOMPLETE, None, None)
    expires_on = signed + ANNUAL_VALIDITY
    note = ""
    superseded = False
    if records.coc_version == policy.latest:
        pass
    elif records.coc_version in policy.accepted:
        expires_on = min(expires_on, policy.accepted[records.coc_version])
        superseded = True
        note = (
            f"A newer version is there to sign: the signature on version "
            f"{records.coc_version} expires on {expires_on + timedelta(days=1):%-d %B %Y}."
        )
    else:
        return RequirementStatus(
            req,
            State.EXPIRED,
            signed,
            None,
            f"Version {records.coc_version} has been retired; a signature on the current "
            "version is needed.",
        )
    if not records.coc_name_matches:
        return RequirementStatus(
            req,
            State.EXPIRED,
            signed,
            expires_on,
            "The account's name has changed since the signature; a new signature under the "
            "current name is needed.",
        )
    status = _dated(req, today=today, done=signed, expires_on=expires_on, note=note)
    if superseded and status.holds:
        return RequirementStatus(req, status.state, signed, expires_on, note, superseded=True)
    return status


def evaluate_access(
    records: AccessRecords, *, today: date, policy: CodeOfConductPolicy
) -> AccessStatus:
    """Each requirement's state on `today`, and so the verdict. Pure: no I/O, no clock."""
    statuses = [
        _dated(
            Requirement.CONTROLLED_TIER,
            today=today,
            done=None,
            expires_on=records.roster_expires_on,
        ),
        RequirementStatus(
            Requirement.CONSENT_PUBLIC_DISPLAY,
            State.COMPLETE
            if Requirement.CONSENT_PUBLIC_DISPLAY in records.consents
            else State.INCOMPLETE,
            None,
            None,
        ),
        RequirementStatus(
            Requirement.CONSENT_VIOLATION_RELEASE,
            State.COMPLETE
            if Requirement.CONSENT_VIOLATION_RELEASE in records.consents
            else State.INCOMPLETE,
            None,
            None,
        ),
        _code_of_conduct(records, today=today, policy=policy),
        _dated(
            Requirement.PROFILE_REVIEW,
            today=today,
            done=records.profile_confirmed_on,
            expires_on=(
                records.profile_confirmed_on + ANNUAL_VALIDITY
                if records.profile_confirmed_on and records.profile_complete
                else None
            ),
        ),
        RequirementStatus(
            Requirement.TWO_FACTOR,
            State.COMPLETE if records.two_factor else State.INCOMPLETE,
            None,
            None,
        ),
    ]
    return AccessStatus(
        tuple(
            _bypassed(s, records.bypass_ends.get(s.requirement.value))
            if s.requirement in records.bypassed and not s.holds
            else s
            for s in statuses
        )
    )


def _bypassed(status: RequirementStatus, ends: date | None) -> RequirementStatus:
    """A requirement waived by a bypass: it holds until the bypass's last day, if it has one."""
    if ends is None:
        return RequirementStatus(
            status.requirement, State.BYPASSED, status.last_done, None, "Waived by a program admin."
        )
    lapses_on = ends + timedelta(days=1)
    return RequirementStatus(
        status.requirement,
        State.BYPASSED,
        status.last_done,
        ends,
        f"Waived by a program admin; the waiver ends on {lapses_on:%-d %B %Y}.",
    )
