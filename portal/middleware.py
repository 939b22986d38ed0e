"""Request-wide middleware: the request's address for the audit log, and the two-factor gate."""

import time
from collections.abc import Callable
from contextvars import ContextVar

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.cache import add_never_cache_headers

_current_ip: ContextVar[str | None] = ContextVar("portal_current_ip", default=None)


def current_ip_address() -> str | None:
    """The address of the request being served, if any (None in tasks and commands)."""
    return _current_ip.get()


class RequestContextMiddleware:
    """Remember the client address so that audit events can carry it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _current_ip.set(request.META.get("REMOTE_ADDR") or None)
        try:
            return self.get_response(request)
        finally:
            _current_ip.reset(token)


# Paths a staff member without two-factor may still open: the account pages (to set it up
# or sign out), static files and the health check.
_TWO_FACTOR_EXEMPT_PREFIXES = ("/accounts/", "/static/", "/healthz")


class RequireTwoFactorMiddleware:
    """Staff roles must turn on two-factor authentication before using the portal."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated and not request.path.startswith(_TWO_FACTOR_EXEMPT_PREFIXES):
            from portal.facts import user_facts

            facts = user_facts(user)
            if user.holds_staff_role and not facts.two_factor:
                messages.warning(
                    request,
                    "Your role requires two-factor authentication. Set up an authenticator "
                    "app below to continue.",
                )
                return redirect("mfa_activate_totp")
        return self.get_response(request)


class NoStoreForSignedInMiddleware:
    """Pages shown to a signed-in person are never stored by the browser or a proxy.

    They hold personal and policy-governed records; after signing out on a shared computer,
    the back button must not bring them back from a cache.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not response.has_header("Cache-Control"):
            add_never_cache_headers(response)
        return response


# The key the idle-timeout refresh keeps in the session: when it last renewed the expiry.
SESSION_REFRESHED_AT = "_portal_refreshed_at"
SESSION_REFRESH_EVERY = 60  # seconds


class SessionIdleRefreshMiddleware:
    """Keep the 30-minute idle timeout without writing the session on every request.

    A session is saved (and its expiry pushed SESSION_COOKIE_AGE ahead) only when something
    in it changed. This marks it changed at most once a minute for a signed-in user, so a
    session expires between 29 and 30 minutes after the last request instead of being
    written to the database on every page view. Runs after AuthenticationMiddleware.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = int(time.time())
            last = request.session.get(SESSION_REFRESHED_AT, 0)
            if not isinstance(last, int) or now - last >= SESSION_REFRESH_EVERY:
                request.session[SESSION_REFRESHED_AT] = now
        return self.get_response(request)
