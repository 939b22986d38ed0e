"""factory-boy factories shared by every app's tests, and the records behind access.

`UserFactory` makes a signed-up user; the onboarding factories make the records a
researcher's access rests on (roster entry, consents, Code of Conduct signature, profile and
its review, bypasses), and `make_eligible` gives a user every requirement at once. Which
Code of Conduct version is signed now is data: `set_current_code_of_conduct` sets it.

Dates are program calendar days (settings.TIME_ZONE); records made "on" a day are dated at
noon in the program's zone (`tests.helpers.at_noon`).
"""

import hashlib
import json
from collections.abc import Mapping
from datetime import date, timedelta

import factory
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.conf import settings
from django.contrib.auth.models import Group
from django.utils import timezone

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
from tests.helpers import at_noon

TEST_PASSWORD = "correct-horse-battery-staple"
# The version `latest_code_of_conduct()` publishes and makes current when none is.
DEFAULT_CODE_OF_CONDUCT = "2026.1"


class UserFactory(factory.django.DjangoModelFactory):
    """A user with a verified primary email. Pass roles=[...] and two_factor=True as needed."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    full_name = factory.Faker("name")
    password = factory.django.Password(TEST_PASSWORD)

    @factory.post_generation
    def verified_email(self, create: bool, extracted: bool | None, **kwargs: object) -> None:
        if create and extracted is not False:
            EmailAddress.objects.create(user=self, email=self.email, verified=True, primary=True)

    @factory.post_generation
    def roles(self, create: bool, extracted: list[str] | None, **kwargs: object) -> None:
        if create and extracted:
            self.groups.add(*Group.objects.filter(name__in=extracted))
            self.__dict__.pop("role_names", None)

    @factory.post_generation
    def two_factor(self, create: bool, extracted: bool | None, **kwargs: object) -> None:
        if create and extracted:
            TOTP.activate(self, generate_totp_secret())


def totp_secret(user: User) -> str:
    """The user's TOTP secret, for tests that sign in with a current code."""
    return Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP).data["secret"]


def _now_at_noon():
    return at_noon(program_today())


# --- The Controlled Tier roster -------------------------------------------------------------


def current_roster() -> RosterImport:
    """The current roster import, created empty if there is none yet."""
    current = RosterImport.objects.filter(is_current=True).first()
    if current is None:
        current = RosterImport.objects.create(
            source="test-roster.csv",
            sha256="0" * 64,
            row_count=0,
            is_current=True,
            confirmed_at=timezone.now(),
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
    # Imported and put in force when it was made (one awaiting review: confirmed_at=None).
    confirmed_at = factory.LazyFunction(timezone.now)


class RosterEntryFactory(factory.django.DjangoModelFactory):
    """An entry on the current roster (created if needed), valid for a year by default."""

    class Meta:
        model = RosterEntry

    roster = factory.LazyFunction(current_roster)
    email = factory.Sequence(lambda n: f"rostered{n}@example.org")
    workbench_username = ""
    access_expires_on = factory.LazyFunction(lambda: program_today() + timedelta(days=365))


# --- Consents -------------------------------------------------------------------------------


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


# --- The Code of Conduct --------------------------------------------------------------------


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


class CodeOfConductVersionFactory(factory.django.DjangoModelFactory):
    """A published version, neither current nor accepted (its signatures do not count).

    `latest_code_of_conduct()` gets the current one; `set_current_code_of_conduct()` chooses
    which version is current and which older ones still count.
    """

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


def set_current_code_of_conduct(
    version: str, *, accepted: Mapping[str, date] | None = None
) -> CodeOfConductVersion:
    """Make `version` the one to sign, as a program admin would, without the audit trail.

    Versions named in `accepted` still count through their date; every other version is
    retired (signatures on it no longer count). Missing versions are published with the
    factory. Returns the current version.
    """
    accepted = dict(accepted or {})
    current = CodeOfConductVersionFactory(version=version)
    for label in accepted:
        CodeOfConductVersionFactory(version=label)
    # One current version at most (a unique partial constraint): clear the others first.
    CodeOfConductVersion.objects.exclude(pk=current.pk).update(
        is_current=False, accepted_until=None
    )
    for label, last_day in accepted.items():
        CodeOfConductVersion.objects.filter(version=label).update(accepted_until=last_day)
    CodeOfConductVersion.objects.filter(pk=current.pk).update(is_current=True, accepted_until=None)
    current.refresh_from_db()
    return current


def latest_code_of_conduct() -> CodeOfConductVersion:
    """The current version; version 2026.1, published and made current, when none is."""
    current = CodeOfConductVersion.objects.filter(is_current=True).first()
    if current is not None:
        return current
    current = CodeOfConductVersionFactory(version=DEFAULT_CODE_OF_CONDUCT)
    CodeOfConductVersion.objects.filter(pk=current.pk).update(is_current=True, accepted_until=None)
    current.refresh_from_db()
    return current


class CodeOfConductSignatureFactory(factory.django.DjangoModelFactory):
    """A signature on the current version under the user's current name, today."""

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


# --- The profile and its review -------------------------------------------------------------


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


# --- Bypasses -------------------------------------------------------------------------------


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


# --- Every requirement at once --------------------------------------------------------------


def make_eligible(user: User, *, today: date | None = None) -> User:
    """Give `user` every requirement, all done on `today` (program today by default).

    Roster authorization runs a year past `today`; consents, a signature on the current
    Code of Conduct version under the user's current name and a complete profile's review
    are dated `today`; two-factor authentication is turned on if it is off.
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


def record_verdicts(today: date | None = None) -> None:
    """Record every researcher's and authorized user's verdict on `today`, as the nightly
    re-check does before the reminder pass, without its notices (the reminder tests count
    only the reminders' emails)."""
    from django.utils import timezone

    from portal.models import EligibilitySnapshot
    from portal.onboarding.selectors import access_statuses_for
    from portal.onboarding.services.access import onboarding_user_batches

    for ids in onboarding_user_batches(batch_size=1000):
        for user_id, status in access_statuses_for(ids, today=today).items():
            EligibilitySnapshot.objects.update_or_create(
                user_id=user_id,
                defaults={
                    "eligible": status.eligible,
                    "failing": [r.requirement.value for r in status.requirements if not r.holds],
                    "earliest_expiry": status.earliest_expiry,
                    "computed_at": timezone.now(),
                },
            )
