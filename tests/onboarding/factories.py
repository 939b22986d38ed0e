"""Factories for onboarding records, and `make_eligible` to give a user every requirement.

Dates are program calendar days (settings.TIME_ZONE). `at_noon(day)` turns a day into an
aware moment at noon in the program's zone, so a record made "on" a day lands on that day
whatever the daylight-saving offset.
"""

import hashlib
import json
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import factory
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.conf import settings

from portal.models import (
    CodeOfConductSignature,
    CodeOfConductVersion,
    Consent,
    ProfileReview,
    RequirementBypass,
    ResearcherProfile,
    RosterEntry,
    RosterImport,
    User,
)
from portal.onboarding.selectors import program_today
from portal.roles import Role
from tests.factories import UserFactory


def at_noon(day: date) -> datetime:
    """Noon on `day` in the program's time zone, as an aware datetime."""
    return datetime.combine(day, time(12), tzinfo=ZoneInfo(settings.TIME_ZONE))


def _now_at_noon() -> datetime:
    return at_noon(program_today())


def coc_sha256(title: str, body: str, statements: list[dict[str, object]]) -> str:
    """A stand-in hash of a Code of Conduct version's content for test records.

    Tests that verify signatures against the real hash should compute it with the
    Code of Conduct module's own function and pass `sha256=` explicitly.
    """
    canonical = json.dumps(
        {"title": title, "body": body, "statements": statements},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def current_roster() -> RosterImport:
    """The current roster import, created empty if there is none yet."""
    current = RosterImport.objects.filter(is_current=True).first()
    if current is None:
        current = RosterImport.objects.create(
            source="test-roster.csv", sha256="0" * 64, row_count=0, is_current=True
        )
    return current


class RosterImportFactory(factory.django.DjangoModelFactory):
    """A roster import that is NOT current; pass is_current=True only when none is."""

    class Meta:
        model = RosterImport

    source = factory.Sequence(lambda n: f"roster-{n}.csv")
    sha256 = factory.Sequence(lambda n: hashlib.sha256(str(n).encode()).hexdigest())
    row_count = 0
    is_current = False


class RosterEntryFactory(factory.django.DjangoModelFactory):
    """An entry on the current roster (created if needed), valid for a year by default."""

    class Meta:
        model = RosterEntry

    roster = factory.LazyFunction(current_roster)
    email = factory.Sequence(lambda n: f"rostered{n}@example.org")
    workbench_username = ""
    access_expires_on = factory.LazyFunction(lambda: program_today() + timedelta(days=365))


class ConsentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Consent

    user = factory.SubFactory(UserFactory)
    kind = Consent.Kind.PUBLIC_DISPLAY
    wording_version = factory.LazyFunction(lambda: settings.CONSENT_WORDING_VERSION)
    wording_sha256 = factory.LazyAttribute(
        lambda o: hashlib.sha256(f"{o.kind}:{o.wording_version}".encode()).hexdigest()
    )
    given_at = factory.LazyFunction(_now_at_noon)
    withdrawn_at = None


class CodeOfConductVersionFactory(factory.django.DjangoModelFactory):
    """A published version; `latest_code_of_conduct()` gets the one settings call latest."""

    class Meta:
        model = CodeOfConductVersion
        django_get_or_create = ("version",)

    version = factory.Sequence(lambda n: f"2020.{n}")
    title = "Biospecimen Access Code of Conduct"
    body = "I will use biospecimens only for the approved research purposes."
    statements = factory.LazyFunction(
        lambda: [
            {"text": "I will not attempt to re-identify participants.", "initials": True},
            {"text": "I will report any data or specimen incident at once.", "initials": True},
            {"text": "I have read the whole Code of Conduct.", "initials": False},
        ]
    )
    sha256 = factory.LazyAttribute(lambda o: coc_sha256(o.title, o.body, o.statements))
    published_by = None


def latest_code_of_conduct() -> CodeOfConductVersion:
    """The version named by settings.CODE_OF_CONDUCT_LATEST, created if needed."""
    return CodeOfConductVersionFactory(version=settings.CODE_OF_CONDUCT_LATEST)


class CodeOfConductSignatureFactory(factory.django.DjangoModelFactory):
    """A signature on the latest version under the user's current name, today."""

    class Meta:
        model = CodeOfConductSignature

    user = factory.SubFactory(UserFactory)
    version = factory.LazyFunction(latest_code_of_conduct)
    printed_name = factory.LazyAttribute(lambda o: o.user.full_name)
    initials = factory.LazyAttribute(
        lambda o: {
            str(i): "".join(part[0] for part in o.user.full_name.split()).upper()
            for i, s in enumerate(o.version.statements)
            if s.get("initials")
        }
    )
    meaning = "I have read and agree to abide by this Code of Conduct."
    document_sha256 = factory.LazyAttribute(lambda o: o.version.sha256)
    signed_at = factory.LazyFunction(_now_at_noon)
    ip_address = "192.0.2.10"
    signed_copy = None


class ResearcherProfileFactory(factory.django.DjangoModelFactory):
    """A complete profile (institution and research purposes filled in)."""

    class Meta:
        model = ResearcherProfile
        django_get_or_create = ("user",)

    user = factory.SubFactory(UserFactory)
    institution = "University of Example"
    other_affiliations = ""
    job_title = "Associate Professor"
    phone = "+1 312 555 0100"
    postal_address = "1 Example Way, Chicago IL"
    orcid = ""
    research_purposes = "Study how inherited variants shape response to common medicines."


class ProfileReviewFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProfileReview

    user = factory.SubFactory(UserFactory)
    confirmed_at = factory.LazyFunction(_now_at_noon)
    snapshot = factory.LazyFunction(dict)
    changed = False


class RequirementBypassFactory(factory.django.DjangoModelFactory):
    """An open-ended bypass granted by a program admin (written directly; no audit row)."""

    class Meta:
        model = RequirementBypass

    user = factory.SubFactory(UserFactory)
    requirement = "controlled_tier"
    reason = "Workbench roster export is delayed; authorization confirmed by email."
    granted_by = factory.SubFactory(UserFactory, roles=[Role.PROGRAM_ADMIN], two_factor=True)
    expires_on = None
    revoked_at = None


def make_eligible(user: User, *, today: date | None = None) -> User:
    """Give `user` every requirement, all done on `today` (program today by default).

    Roster authorization runs a year past `today`; consents, the latest Code of Conduct
    signature under the user's current name and a complete profile's review are dated
    `today`; two-factor authentication is turned on if it is off.
    """
    day = today or program_today()
    moment = at_noon(day)
    entry = RosterEntry.objects.filter(roster=current_roster(), email=user.email.lower()).first()
    if entry is None:
        RosterEntryFactory(email=user.email.lower(), access_expires_on=day + timedelta(days=365))
    for kind in Consent.Kind.values:
        ConsentFactory(user=user, kind=kind, given_at=moment)
    CodeOfConductSignatureFactory(user=user, signed_at=moment)
    ResearcherProfileFactory(user=user)
    ProfileReviewFactory(user=user, confirmed_at=moment)
    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, generate_totp_secret())
    return user
