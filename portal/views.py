from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from portal.documents import document_open, documents_visible_to
from portal.facts import user_facts
from portal.fragments import cached_fragments, short_digest
from portal.health import health_report
from portal.http import AuthenticatedHttpRequest
from portal.navigation import ROLE_DASHBOARDS, dashboards_for
from portal.notifications import notification_mark_read as mark_read
from portal.onboarding.views.requirements import redirect_unless_eligible
from portal.paging import CountedPaginator
from portal.panels import panels_for
from portal.selectors import notifications_for


def home(request: HttpRequest) -> HttpResponse:
    """The public front page."""
    if request.user.is_authenticated:
        return redirect("dashboard")
    return render(request, "portal/home.html")


@login_required
def dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A user with one role goes straight to its dashboard; others choose."""
    dashboards = dashboards_for(request.user)
    if len(dashboards) == 1:
        return redirect("role-dashboard", role=dashboards[0].role.value)
    return render(request, "portal/dashboard.html", {"dashboards": dashboards})


@login_required
def role_dashboard(request: AuthenticatedHttpRequest, role: str) -> HttpResponse:
    """One role's dashboard; a user without that role gets 404."""
    board = ROLE_DASHBOARDS.get(role)
    if board is None or not request.user.has_role(role):
        raise Http404("No such dashboard.")
    if (renew := redirect_unless_eligible(request, role)) is not None:
        return renew  # researchers and team members not eligible go to /access/ (policy 2.1)
    return render(
        request,
        f"portal/dashboards/{role}.html",
        {
            "board": board,
            "dashboards": dashboards_for(request.user),
            "panels": panels_for(role, request.user),
        },
    )


NOTIFICATIONS_PER_PAGE = 25


@dataclass(frozen=True)
class _NoticeRow:
    """What the list reads for each notice on the page; the rest only to render a row anew."""

    pk: int
    read_at: datetime | None
    link: str  # only links inside the portal are shown; anything else is dropped

    @property
    def key(self) -> str:
        read = self.read_at.timestamp() if self.read_at else 0
        zone = timezone.get_current_timezone_name()
        return f"{self.pk}:{read}:{short_digest(self.link)}:{zone}"


@login_required
@require_GET
def notification_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The user's own in-app notifications, newest first, 25 to a page.

    The total comes with the user's cached facts and each row is a cached fragment, so a
    page costs one light query (the page's ids and read times) once its rows were shown.
    """
    notices = notifications_for(user=request.user)
    paginator = CountedPaginator(
        notices.values_list("pk", "read_at", "url"),
        NOTIFICATIONS_PER_PAGE,
        count=user_facts(request.user).notifications,
    )
    page = paginator.get_page(request.GET.get("page"))
    host = request.get_host()

    def contexts(missing: list[_NoticeRow]) -> list[dict[str, Any]]:
        loaded = notices.in_bulk([row.pk for row in missing])
        return [{"n": loaded[row.pk], "link": row.link} for row in missing]

    rows = cached_fragments(
        "portal/_notification_row.html",
        [
            _NoticeRow(pk, read_at, url if url_has_allowed_host_and_scheme(url, {host}) else "")
            for pk, read_at, url in page
        ],
        key=lambda row: row.key,
        contexts=contexts,
    )
    return render(
        request,
        "portal/notifications.html",
        {
            "page": page,
            "rows": rows,
            "page_range": paginator.get_elided_page_range(page.number, on_each_side=2),
        },
    )


@login_required
@require_POST
def notification_mark_read(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    notification = get_object_or_404(notifications_for(user=request.user), pk=pk)
    mark_read(notification=notification, actor=request.user)
    target = request.POST.get("next") or notification.url
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return HttpResponseRedirect(target)
    return redirect("notifications")


@login_required
@require_GET
def document_download(request: AuthenticatedHttpRequest, pk: str) -> FileResponse:
    """Send a private document as an attachment; 404 for anyone who may not see it."""
    document = get_object_or_404(documents_visible_to(user=request.user), pk=pk)
    response = FileResponse(
        document_open(document=document),
        as_attachment=True,
        filename=document.original_name,
        content_type=document.content_type,
    )
    response["Cache-Control"] = "private, no-store"
    return response


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """JSON status of the database and the broker; 503 when either is down."""
    report = health_report()
    return JsonResponse(report, status=200 if report["status"] == "ok" else 503)
