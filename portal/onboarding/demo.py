"""Demo access records: researchers in every access state, made through the services.

Called by `manage.py seed_demo` after the demo users exist. Running it again adds nothing
that is already there (a fresh roster import is the one exception: it is history).
"""

import io
from datetime import date, timedelta

from django.conf import settings

from portal.models import (
    CodeOfConductSignature,
    CodeOfConductVersion,
    Consent,
    ProfileReview,
    RequirementBypass,
    RosterImport,
    User,
)
from portal.onboarding.eligibility import Requirement
from portal.onboarding.roster_files import CsvRosterSource
from portal.onboarding.selectors import program_today
from portal.onboarding.services.access import access_recheck_all
from portal.onboarding.services.bypass import requirement_bypass_grant
from portal.onboarding.services.conduct import (
    code_of_conduct_publish,
    code_of_conduct_sign,
    ensure_default_code_of_conduct,
)
from portal.onboarding.services.consents import consent_give
from portal.onboarding.services.profile import profile_review_confirm, profile_update
from portal.onboarding.services.roster import roster_import, roster_stage
from portal.onboarding.wordings import default_code_of_conduct_text

ELIGIBLE = ("researcher@demo.example.org", "teammember@demo.example.org")
NEVER_STARTED = "new.researcher@demo.example.org"
EXPIRING = "expiring.researcher@demo.example.org"
EXPIRED = "expired.researcher@demo.example.org"
BYPASSED = "bypassed.researcher@demo.example.org"
ADMIN = "admin@demo.example.org"

ACCESS_STATE_NOTES = {
    "researcher@demo.example.org": "eligible",
    "teammember@demo.example.org": "eligible",
    NEVER_STARTED: "never started onboarding",
    EXPIRING: "Controlled Tier expires in 10 days",
    EXPIRED: "Controlled Tier expired 5 days ago",
    BYPASSED: "Controlled Tier bypassed by a program admin",
}

_INSTITUTIONS = {
    "researcher@demo.example.org": "Midwest University School of Medicine",
    "teammember@demo.example.org": "Midwest University School of Medicine",
    EXPIRING: "Lakeside Institute for Genomic Medicine",
    EXPIRED: "Prairie State University",
    BYPASSED: "Riverside Cancer Center",
}
_PURPOSE = (
    "We study how inflammation markers in plasma change before the onset of type 2 "
    "diabetes, to find early signs that could help people get care sooner."
)


def _roster_csv(today: date) -> bytes:
    lines = ["email,workbench_username,access_expires_on"]
    for email in ELIGIBLE:
        lines.append(f"{email},{email.split('@')[0]},{today + timedelta(days=300)}")
    lines.append(f"{EXPIRING},expiring,{today + timedelta(days=10)}")
    lines.append(f"{EXPIRED},expired,{today - timedelta(days=5)}")
    return ("\n".join(lines) + "\n").encode()


def _complete_onboarding(user: User, *, version: CodeOfConductVersion) -> None:
    """Everything a researcher does on the requirements pages, through the same services."""
    for kind in Consent.Kind.values:
        consent_give(user=user, kind=kind, actor=user)
    profile_update(
        user=user,
        actor=user,
        institution=_INSTITUTIONS[user.email],
        research_purposes=_PURPOSE,
        phone="+1 312 555 0142",
    )
    if not ProfileReview.objects.filter(user=user).exists():
        profile_review_confirm(user=user, actor=user)
    if not CodeOfConductSignature.objects.filter(user=user).exists():
        initials = "".join(part[0] for part in user.full_name.split()).upper()
        code_of_conduct_sign(
            user=user,
            version=version.version,
            printed_name=user.full_name,
            initials={i: initials for i, s in enumerate(version.statements) if s.get("initials")},
            password=settings.DEMO_PASSWORD,
            ip_address=None,
        )


UPCOMING_VERSION = "2027.1"


def _publish_upcoming_version(current: CodeOfConductVersion, *, admin: User) -> None:
    """A published version not yet made current, so the publish page shows the control
    that makes it current."""
    if CodeOfConductVersion.objects.filter(version=UPCOMING_VERSION).exists():
        return
    title, body, statements = default_code_of_conduct_text(current.version)
    code_of_conduct_publish(
        version=UPCOMING_VERSION,
        title=title,
        body=body + "\n\nAmended for 2027: report a suspected re-identification within 24 hours.",
        statements=statements,
        actor=admin,
    )


def seed_demo_access(users: dict[str, User]) -> None:
    """Give the demo researchers their access states: eligible, never started, expiring in
    10 days (Controlled Tier), expired (Controlled Tier), bypassed (Controlled Tier)."""
    today = program_today()
    ensure_default_code_of_conduct()
    version = CodeOfConductVersion.objects.get(is_current=True)
    admin = users[ADMIN]
    _publish_upcoming_version(version, admin=admin)
    if not RosterImport.objects.exists():
        # An earlier export, so the roster history has an import to list and restore.
        earlier = _roster_csv(today - timedelta(days=30)).replace(
            f"{EXPIRING},expiring".encode(), f"{EXPIRING},eli".encode()
        )
        roster_import(
            source=CsvRosterSource(io.BytesIO(earlier), name="demo-roster-last-month.csv"),
            actor=admin,
        )
    roster_import(
        source=CsvRosterSource(io.BytesIO(_roster_csv(today)), name="demo-roster.csv"), actor=admin
    )
    for email in (*ELIGIBLE, EXPIRING, EXPIRED, BYPASSED):
        _complete_onboarding(users[email], version=version)
    if not RequirementBypass.objects.filter(
        user=users[BYPASSED], requirement=Requirement.CONTROLLED_TIER, revoked_at__isnull=True
    ).exists():
        requirement_bypass_grant(
            user=users[BYPASSED],
            requirement=Requirement.CONTROLLED_TIER,
            reason="Workbench roster export is delayed for this institution; authorization "
            "confirmed by email with the Researcher Workbench support desk.",
            expires_on=today + timedelta(days=60),
            actor=admin,
        )
    # Record everyone's verdict, as the nightly job would: first as it stood a week ago,
    # when Edda Expired's Controlled Tier authorization still held, then today, so that
    # she has the one lapse notice (email and in-app) the portal sends, and the people
    # list's verdict filters have something to filter.
    access_recheck_all(today=today - timedelta(days=6))
    access_recheck_all(today=today)
    # Tomorrow's export, uploaded and awaiting review: it drops Eli Expiring and moves the
    # team member's expiry, so the preview page has something to show. Not in force.
    upcoming = _roster_csv(today).decode().splitlines()
    upcoming = [line for line in upcoming if not line.startswith(EXPIRING)]
    upcoming = [
        line.replace(str(today + timedelta(days=300)), str(today + timedelta(days=330)))
        if line.startswith("teammember@")
        else line
        for line in upcoming
    ]
    roster_stage(
        source=CsvRosterSource(
            io.BytesIO(("\n".join(upcoming) + "\n").encode()), name="demo-roster-tomorrow.csv"
        ),
        actor=admin,
    )
