"""Typed requests: what a view may assume about `request.user`.

Django types `HttpRequest.user` as "some user or the anonymous user", so every view that
uses the portal's own `User` (its roles, its full name) would need a cast. A view behind
`login_required` annotates its request as `AuthenticatedHttpRequest` instead: the
decorator has already sent anyone not signed in to the login page, and the portal's user
model is `portal.models.User`, so `request.user` is one.

This is an annotation only. Django still builds a plain `HttpRequest`; nothing is checked
at run time, so use it only where a signed-in user is guaranteed (`login_required`, or the
admin site's views, which require a signed-in staff member).
"""

from django.http import HttpRequest

from portal.models import User


class AuthenticatedHttpRequest(HttpRequest):
    """A request from a signed-in user of the portal."""

    user: User
