"""Reads shared by views, tasks and commands, scoped to the user who asks."""

from allauth.mfa.models import Authenticator
from django.db.models import Count, Q, QuerySet

from portal.models import Notification, User


def user_has_two_factor(*, user: User) -> bool:
    """True when the user has an authenticator app (TOTP) set up."""
    return bool(Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists())


def notifications_for(*, user: User) -> QuerySet[Notification]:
    """The user's own in-app notifications, newest first."""
    return Notification.objects.filter(user=user).order_by("-created_at", "-id")


def notification_counts(*, user: User) -> tuple[int, int]:
    """How many notifications the user has, and how many of them are unread (one query)."""
    counts = Notification.objects.filter(user=user).aggregate(
        total=Count("pk"), unread=Count("pk", filter=Q(read_at__isnull=True))
    )
    return counts["total"], counts["unread"]
