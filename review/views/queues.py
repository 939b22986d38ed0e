"""The board's queues: the chair's, a member's own, the RAB's."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET

from portal.clock import program_today
from portal.fragments import cached_block, short_digest
from portal.http import AuthenticatedHttpRequest
from review.selectors import STAGE_TABS, chair_queue, member_queue, rab_queue, stage_counts
from review.selectors.queues import SORTS, QueueFilters


@login_required
@require_GET
def queue(request: AuthenticatedHttpRequest) -> HttpResponse:
    counts = stage_counts(request.user)
    stages = dict(STAGE_TABS)
    stage = request.GET.get("stage", "")
    if stage not in stages:
        stage = "awaiting_assignment"
    sort = request.GET.get("sort", "oldest")
    if sort not in SORTS:
        sort = "oldest"
    query = request.GET.get("q", "").strip()[:200]
    ai_an = request.GET.get("ai_an") == "1"
    page = chair_queue(
        viewer=request.user,
        filters=QueueFilters(stage=stage, sort=sort, ai_an_only=ai_an, query=query),
        cursor=request.GET.get("after") or request.GET.get("before") or "",
        last=request.GET.get("page") == "last",
        today=program_today(),
        total=0 if (query or ai_an) else counts.get(stage, 0),
    )
    base = reverse("review:overview", args=[0]).removesuffix("0/")
    rows = cached_block(
        "review/_queue_row.html",
        page.rows,
        key=lambda row: f"{row.pk}:{short_digest(repr(row))}:{base}",
        contexts=lambda missing: [
            {"row": row, "url": f"{base}{row.application_pk}/"} for row in missing
        ],
        assemble="".join,
    )
    return render(
        request,
        "review/queue.html",
        {
            "page": page,
            "rows": mark_safe(rows),  # noqa: S308  # our own fragments, autoescaped
            "tabs": [(value, label, counts.get(value, 0)) for value, label in STAGE_TABS],
            "stage": stage,
            "stage_label": stages[stage],
            "sort": sort,
            "sorts": SORTS.items(),
            "query": query,
            "ai_an": ai_an,
            "filtered": bool(query or ai_an),
        },
    )


@login_required
@require_GET
def mine(request: AuthenticatedHttpRequest) -> HttpResponse:
    open_rows, done = member_queue(viewer=request.user, today=program_today())
    return render(request, "review/mine.html", {"open_rows": open_rows, "done": done})


@login_required
@require_GET
def rab(request: AuthenticatedHttpRequest) -> HttpResponse:
    escalations, appeals = rab_queue(viewer=request.user)
    return render(request, "review/rab.html", {"escalations": escalations, "appeals": appeals})
