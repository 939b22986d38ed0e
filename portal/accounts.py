"""Glue between django-allauth, django-axes and the portal."""

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.http import HttpRequest


class AccountAdapter(DefaultAccountAdapter):
    """Sign-up is open to researchers; staff roles are granted by a program admin."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return bool(getattr(settings, "ACCOUNT_ALLOW_SIGNUP", True))

    def save_user(self, request: HttpRequest, user: Any, form: Any, commit: bool = True) -> Any:
        """The account and its researcher role are saved in one transaction (user_signup)."""
        user = super().save_user(request, user, form, commit=False)
        if commit:
            from portal.services import user_signup

            user_signup(user=user)
        return user


def axes_username(request: HttpRequest, credentials: dict[str, Any] | None = None) -> str:
    """The login being tried: allauth passes it as `email`; the form field is `login`."""
    credentials = credentials or {}
    value = (
        credentials.get("email")
        or credentials.get("username")
        or credentials.get("login")
        or request.POST.get("login", "")
    )
    return str(value).strip().lower()
