"""The Controlled Tier roster page: a program admin uploads the Workbench's roster."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.views.decorators.http import require_http_methods

from portal.errors import DomainError
from portal.http import AuthenticatedHttpRequest
from portal.onboarding.forms_roster import RosterUploadForm
from portal.onboarding.roster_files import CsvRosterSource, RosterInvalid
from portal.onboarding.selectors import current_roster_import, roster_imports
from portal.onboarding.services.roster import roster_import
from portal.permissions import can

IMPORTS_PER_PAGE = 25


@login_required
@require_http_methods(["GET", "POST"])
def roster_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Upload a roster; see the current import and the history. Program admins only."""
    if not can(request.user, "roster.import"):
        raise Http404("No such page.")
    form = RosterUploadForm()
    problems = []
    error = ""
    if request.method == "POST":
        form = RosterUploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["roster"]
            try:
                imported = roster_import(
                    source=CsvRosterSource(upload),
                    actor=request.user,
                )
            except RosterInvalid as invalid:
                error, problems = invalid.message, invalid.problems
            except DomainError as refused:
                error = refused.message
            else:
                messages.success(
                    request,
                    f"Imported {imported.row_count} roster entr"
                    f"{'y' if imported.row_count == 1 else 'ies'} from {imported.source}; "
                    "this roster is now the one eligibility is checked against.",
                )
                return redirect("access-roster")
    history = Paginator(roster_imports(), IMPORTS_PER_PAGE)
    page = history.get_page(request.GET.get("page"))
    current = current_roster_import()
    return render(
        request,
        "onboarding/roster/page.html",
        {
            "form": form,
            "error": error,
            "problems": problems,
            "uploaded_name": uploaded.name if (uploaded := request.FILES.get("roster")) else "",
            "current": current,
            "page": page,
        },
    )


urlpatterns: list[URLPattern] = [
    path("roster/", roster_page, name="access-roster"),
]
