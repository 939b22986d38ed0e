"""The researcher's profile, conflicts of interest and annual profile review (policy 2.1)."""

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from portal.errors import DomainError
from portal.http import AuthenticatedHttpRequest
from portal.models import User
from portal.onboarding.eligibility import ANNUAL_VALIDITY
from portal.onboarding.forms_profile import ConflictForm, ProfileForm, ReviewConfirmForm
from portal.onboarding.helpers import review_missing, snapshot_changes
from portal.onboarding.selectors import (
    conflicts_of,
    has_signed_code_of_conduct,
    own_conflicts,
    profile_of,
    profile_reviews_of,
    profile_snapshot,
    program_date,
)
from portal.onboarding.services.profile import (
    conflict_declare,
    conflict_retire,
    profile_review_confirm,
    profile_update,
)
from portal.onboarding.views.requirements import back_to_requirements


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


def _render_profile(
    request: AuthenticatedHttpRequest,
    *,
    form: ProfileForm | None = None,
    conflict_form: ConflictForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    profile = profile_of(user=user)
    conflicts = conflicts_of(profile=profile)
    return render(
        request,
        "onboarding/profile/profile.html",
        {
            "form": form or ProfileForm(initial=ProfileForm.initial_for(user, profile)),
            "conflict_form": conflict_form or ConflictForm(),
            "active_conflicts": [c for c in conflicts if c.retired_at is None],
            "retired_conflicts": [c for c in conflicts if c.retired_at is not None],
            "next": _safe_next(request),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def profile_edit(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Show and change contact details, affiliations, ORCID iD and research purposes."""
    user = request.user
    if request.method != "POST":
        return _render_profile(request)
    form = ProfileForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Your profile was not saved: correct the fields marked below.")
        return _render_profile(request, form=form, status=400)
    name_changed = form.cleaned_data["full_name"] != user.full_name
    try:
        profile_update(user=user, actor=user, **form.cleaned_data)
    except DomainError as error:
        messages.error(request, error.message)
        return _render_profile(request, form=form, status=400)
    messages.success(request, "Your profile is saved.")
    if name_changed and has_signed_code_of_conduct(user=user):
        messages.warning(
            request,
            "Your name has changed, so your Code of Conduct signature no longer matches it: "
            "sign the Code of Conduct again under your new name.",
        )
    return redirect(_safe_next(request) or "access-profile")


@login_required
@require_POST
def conflict_add(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Declare a conflict of interest; on a problem, show the profile page with it kept."""
    user = request.user
    form = ConflictForm(request.POST)
    if not form.is_valid():
        messages.error(
            request, "Your conflict of interest was not recorded: correct the fields marked below."
        )
        return _render_profile(request, conflict_form=form, status=400)
    try:
        conflict_declare(user=user, actor=user, **form.cleaned_data)
    except DomainError as error:
        messages.error(request, error.message)
        return _render_profile(request, conflict_form=form, status=400)
    messages.success(request, "Your conflict of interest is recorded.")
    return redirect(_safe_next(request) or f"{reverse('access-profile')}#conflicts")


@login_required
@require_POST
def conflict_end(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Mark one of the user's own conflicts as no longer applying (404 for anyone else's)."""
    conflict = get_object_or_404(own_conflicts(user=request.user), pk=pk)
    try:
        conflict_retire(conflict=conflict, actor=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            "The conflict of interest is marked as no longer applying; it stays on your record.",
        )
    return redirect(_safe_next(request) or f"{reverse('access-profile')}#conflicts")


def _review_context(user: User, form: ReviewConfirmForm) -> dict[str, Any]:
    profile = profile_of(user=user)
    reviews = profile_reviews_of(user=user)
    history = [
        {
            "review": review,
            "changes": snapshot_changes(
                reviews[i + 1].snapshot if i + 1 < len(reviews) else None, review.snapshot
            ),
        }
        for i, review in enumerate(reviews)
    ]
    latest = reviews[0] if reviews else None
    missing = review_missing(profile)
    return {
        "profile": profile,
        "snapshot": profile_snapshot(user, profile),
        "form": form,
        "history": history,
        "latest": latest,
        "expires_on": (
            program_date(latest.confirmed_at) + ANNUAL_VALIDITY + timedelta(days=1)
            if latest
            else None
        ),
        "missing": missing,
    }


@login_required
@require_http_methods(["GET", "POST"])
def profile_review(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The annual review: the whole profile to confirm as it is, or to update then confirm."""
    user = request.user
    if request.method != "POST":
        return render(
            request, "onboarding/profile/review.html", _review_context(user, ReviewConfirmForm())
        )
    form = ReviewConfirmForm(request.POST)
    if form.is_valid():
        try:
            profile_review_confirm(user=user, actor=user)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            return back_to_requirements(
                request, done="Thank you: your profile review is confirmed for the next 365 days."
            )
    return render(
        request, "onboarding/profile/review.html", _review_context(user, form), status=400
    )


urlpatterns: list[URLPattern] = [
    path("profile/", profile_edit, name="access-profile"),
    path("profile/conflicts/", conflict_add, name="access-conflict-declare"),
    path("profile/conflicts/<int:pk>/retire/", conflict_end, name="access-conflict-retire"),
    path("profile/review/", profile_review, name="access-profile-review"),
]
