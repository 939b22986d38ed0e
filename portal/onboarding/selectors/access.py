"""Reads that gather the records eligibility is computed from.

`access_records_for_users` reads a batch of users' records in one query whatever the batch
size, so the daily job scales to 100,000 researchers by batching, and the access banner on
every page costs one query.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.db.models import Exists, F, Max, OuterRef, Q, Subquery
from django.db.models.functions import Lower

from portal.clock import program_date, program_today
from portal.models import (
    CodeOfConductSignature,
    Consent,
    ProfileReview,
    RequirementBypass,
    ResearcherProfile,
    RosterEntry,
    RosterImport,
    User,
)
from portal.onboarding.eligibility import (
    AccessRecords,
    AccessStatus,
    CodeOfConductPolicy,
    Requirement,
    evaluate_access,
)
from portal.onboarding.helpers import same_name


def _signed_version_policy(
    version: str | None, is_current: bool | None, accepted_until: date | None
) -> CodeOfConductPolicy:
    """The part of the policy that decides one signature: its own version's standing.

    Read with the signature in the same query, so a status costs no query of its own.
    """
    if version is None:
        return CodeOfConductPolicy(latest=None)
    if is_current:
        return CodeOfConductPolicy(latest=version)
    return CodeOfConductPolicy(
        latest=None, accepted={version: accepted_until} if accepted_until else {}
    )


def active_bypass_q(day: date) -> Q:
    """The bypasses (RequirementBypass rows) that count on `day`: not revoked, and either
    open-ended or with a last day (`expires_on`) that is `day` or later."""
    return Q(revoked_at__isnull=True) & (Q(expires_on__isnull=True) | Q(expires_on__gte=day))


def access_records_for_users(user_ids: Iterable[int], *, today: date) -> dict[int, AccessRecords]:
    """The records of each user in the batch: one query, whatever the batch size."""
    return {user_id: records for user_id, (records, _) in _gather(user_ids, today=today).items()}


def _gather(
    user_ids: Iterable[int], *, today: date
) -> dict[int, tuple[AccessRecords, CodeOfConductPolicy]]:
    """Each user's records, and the standing of the Code of Conduct version they signed.

    Each record is a subquery on the user's row: the latest expiry on the current roster
    under any of their verified addresses (in any case), their latest Code of Conduct
    signature and profile review, whether the profile is complete, each consent not
    withdrawn, an authenticator app, and each requirement's bypass active on `today`.
    """
    ids = list(user_ids)
    user = OuterRef("pk")
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
    signature = CodeOfConductSignature.objects.filter(user=user).order_by("-signed_at", "-id")
    review = ProfileReview.objects.filter(user=user).order_by("-confirmed_at", "-id")
    complete_profile = (
        ResearcherProfile.objects.filter(user=user)
        .exclude(institution="")
        .exclude(research_purposes="")
    )
    consents = {
        f"consent_{kind}": Exists(
            Consent.objects.filter(user=user, kind=kind, withdrawn_at__isnull=True)
        )
        for kind in Consent.Kind.values
    }
    bypasses: dict[str, Any] = {}
    for requirement in Requirement:
        active = RequirementBypass.objects.filter(
            active_bypass_q(today), user=user, requirement=requirement.value
        )
        bypasses[f"bypass_{requirement.value}"] = Exists(active)
        # The last day of the longest active bypass; NULL first, so open-ended wins.
        bypasses[f"bypass_end_{requirement.value}"] = Subquery(
            active.order_by(F("expires_on").desc(nulls_first=True)).values("expires_on")[:1]
        )
    rows = (
        User.objects.filter(pk__in=ids)
        .annotate(
            roster_expires_on=Subquery(roster),
            coc_version=Subquery(signature.values("version__version")[:1]),
            coc_signed_at=Subquery(signature.values("signed_at")[:1]),
            coc_printed_name=Subquery(signature.values("printed_name")[:1]),
            coc_is_current=Subquery(signature.values("version__is_current")[:1]),
            coc_accepted_until=Subquery(signature.values("version__accepted_until")[:1]),
            review_confirmed_at=Subquery(review.values("confirmed_at")[:1]),
            has_complete_profile=Exists(complete_profile),
            has_two_factor=Exists(
                Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP)
            ),
            **consents,
            **bypasses,
        )
        .values(
            "pk",
            "full_name",
            "roster_expires_on",
            "coc_version",
            "coc_signed_at",
            "coc_printed_name",
            "coc_is_current",
            "coc_accepted_until",
            "review_confirmed_at",
            "has_complete_profile",
            "has_two_factor",
            *consents,
            *bypasses,
        )
    )
    result: dict[int, tuple[AccessRecords, CodeOfConductPolicy]] = {}
    for row in rows:
        signed_at = row["coc_signed_at"]
        confirmed_at = row["review_confirmed_at"]
        records = AccessRecords(
            roster_expires_on=row["roster_expires_on"],
            consents=frozenset(name for name in consents if row[name]),
            coc_version=row["coc_version"],
            coc_signed_on=program_date(signed_at) if signed_at else None,
            coc_name_matches=(
                same_name(row["coc_printed_name"], row["full_name"]) if signed_at else True
            ),
            profile_confirmed_on=program_date(confirmed_at) if confirmed_at else None,
            profile_complete=bool(row["has_complete_profile"]),
            two_factor=bool(row["has_two_factor"]),
            bypassed=frozenset(r.value for r in Requirement if row[f"bypass_{r.value}"]),
            bypass_ends={
                r.value: row[f"bypass_end_{r.value}"]
                for r in Requirement
                if row[f"bypass_{r.value}"] and row[f"bypass_end_{r.value}"] is not None
            },
        )
        policy = _signed_version_policy(
            row["coc_version"], row["coc_is_current"], row["coc_accepted_until"]
        )
        result[row["pk"]] = (records, policy)
    return result


def access_statuses_for(
    user_ids: Iterable[int], *, today: date | None = None
) -> dict[int, AccessStatus]:
    """Each user's access status on `today` (the program's today by default)."""
    day = today or program_today()
    return {
        user_id: evaluate_access(records, today=day, policy=policy)
        for user_id, (records, policy) in _gather(user_ids, today=day).items()
    }


def access_status_for(user: User, *, today: date | None = None) -> AccessStatus:
    """One user's access status: the gate later issues call before apply, team, ship."""
    return access_statuses_for([user.pk], today=today)[user.pk]


@dataclass(frozen=True)
class CompletionDates:
    """When the user last did the requirements whose records the access status leaves out."""

    consents_given_on: dict[Requirement, date] = field(default_factory=dict)
    two_factor_since: date | None = None
    roster_imported_on: date | None = None


def completion_dates_for(*, user: User) -> CompletionDates:
    """The day each consent in force was given, the day two-factor authentication was
    turned on, and the day the current roster was imported (three queries)."""
    consents = {
        Requirement(f"consent_{kind}"): program_date(given_at)
        for kind, given_at in (
            Consent.objects.filter(user=user, withdrawn_at__isnull=True)
            .values("kind")
            .annotate(latest=Max("given_at"))
            .values_list("kind", "latest")
        )
    }
    totp_since = (
        Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP)
        .values_list("created_at", flat=True)
        .first()
    )
    roster_imported_at = (
        RosterImport.objects.filter(is_current=True).values_list("imported_at", flat=True).first()
    )
    return CompletionDates(
        consents_given_on=consents,
        two_factor_since=program_date(totp_since) if totp_since else None,
        roster_imported_on=program_date(roster_imported_at) if roster_imported_at else None,
    )
