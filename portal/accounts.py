"""Glue between django-allauth, django-axes and the portal."""

from typing import Any
from urllib.parse import urlsplit, urlunsplit

from allauth.account.adapter import DefaultAccountAdapter
from django import forms
from django.conf import settings
from django.http import HttpRequest

from portal.forms import PortalForm

FULL_NAME_MAX = 150


class SignupExtraForm(PortalForm):
    """What sign-up asks besides email and password: the full name, which the portal's
    pages, the staff lists and every signed document show."""

    full_name = forms.CharField(
        label="Full name",
        max_length=FULL_NAME_MAX,
        help_text="As it appears on your institution's records; you sign documents with it.",
        error_messages={
            "required": "Enter your full name, for example Nia Newcomer.",
            "max_length": f"Keep your name to {FULL_NAME_MAX} characters or fewer.",
        },
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )

    def clean_full_name(self) -> str:
        name = " ".join(self.cleaned_data["full_name"].split())
        if not any(ch.isalpha() for ch in name):
            raise forms.ValidationError(
                "Enter your full name in letters, for example Nia Newcomer."
            )
        return name

    def signup(self, request: HttpRequest, user: Any) -> None:
        """Nothing left to do: the adapter saved the name with the account."""


def on_site(url: str) -> str:
    """`url` with the scheme, host and port of settings.SITE_URL: a link in an email points
    at the portal's configured address, not at whatever host the request came through."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return url
    base = urlsplit(settings.SITE_URL)
    return urlunsplit((base.scheme, base.netloc, parts.path, parts.query, parts.fragment))


class AccountAdapter(DefaultAccountAdapter):
    """Sign-up is open to researchers; staff roles are granted by a program admin."""

    def render_mail(
        self,
        template_prefix: str,
        email: str,
        context: dict[str, Any],
        headers: dict[str, str] | None = None,
    ) -> Any:
        """allauth's emails (written in the portal's words in templates/account/email/),
        with every link on settings.SITE_URL, as the portal's own emails have."""
        context = {
            key: on_site(value) if isinstance(value, str) else value
            for key, value in context.items()
        }
        context["site_url_base"] = settings.SITE_URL.rstrip("/")
        return super().render_mail(template_prefix, email, context, headers=headers)

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return bool(getattr(settings, "ACCOUNT_ALLOW_SIGNUP", True))

    def save_user(self, request: HttpRequest, user: Any, form: Any, commit: bool = True) -> Any:
        """The account and its researcher role are saved in one transaction (user_signup)."""
        user = super().save_user(request, user, form, commit=False)
        user.full_name = form.cleaned_data.get("full_name", "") or user.full_name
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
