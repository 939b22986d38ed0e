"""The Controlled Tier roster pages: a program admin uploads the Workbench's roster, reviews
what it would change, puts it in force (a large drop needs a reason), lists the entries of
any import and restores an earlier one."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from portal.errors import DomainError
from portal.http import AuthenticatedHttpRequest
from portal.models import RosterImport
from portal.onboarding.forms_roster import RosterConfirmForm, RosterUploadForm
from portal.onboarding.roster_files import CsvRosterSource, RosterInvalid
from portal.onboarding.selectors import (
    current_roster_import,
    roster_awaiting_review,
    roster_diff,
    roster_entries_of,
    roster_imports,
    roster_preview,
)
from portal.onboarding.services.roster import (
    RosterDropNeedsConfirmation,
    roster_confirm,
    roster_discard,
    roster_restore_stage,
    roster_stage,
)
from portal.onboarding.views import allowed_or_404

IMPORTS_PER_PAGE = 25
ENTRIES_PER_PAGE = 100
# The preview names at most this many people of each kind (gains, losses, moved expiries);
# the counts are always whole.
PREVIEW_LIMIT = 200


@login_required
@require_http_methods(["GET", "POST"])
def roster_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    """See the current import and the history (program admins and auditors); upload a
    roster for review (program admins)."""
    allowed_or_404(request, "roster.read")
    form = RosterUploadForm()
    problems = []
    error = ""
    if request.method == "POST":
        actor = allowed_or_404(request, "roster.import")
        form = RosterUploadForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                staged = roster_stage(
                    source=CsvRosterSource(form.cleaned_data["roster"]), actor=actor
                )
            except RosterInvalid as invalid:
                error, problems = invalid.message, invalid.problems
            except DomainError as refused:
                error = refused.message
            else:
                messages.info(
                    request,
                    f"{staged.source} is uploaded and nothing has changed yet: check below who "
                    "would gain or lose access, then put it in force or set it aside.",
                )
                return redirect("access-roster-import", pk=staged.pk)
    history = Paginator(roster_imports(), IMPORTS_PER_PAGE)
    page = history.get_page(request.GET.get("page"))
    return render(
        request,
        "onboarding/roster/page.html",
        {
            "form": form,
            "error": error,
            "problems": problems,
            "uploaded_name": uploaded.name if (uploaded := request.FILES.get("roster")) else "",
            "current": current_roster_import(),
            "awaiting": roster_awaiting_review(),
            "page": page,
        },
    )


def _render_import(
    request: AuthenticatedHttpRequest,
    roster: RosterImport,
    *,
    form: RosterConfirmForm | None = None,
    status: int = 200,
) -> HttpResponse:
    preview = roster_preview(roster, limit=PREVIEW_LIMIT) if roster.awaiting_review else None
    diff = preview.diff if preview else None
    needs = bool(diff and diff.needs_drop_confirmation)
    entries = Paginator(roster_entries_of(roster), ENTRIES_PER_PAGE)
    return render(
        request,
        "onboarding/roster/import.html",
        {
            "roster": roster,
            "diff": diff,
            "preview": preview,
            "preview_limit": PREVIEW_LIMIT,
            "form": form or RosterConfirmForm(needs_drop_confirmation=needs),
            "needs_drop_confirmation": needs,
            "drop_percent": round(diff.drop_share * 100) if diff else 0,
            "entries": entries.get_page(request.GET.get("page")),
        },
        status=status,
    )


@login_required
@require_GET
def roster_import_page(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """One import: its entries, and for a roster awaiting review what it would change.
    Program admins and auditors."""
    allowed_or_404(request, "roster.read")
    return _render_import(request, get_object_or_404(roster_imports(), pk=pk))


@login_required
@require_POST
def roster_confirm_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    actor = allowed_or_404(request, "roster.import")
    roster = get_object_or_404(roster_imports(), pk=pk)
    needs = roster.awaiting_review and roster_diff(roster).needs_drop_confirmation
    form = RosterConfirmForm(request.POST, needs_drop_confirmation=needs)
    if form.is_valid():
        try:
            roster_confirm(
                roster=roster, actor=actor, drop_reason=form.cleaned_data.get("drop_reason", "")
            )
        except RosterDropNeedsConfirmation as refused:
            form.add_error(None, refused.message)
        except DomainError as refused:  # no longer awaiting review: nothing to confirm here
            messages.error(request, refused.message)
            return redirect("access-roster-import", pk=roster.pk)
        else:
            messages.success(
                request,
                f"{roster.source} is in force: eligibility is checked against its "
                f"{roster.row_count} entr{'y' if roster.row_count == 1 else 'ies'}, and everyone "
                "whose access changed has been told.",
            )
            return redirect("access-roster")
    return _render_import(request, roster, form=form, status=400)


@login_required
@require_POST
def roster_discard_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    actor = allowed_or_404(request, "roster.import")
    roster = get_object_or_404(roster_imports(), pk=pk)
    try:
        roster_discard(roster=roster, actor=actor)
    except DomainError as refused:
        messages.error(request, refused.message)
    else:
        messages.info(request, f"{roster.source} is set aside; the current roster stays in force.")
    return redirect("access-roster")


@login_required
@require_POST
def roster_restore_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    actor = allowed_or_404(request, "roster.restore")
    roster = get_object_or_404(roster_imports(), pk=pk)
    try:
        copy = roster_restore_stage(roster=roster, actor=actor)
    except DomainError as refused:
        messages.error(request, refused.message)
        return redirect("access-roster-import", pk=roster.pk)
    messages.info(
        request,
        f"The entries of import {roster.pk} are staged to be restored; nothing has changed "
        "yet. Check who would gain or lose access, then put them in force.",
    )
    return redirect("access-roster-import", pk=copy.pk)


urlpatterns: list[URLPattern] = [
    path("roster/", roster_page, name="access-roster"),
    path("roster/imports/<int:pk>/", roster_import_page, name="access-roster-import"),
    path("roster/imports/<int:pk>/confirm/", roster_confirm_view, name="access-roster-confirm"),
    path("roster/imports/<int:pk>/discard/", roster_discard_view, name="access-roster-discard"),
    path("roster/imports/<int:pk>/restore/", roster_restore_view, name="access-roster-restore"),
]
