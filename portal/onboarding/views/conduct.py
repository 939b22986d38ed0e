"""Consents and the Code of Conduct: give and withdraw consents, sign, see past signatures,
and (program admins) publish a new version."""

from typing import Any

from allauth.core import ratelimit
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path
from django.views.decorators.http import require_http_methods, require_POST

from portal.errors import DomainError
from portal.models import Consent, User
from portal.onboarding.eligibility import Requirement
from portal.onboarding.forms_conduct import (
    INITIALS_MARKER,
    CodeOfConductPublishForm,
    CodeOfConductSignForm,
    ConsentGiveForm,
)
from portal.onboarding.helpers import example_initials, same_name, signature_meaning
from portal.onboarding.selectors import (
    access_status_for,
    code_of_conduct_history_for,
    code_of_conduct_versions_overview,
    consent_states_for,
    consents_of,
    latest_code_of_conduct,
    latest_signature_of,
)
from portal.onboarding.services.conduct import (
    SignatureRefused,
    code_of_conduct_publish,
    code_of_conduct_sign,
)
from portal.onboarding.services.consents import consent_give, consent_withdraw
from portal.roles import Role

_REENTRY_LIMIT_ACTION = "reauthenticate"


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


# --- Consents -----------------------------------------------------------------------------


def _render_consents(
    request: HttpRequest, *, bound: dict[str, ConsentGiveForm] | None = None
) -> HttpResponse:
    states = consent_states_for(user=_user(request))
    forms = bound or {}
    rows = [
        (state, forms.get(state.kind) or ConsentGiveForm(prefix=state.kind)) for state in states
    ]
    return render(request, "onboarding/consents/consents.html", {"rows": rows})


@login_required
def consents(request: HttpRequest) -> HttpResponse:
    """Each consent's wording with its own box and button, its state and when it was given."""
    return _render_consents(request)


@login_required
@require_POST
def consent_give_view(request: HttpRequest, kind: str) -> HttpResponse:
    if kind not in Consent.Kind.values:
        raise Http404("No such consent.")
    form = ConsentGiveForm(request.POST, prefix=kind)
    if not form.is_valid():
        return _render_consents(request, bound={kind: form})
    try:
        consent = consent_give(user=_user(request), kind=kind, actor=_user(request))
    except DomainError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(
            request,
            f"Consent recorded: {consent.get_kind_display().lower()} "
            f"(wording version {consent.wording_version}).",
        )
    return redirect("access-consents")


@login_required
@require_POST
def consent_withdraw_view(request: HttpRequest, pk: int) -> HttpResponse:
    consent = get_object_or_404(consents_of(user=_user(request)), pk=pk)
    try:
        consent = consent_withdraw(consent=consent, actor=_user(request))
    except DomainError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.warning(
            request,
            f"Consent withdrawn: {consent.get_kind_display().lower()}. You are not eligible for "
            "biospecimen access until you give it again.",
        )
    return redirect("access-consents")


# --- Signing ------------------------------------------------------------------------------


def _sign_context(request: HttpRequest, form: CodeOfConductSignForm | None) -> dict[str, Any]:
    user = _user(request)
    version = latest_code_of_conduct()
    last = latest_signature_of(user=user)
    status = access_status_for(user).get(Requirement.CODE_OF_CONDUCT)
    return {
        "version": version,
        "form": form,
        "meaning": signature_meaning(version.version) if version else "",
        "requirement": status,
        "last_signature": last,
        "name_changed": bool(
            last and user.full_name and not same_name(last.printed_name, user.full_name)
        ),
        "has_full_name": bool(user.full_name),
        "example_initials": example_initials(user.full_name) if user.full_name else "",
    }


