from typing import Any

from django.conf import settings
from django.http import HttpRequest

from portal.facts import user_facts
from portal.models import User
from portal.navigation import dashboards_for, shows_admin_link


def portal(request: HttpRequest) -> dict[str, Any]:
    """The portal's name and, for a signed-in user, what the navigation bar shows them:
    their dashboards, the admin link if they may use it, and their unread notifications.
    """
    # No `user` on a request that failed before the authentication middleware ran.
    user = getattr(request, "user", None)
    context: dict[str, Any] = {"portal_name": settings.PORTAL_NAME}
    if isinstance(user, User) and user.is_authenticated:
        context["nav_dashboards"] = dashboards_for(user)
        context["nav_show_admin"] = shows_admin_link(user)
        context["unread_notifications"] = user_facts(user).unread_notifications
    return context
