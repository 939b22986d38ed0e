"""Onboarding pages, one module per area; each module exposes `urlpatterns`."""

from django.http import Http404

from portal.http import AuthenticatedHttpRequest
from portal.models import User
from portal.permissions import can


def allowed_or_404(
    request: AuthenticatedHttpRequest, action: str, obj: object | None = None
) -> User:
    """The signed-in user, if the permission table lets them take `action`; else 404, as
    for a page that does not exist (a role that does not use a page never learns of it)."""
    user = request.user
    if not can(user, action, obj):
        raise Http404("No such page.")
    return user