@login_required
@require_http_methods(["GET", "POST"])
def code_of_conduct_sign_view(request: HttpRequest) -> HttpResponse:
    """The latest version in full, with the signature form under it."""
    user = _user(request)
    version = latest_code_of_conduct()
    if version is None:
        return render(request, "onboarding/conduct/sign.html", _sign_context(request, None))
    if request.method != "POST":
        form = CodeOfConductSignForm(
            statements=version.statements,
            initial={"version": version.version, "printed_name": user.full_name},
        )
        return render(request, "onboarding/conduct/sign.html", _sign_context(request, form))

    form = CodeOfConductSignForm(request.POST, statements=version.statements)
    # Wrong passwords here count against the same per-user limit as allauth's password
    # re-entry, so a borrowed session cannot be used to guess the password.
    if form.is_valid() and not ratelimit.consume(
        request, action=_REENTRY_LIMIT_ACTION, user=user, dry_run=True
    ):
        form.add_error(
            None,
            "Too many signing attempts with a wrong password. Wait a minute, then try again.",
        )
    elif form.is_valid():
        try:
            signature = code_of_conduct_sign(
                user=user,
                version=form.cleaned_data["version"],
                printed_name=form.cleaned_data["printed_name"],
                initials=form.initials(),
                password=form.cleaned_data["password"],
                ip_address=request.META.get("REMOTE_ADDR"),
            )
        except SignatureRefused as refusal:
            if "password" in refusal.problems:
                ratelimit.consume(request, action=_REENTRY_LIMIT_ACTION, user=user)
            for field, problem in refusal.problems.items():
                form.add_error(field if field in form.fields else None, problem)
        except DomainError as refusal:
            form.add_error(None, refusal.message)
        else:
            messages.success(
                request,
                f"You signed the Code of Conduct version {signature.version.version}. Your "
                "signed copy is listed below; download it whenever you need it.",
            )
            return redirect("access-code-of-conduct-history")
    return render(request, "onboarding/conduct/sign.html", _sign_context(request, form))


@login_required
def code_of_conduct_history(request: HttpRequest) -> HttpResponse:
    """Every signature the user has made, verified against the signed text, with the PDF."""
    user = _user(request)
    rows = code_of_conduct_history_for(user=user)
    return render(
        request,
        "onboarding/conduct/history.html",
        {
            "rows": rows,
            "any_mismatch": any(not row.verified for row in rows),
            "requirement": access_status_for(user).get(Requirement.CODE_OF_CONDUCT),
            "latest": latest_code_of_conduct(),
        },
    )


# --- Publishing (program admins) ----------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def code_of_conduct_publish_view(request: HttpRequest) -> HttpResponse:
    """Publish a new version; lists the published ones and their standing in settings."""
    user = _user(request)
    if not (user.is_superuser or user.has_role(Role.PROGRAM_ADMIN)):
        raise Http404("No such page.")
    if request.method == "POST":
        form = CodeOfConductPublishForm(request.POST)
        if form.is_valid():
            try:
                published = code_of_conduct_publish(
                    version=form.cleaned_data["version"],
                    title=form.cleaned_data["title"],
                    body=form.cleaned_data["body"],
                    statements=form.cleaned_data["statements"],
                    actor=user,
                )
            except DomainError as refusal:
                form.add_error(None, refusal.message)
            else:
                messages.success(
                    request,
                    f"Version {published.version} is published (SHA-256 "
                    f"{published.sha256[:12]}…). Signers will see it once CODE_OF_CONDUCT_LATEST "
                    f"is set to {published.version}.",
                )
                return redirect("access-code-of-conduct-publish")
    else:
        form = CodeOfConductPublishForm()
    return render(
        request,
        "onboarding/conduct/publish.html",
        {
            "form": form,
            "rows": code_of_conduct_versions_overview(),
            "initials_marker": INITIALS_MARKER,
            "settings_latest": settings.CODE_OF_CONDUCT_LATEST,
        },
    )


urlpatterns: list[URLPattern] = [
    path("consents/", consents, name="access-consents"),
    path("consents/<slug:kind>/give/", consent_give_view, name="access-consent-give"),
    path("consents/<int:pk>/withdraw/", consent_withdraw_view, name="access-consent-withdraw"),
    path("code-of-conduct/", code_of_conduct_sign_view, name="access-code-of-conduct"),
    path(
        "code-of-conduct/history/", code_of_conduct_history, name="access-code-of-conduct-history"
    ),
    path(
        "code-of-conduct/publish/",
        code_of_conduct_publish_view,
        name="access-code-of-conduct-publish",
    ),
]
