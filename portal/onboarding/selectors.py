"""Reads that gather the records eligibility is computed from.

`access_statuses_for` works on a batch of users with a fixed number of queries whatever the
batch size, so the daily job scales to 100,000 researchers by batching.
"""

from collections.abc import Iterable
from datetime import date, datetime
from zoneinfo import ZoneInfo

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from portal.models import (
    CodeOfConductSignature,
    Consent,
    ProfileReview,
    RequirementBypass,
    ResearcherProfile,
    RosterEntry,
    User,
)
from portal.onboarding.eligibility import (
    AccessRecords,
    AccessStatus,
    CodeOfConductPolicy,
    evaluate_access,
)


def program_today() -> date:
    """Today's date in the program's time zone (due dates are decided there)."""
    return timezone.now().astimezone(ZoneInfo(settings.TIME_ZONE)).date()


def program_date(moment: datetime) -> date:
    return moment.astimezone(ZoneInfo(settings.TIME_ZONE)).date()


def code_of_conduct_policy() -> CodeOfConductPolicy:
    """The accepted Code of Conduct versions, from settings."""
    accepted = {
        version: date.fromisoformat(str(last_day))
        for version, last_day in settings.CODE_OF_CONDUCT_ACCEPTED.items()
    }
    return CodeOfConductPolicy(latest=settings.CODE_OF_CONDUCT_LATEST, accepted=accepted)


def _same_name(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def access_records_for_users(user_ids: Iterable[int], *, today: date) -> dict[int, AccessRecords]:
    """The records of each user in the batch: nine queries, whatever the batch size."""
    ids = list(user_ids)
    users = {u.pk: u for u in User.objects.filter(pk__in=ids).only("pk", "full_name")}

    emails: dict[str, list[int]] = {}
    for user_id, email in EmailAddress.objects.filter(user_id__in=ids, verified=True).values_list(
        "user_id", "email"
    ):
        emails.setdefault(email.lower(), []).append(user_id)
    roster: dict[int, date] = {}
    for email, expires in RosterEntry.objects.filter(
        roster__is_current=True, email__in=list(emails)
    ).values_list("email", "access_expires_on"):
        for user_id in emails.get(email.lower(), []):
            if user_id not in roster or expires > roster[user_id]:
                roster[user_id] = expires

    consents: dict[int, set[str]] = {}
    for user_id, kind in Consent.objects.filter(
        user_id__in=ids, withdrawn_at__isnull=True
    ).values_list("user_id", "kind"):
        consents.setdefault(user_id, set()).add(f"consent_{kind}")

    signatures: dict[int, tuple[str, date, str]] = {}
    for user_id, version, signed_at, printed in (
        CodeOfConductSignature.objects.filter(user_id__in=ids)
        .order_by("user_id", "-signed_at", "-id")
        .values_list("user_id", "version__version", "signed_at", "printed_name")
    ):
        signatures.setdefault(user_id, (version, program_date(signed_at), printed))

    reviews: dict[int, date] = {}
    for user_id, confirmed_at in (
        ProfileReview.objects.filter(user_id__in=ids)
        .order_by("user_id", "-confirmed_at")
        .values_list("user_id", "confirmed_at")
    ):
        reviews.setdefault(user_id, program_date(confirmed_at))
    complete_profiles = set(
        ResearcherProfile.objects.filter(user_id__in=ids)
        .exclude(institution="")
        .exclude(research_purposes="")
        .values_list("user_id", flat=True)
    )

    two_factor = set(
        Authenticator.objects.filter(user_id__in=ids, type=Authenticator.Type.TOTP).values_list(
            "user_id", flat=True
        )
    )

    bypassed: dict[int, set[str]] = {}
    for user_id, requirement in RequirementBypass.objects.filter(
        Q(expires_on__isnull=True) | Q(expires_on__gte=today),
        user_id__in=ids,
        revoked_at__isnull=True,
    ).values_list("user_id", "requirement"):
        bypassed.setdefault(user_id, set()).add(requirement)

    result: dict[int, AccessRecords] = {}
    for user_id, user in users.items():
        signature = signatures.get(user_id)
        result[user_id] = AccessRecords(
            roster_expires_on=roster.get(user_id),
            consents=frozenset(consents.get(user_id, ())),
            coc_version=signature[0] if signature else None,
            coc_signed_on=signature[1] if signature else None,
            coc_name_matches=_same_name(signature[2], user.full_name) if signature else True,
            profile_confirmed_on=reviews.get(user_id),
            profile_complete=user_id in complete_profiles,
            two_factor=user_id in two_factor,
            bypassed=frozenset(bypassed.get(user_id, ())),
        )
    return result


def access_statuses_for(
    user_ids: Iterable[int], *, today: date | None = None
) -> dict[int, AccessStatus]:
    """Each user's access status on `today` (the program's today by default)."""
    day = today or program_today()
    policy = code_of_conduct_policy()
    return {
        user_id: evaluate_access(records, today=day, policy=policy)
        for user_id, records in access_records_for_users(user_ids, today=day).items()
    }


def access_status_for(user: User, *, today: date | None = None) -> AccessStatus:
    """One user's access status: the gate later issues call before apply, team, ship."""
    return access_statuses_for([user.pk], today=today)[user.pk]


def is_eligible(user: User, *, today: date | None = None) -> bool:
    return access_status_for(user, today=today).eligible
