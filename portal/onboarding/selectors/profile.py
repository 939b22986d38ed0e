"""Reads on the researcher profile: the profile, its conflicts of interest and its reviews."""

from typing import Any

from django.db.models import QuerySet

from portal.models import ConflictOfInterest, ProfileReview, ResearcherProfile, User
from portal.onboarding.helpers import PROFILE_FIELDS


def profile_of(*, user: User) -> ResearcherProfile | None:
    """The user's profile, or None before they first save one."""
    return ResearcherProfile.objects.filter(user=user).first()


def conflicts_of(*, profile: ResearcherProfile | None) -> list[ConflictOfInterest]:
    """The profile's conflicts of interest: those in force first, each by when declared."""
    if profile is None:
        return []
    return list(profile.conflicts.order_by("retired_at", "declared_at", "pk"))


def own_conflicts(*, user: User) -> QuerySet[ConflictOfInterest]:
    """The conflicts declared on the user's own profile (to scope a change to its owner)."""
    return ConflictOfInterest.objects.filter(profile__user=user)


def profile_reviews_of(*, user: User) -> list[ProfileReview]:
    """Every review the user confirmed, newest first."""
    return list(ProfileReview.objects.filter(user=user).order_by("-confirmed_at", "-id"))


def profile_snapshot(user: User, profile: ResearcherProfile | None) -> dict[str, Any]:
    """What a profile review confirms, as plain JSON values (the conflicts still in force)."""
    conflicts = (
        [
            {
                "id": c.pk,
                "kind": c.kind,
                "description": c.description,
                "declared_at": c.declared_at.isoformat(),
            }
            for c in profile.conflicts.filter(retired_at__isnull=True).order_by("declared_at", "pk")
        ]
        if profile is not None
        else []
    )
    return {
        "full_name": user.full_name,
        "email": user.email,
        **{field: getattr(profile, field, "") if profile else "" for field in PROFILE_FIELDS},
        "conflicts": conflicts,
    }
