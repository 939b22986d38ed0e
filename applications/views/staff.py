"""Screening (issue item 9): the queue of submitted applications, oldest first, and the
screener's accept or return. The PRAB chair and program admins screen; auditors read."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_POST

from applications.forms import ReturnForm
from applications.models import Application
from applications.selectors import QUEUE_STATUSES, application_for, screening_queue
from applications.services import application_accept, application_return, application_screen
from applications.views.researcher import detail_page
from portal.clock import program_today
from portal.errors import DomainError
from portal.fragments import cached_block, short_digest
from portal.http import AuthenticatedHttpRequest
from portal.permissions import can


@login_required
@require_GET
def queue(request: AuthenticatedHttpRequest) -> HttpResponse:
    statuses = request.GET.getlist("status")
    query = request.GET.get("q", "").strip()[:200]
    page, count = screening_queue(
        viewer=request.user,
        statuses=statuses,
        query=query,
        cursor=request.GET.get("after") or request.GET.get("before") or "",
        last=request.GET.get("page") == "last",
        today=program_today(),
    )
    chosen = [s for s in statuses if s in QUEUE_STATUSES] or list(QUEUE_STATUSES[:2])
    base = reverse("applications:detail", args=[0]).removesuffix("0/")
    rows = cached_block(
        "applications/_queue_row.html",
        page.rows,
        key=lambda row: f"{row.pk}:{short_digest(repr(row))}:{base}",
        contexts=lambda missing: [{"row": row, "url": f"{base}{row.pk}/"} for row in missing],
        assemble="".join,
    )
    return render(
        request,
        "applications/queue.html",
        {
            "page": page,
            "rows": mark_safe(rows),  # noqa: S308  # our own fragments, autoescaped
            "count": count,
            "query": query,
            "chosen": chosen,
            "statuses": [(s.value, s.label) for s in QUEUE_STATUSES],
            "can_screen": can(request.user, "application.screen"),
        },
    )


def _screened(request: AuthenticatedHttpRequest, pk: int) -> Application:
    """The application, for a screener; anyone else gets 404 (forged requests included)."""
    if not can(request.user, "application.screen"):
        raise Http404("No such page.")
    return application_for(request.user, pk)


def _back(pk: int) -> HttpResponse:
    return redirect(reverse("applications:detail", args=[pk]) + "#screening")


@login_required
@require_POST
def screen(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    application = _screened(request, pk)
    try:
        application_screen(application=application, actor=request.user)
    except DomainError as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, f"You are screening {application.reference}.")
    return _back(pk)


@login_required
@require_POST
def accept(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    application = _screened(request, pk)
    try:
        application_accept(application=application, actor=request.user)
    except DomainError as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, f"{application.reference} was accepted into review.")
    return _back(pk)


@login_required
@require_POST
def return_incomplete(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    application = _screened(request, pk)
    form = ReturnForm(request.POST)
    if not form.is_valid():
        # The overview again, with the comments as typed and what to change.
        return detail_page(request, application, return_form=form, status=400)
    try:
        application_return(
            application=application, comments=form.cleaned_data["comments"], actor=request.user
        )
    except DomainError as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, f"{application.reference} was returned to the applicant.")
    return _back(pk)
