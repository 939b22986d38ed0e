"""Consents and the Code of Conduct: give and withdraw consents, sign, see past signatures,
and (program admins) publish a new version."""

from typing import Any

from allauth.core import ratelimit
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path
from django.views.decorators.http import require_http_methods, require_POST

from portal.errors import DomainError
from portal.http import AuthenticatedHttpRequest
from portal.models import CodeOfConductVersion, Consent
from portal.onboarding.eligibility import Requirement
from portal.onboarding.forms_conduct import (
    INITIALS_MARKER,
    CodeOfConductMakeCurrentForm,
    CodeOfConductPublishForm,
    CodeOfConductSignForm,
    ConsentGiveForm,
)
from portal.onboarding.helpers import example_initials, same_name, signature_meaning
from portal.onboarding.selectors import (
    access_status_for,
    code_of_conduct_history_for,
    code_of_conduct_label_taken,
    code_of_conduct_versions_overview,
    consent_states_for,
    consents_of,
    latest_code_of_conduct,
    latest_signature_of,
    signatures_of,
)
from portal.onboarding.services.conduct import (
    SignatureRefused,
    code_of_conduct_make_current,
    code_of_conduct_publish,
    code_of_conduct_sign,
    code_of_conduct_signed_copy_ensure,
)
from portal.onboarding.services.consents import consent_give, consent_withdraw
from portal.onboarding.views.requirements import back_to_requirements
from portal.permissions import can

_REENTRY_LIMIT_ACTION = "reauthenticate"


# --- Consents -----------------------------------------------------------------------------


def _render_consents(
    request: AuthenticatedHttpRequest, *, bound: dict[str, ConsentGiveForm] | None = None
) -> HttpResponse:
    states = consent_states_for(user=request.user)
    forms = bound or {}
    rows = [
        (state, forms.get(state.kind) or ConsentGiveForm(prefix=state.kind)) for state in states
    ]
    return render(request, "onboarding/consents/consents.html", {"rows": rows})


@login_required
def consents(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Each consent's wording with its own box and button, its state and when it was given."""
    return _render_consents(request)


@login_required
@require_POST
def consent_give_view(request: AuthenticatedHttpRequest, kind: str) -> HttpResponse:
    if kind not in Consent.Kind.values:
        raise Http404("No such consent.")
    form = ConsentGiveForm(request.POST, prefix=kind)
    if not form.is_valid():
        return _render_consents(request, bound={kind: form})
    try:
        consent = consent_give(user=request.user, kind=kind, actor=request.user)
    except DomainError as refusal:
        messages.error(request, refusal.message)
        return redirect("access-consents")
    return back_to_requirements(
        request,
        done=f"Consent recorded: {consent.get_kind_display().lower()} "
        f"(wording version {consent.wording_version}).",
    )


@login_required
@require_POST
def consent_withdraw_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    consent = get_object_or_404(consents_of(user=request.user), pk=pk)
    try:
        consent = consent_withdraw(consent=consent, actor=request.user)
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


def _sign_context(
    request: AuthenticatedHttpRequest, form: CodeOfConductSignForm | None
) -> dict[str, Any]:
    user = request.user
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
def code_of_conduct_sign_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The latest version in full, with the signature form under it."""
    user = request.user
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
            return back_to_requirements(
                request,
                done=f"You signed the Code of Conduct version {signature.version.version}; "
                "your signed copy is on your Code of Conduct history page.",
            )
    return render(request, "onboarding/conduct/sign.html", _sign_context(request, form))


@login_required
def code_of_conduct_history(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Every signature the user has made, verified against the signed text, with the PDF."""
    user = request.user
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
def code_of_conduct_publish_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Publish a new version, after a preview of exactly the text signers will read (the
    preview posts the same fields back with `confirm`); lists the published versions."""
    user = request.user
    if not can(user, "code_of_conduct.publish"):
        raise Http404("No such page.")
    if request.method == "POST":
        form = CodeOfConductPublishForm(request.POST)
        if form.is_valid() and code_of_conduct_label_taken(form.cleaned_data["version"]):
            form.add_error(
                "version",
                f"Version {form.cleaned_data['version']} is already published, and a published "
                "version is never changed. Choose a new label, for example the next year's.",
            )
        if form.is_valid() and "confirm" not in request.POST:
            if "edit" in request.POST:  # back to the form, everything typed kept
                return _render_publish(request, form=form)
            # Published text can never change: show it exactly as signers will see it first.
            return render(
                request,
                "onboarding/conduct/publish_preview.html",
                {"form": form, "preview": form.cleaned_data},
            )
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
                    f"{published.sha256[:12]}…). Signers will see it once it is made the "
                    "current version.",
                )
                return redirect("access-code-of-conduct-publish")
    else:
        form = CodeOfConductPublishForm()
    return _render_publish(request, form=form)


def _render_publish(
    request: AuthenticatedHttpRequest,
    *,
    form: CodeOfConductPublishForm | None = None,
    make_current: tuple[int, CodeOfConductMakeCurrentForm] | None = None,
) -> HttpResponse:
    current = latest_code_of_conduct()
    rows = [
        (
            row,
            make_current[1]
            if make_current and make_current[0] == row.version.pk
            else CodeOfConductMakeCurrentForm(prefix=f"v{row.version.pk}"),
        )
        for row in code_of_conduct_versions_overview()
    ]
    return render(
        request,
        "onboarding/conduct/publish.html",
        {
            "form": form or CodeOfConductPublishForm(),
            "rows": rows,
            "current": current,
            "may_make_current": can(request.user, "code_of_conduct.make_current"),
            "initials_marker": INITIALS_MARKER,
        },
    )


@login_required
@require_POST
def code_of_conduct_make_current_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """A program admin makes a published version the one to sign (audited)."""
    if not can(request.user, "code_of_conduct.make_current"):
        raise Http404("No such page.")
    version = get_object_or_404(CodeOfConductVersion, pk=pk)
    form = CodeOfConductMakeCurrentForm(request.POST, prefix=f"v{version.pk}")
    if form.is_valid():
        try:
            code_of_conduct_make_current(
                version=version,
                previous_accepted_until=form.cleaned_data["previous_accepted_until"],
                actor=request.user,
            )
        except DomainError as refusal:
            form.add_error("previous_accepted_until", refusal.message)
        else:
            messages.success(
                request, f"Version {version.version} is now the version researchers sign."
            )
            return redirect("access-code-of-conduct-publish")
    return _render_publish(request, make_current=(version.pk, form))


@login_required
@require_POST
def code_of_conduct_signed_copy_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Prepare the signer's signed PDF again when it is missing, then download it."""
    signature = get_object_or_404(signatures_of(user=request.user), pk=pk)
    try:
        copy = code_of_conduct_signed_copy_ensure(signature=signature, actor=request.user)
    except DomainError as refusal:
        messages.error(request, refusal.message)
        return redirect("access-code-of-conduct-history")
    return redirect("document-download", copy.pk)


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
    path(
        "code-of-conduct/versions/<int:pk>/make-current/",
        code_of_conduct_make_current_view,
        name="access-code-of-conduct-make-current",
    ),
    path(
        "code-of-conduct/signatures/<int:pk>/copy/",
        code_of_conduct_signed_copy_view,
        name="access-code-of-conduct-signed-copy",
    ),
]
