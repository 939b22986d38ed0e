"""Writes on the researcher profile (policy 2.1): contact details, affiliations, ORCID iD,
conflicts of interest, research purposes, and the annual profile review.

Every write locks what it changes and writes one audit event in the same transaction.
Nothing is deleted: a conflict that no longer applies is retired, and every review is a new
row holding a snapshot of what the researcher confirmed.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from portal.actions import PortalAction
from portal.audit import audit_record
from portal.errors import DomainError, TransitionNotAllowed
from portal.lifecycles import ensure_transition
from portal.models import ConflictOfInterest, ProfileReview, ResearcherProfile, User
from portal.onboarding.helpers import PROFILE_FIELDS, review_missing, snapshot_changes
from portal.onboarding.selectors import profile_snapshot
from portal.onboarding.services.access import access_recheck_after_commit
from portal.onboarding.validators import normalise_orcid
from portal.permissions import ensure_can

# Fields a researcher keeps current. The name lives on the user (it is what they sign with);
# the rest on the profile (`PROFILE_FIELDS`).
USER_FIELDS = ("full_name",)


def _locked_profile(user: User) -> ResearcherProfile:
    """The user's profile, locked; created empty if they have none yet.

    Callers lock the user row first, so two requests cannot both create the profile.
    """
    profile = ResearcherProfile.objects.select_for_update().filter(user=user).first()
    if profile is None:
        profile = ResearcherProfile.objects.create(user=user, institution="", research_purposes="")
    return profile


def _clean(field: str, value: str) -> str:
    value = (value or "").strip()
    if field == "orcid":
        try:
            return normalise_orcid(value)
        except ValidationError as error:
            raise DomainError(" ".join(error.messages)) from error
    if field == "full_name":
        value = " ".join(value.split())
        if not value:
            raise DomainError(
                "Enter your full name as you sign documents: it appears on your signatures."
            )
    return value


@transaction.atomic
def profile_update(*, user: User, actor: User, **fields: str) -> ResearcherProfile:
    """Change some of a user's profile fields (and name). Returns the profile.

    Callable by the user themselves or a program admin. `fields` are any of USER_FIELDS and
    PROFILE_FIELDS; the ORCID iD is validated and normalised. One `profile.update` audit
    event records the before and after of the fields that changed; nothing is written when
    nothing changed. A changed name makes an earlier Code of Conduct signature need
    re-signing (the access status compares the signed name with the current one).
    """
    unknown = set(fields) - set(USER_FIELDS) - set(PROFILE_FIELDS)
    if unknown:
        raise TypeError(f"profile_update() got unknown fields: {', '.join(sorted(unknown))}")
    ensure_can(actor, "profile.update", user)
    cleaned = {field: _clean(field, value) for field, value in fields.items()}

    locked_user = User.objects.select_for_update().get(pk=user.pk)
    profile = _locked_profile(locked_user)
    before: dict[str, str] = {}
    after: dict[str, str] = {}
    for field, value in cleaned.items():
        holder: User | ResearcherProfile = locked_user if field in USER_FIELDS else profile
        current = getattr(holder, field)
        if current != value:
            before[field] = current
            after[field] = value
            setattr(holder, field, value)
    if not after:
        return profile

    user_changes = [f for f in after if f in USER_FIELDS]
    profile_changes = [f for f in after if f in PROFILE_FIELDS]
    if user_changes:
        locked_user.save(update_fields=user_changes)
        for field in user_changes:
            setattr(user, field, getattr(locked_user, field))
    if profile_changes:
        profile.save(update_fields=[*profile_changes, "updated_at"])
    audit_record(
        actor=actor, action=PortalAction.PROFILE_UPDATE, target=profile, before=before, after=after
    )
    access_recheck_after_commit(user_ids=[user.pk])
    return profile


@transaction.atomic
def conflict_declare(*, user: User, actor: User, kind: str, description: str) -> ConflictOfInterest:
    """Declare one conflict of interest, financial or not, with what it is.

    Callable by the user themselves or a program admin. Writes one `conflict.declare`
    audit event.
    """
    ensure_can(actor, "conflict.declare", user)
    if kind not in ConflictOfInterest.Kind.values:
        raise DomainError("Say whether the conflict of interest is financial or non-financial.")
    description = (description or "").strip()
    if not description:
        raise DomainError(
            "Describe the conflict of interest: what it is and how you keep it from "
            "influencing the research."
        )
    locked_user = User.objects.select_for_update().get(pk=user.pk)
    profile = _locked_profile(locked_user)
    conflict = ConflictOfInterest.objects.create(
        profile=profile, kind=kind, description=description
    )
    audit_record(
        actor=actor,
        action=PortalAction.CONFLICT_DECLARE,
        target=conflict,
        before={},
        after={"kind": kind, "description": description},
    )
    return conflict


@transaction.atomic
def conflict_retire(*, conflict: ConflictOfInterest, actor: User) -> ConflictOfInterest:
    """Mark a declared conflict as no longer applying. The record is kept, with the time.

    Callable by the conflict's owner or a program admin. Refused for a conflict that is
    already retired. Writes one `conflict.retire` audit event.
    """
    conflict = (
        ConflictOfInterest.objects.select_for_update()
        .select_related("profile__user")
        .get(pk=conflict.pk)
    )
    ensure_can(actor, "conflict.retire", conflict)
    if conflict.retired_at is not None:
        raise TransitionNotAllowed(
            "This conflict of interest was already marked as no longer applying on "
            f"{timezone.localtime(conflict.retired_at):%d %B %Y}."
        )
    ensure_transition(conflict, to=ConflictOfInterest.State.RETIRED)
    conflict.retired_at = timezone.now()
    conflict.save(update_fields=["retired_at"])
    audit_record(
        actor=actor,
        action=PortalAction.CONFLICT_RETIRE,
        target=conflict,
        before={"retired_at": None},
        after={"retired_at": conflict.retired_at},
    )
    return conflict


@transaction.atomic
def profile_review_confirm(*, user: User, actor: User) -> ProfileReview:
    """The researcher confirms their profile as it stands now (the annual review, 2.1).

    Only the researcher themselves may confirm. Refused while the institution or the
    research purposes are empty. Keeps every confirmation as a new ProfileReview holding a
    snapshot of what was confirmed and whether anything changed since the previous review
    (the first review counts as changed). Writes one `profile_review.confirm` audit event.
    """
    ensure_can(actor, "profile_review.confirm", user)
    locked_user = User.objects.select_for_update().get(pk=user.pk)
    profile = ResearcherProfile.objects.select_for_update().filter(user=locked_user).first()
    missing = review_missing(profile)
    if missing:
        raise DomainError(
            "Your profile review cannot be confirmed yet: add "
            + " and ".join(missing)
            + " to your profile, then confirm."
        )
    snapshot = profile_snapshot(locked_user, profile)
    previous = (
        ProfileReview.objects.filter(user=locked_user)
        .order_by("-confirmed_at", "-id")
        .values_list("snapshot", flat=True)
        .first()
    )
    review = ProfileReview.objects.create(
        user=locked_user,
        confirmed_at=timezone.now(),
        snapshot=snapshot,
        changed=previous != snapshot,
    )
    audit_record(
        actor=actor,
        action=PortalAction.PROFILE_REVIEW_CONFIRM,
        target=review,
        before={},
        after={
            "confirmed_at": review.confirmed_at,
            "changed": review.changed,
            "changes": snapshot_changes(previous, snapshot),
        },
    )
    access_recheck_after_commit(user_ids=[user.pk])
    return review
