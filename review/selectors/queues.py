"""The board's queues: the chair's by stage, a member's own assignments, the RAB's open
questions and appeals. Each reads a fixed number of queries whatever its length."""

import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.http import Http404

from portal.fragments import short_digest
from portal.keyset import KeysetPage, SortKey, decode_cursor, keyset_query, keyset_result
from portal.models import User
from portal.permissions import can
from portal.prepared import prepared_rows
from review.models import Appeal, Assignment, ConflictDeclaration, Escalation, ReviewRound

Stage = ReviewRound.Stage
STAGE_TABS: list[tuple[str, str]] = [
    (Stage.AWAITING_ASSIGNMENT, "Awaiting assignment"),
    (Stage.IN_REVIEW, "In review"),
    (Stage.READY, "Ready for decision"),
    ("escalated", "Escalated to the RAB"),
    (Stage.DEFERRED, "Deferred"),
    (Stage.REVISIONS, "Waiting for revisions"),
    (Stage.DECIDED, "Decided"),
]
SORTS = {
    "oldest": "Waiting longest first",
    "newest": "Most recent first",
    "due": "Due soonest first",
}
PER_PAGE = 50
# The queues' rows and counts are kept in the cache under the board's generation number,
# which every review service moves on once it commits (review_changed): a queue is exact,
# and read from the database only once per change. KEPT bounds what a lost bump costs.
GENERATION_KEY = "review:generation"
KEPT = 300  # seconds


def _fresh_start() -> int:
    # A lost counter starts again beyond any number it reached: from the clock, in ms.
    return int(time.time() * 1000)


def generation() -> int:
    found = cache.get(GENERATION_KEY)
    if found is None:
        cache.add(GENERATION_KEY, _fresh_start(), None)
        found = cache.get(GENERATION_KEY) or _fresh_start()
    return int(found)


def next_generation() -> None:
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:  # not there (a flushed cache)
        cache.set(GENERATION_KEY, _fresh_start(), None)


def recused_applications(member_id: int) -> frozenset[int]:
    """The applications `member_id` is recused from, read once per generation (a recusal
    moves the generation on before its own transaction even commits)."""
    return frozenset(
        _kept(
            f"recused:{member_id}",
            lambda: list(
                ConflictDeclaration.objects.filter(
                    member_id=member_id, conflicted=True
                ).values_list("application_id", flat=True)
            ),
        )
    )


def _kept(key: str, read: Any) -> Any:
    """`read()`, kept for this generation."""
    full = f"review:{generation()}:{key}"
    found = cache.get(full)
    if found is None:
        found = read()
        cache.set(full, found, KEPT)
    return found


_FAR = date(9999, 12, 31)


def _keys(sort: str) -> list[SortKey]:
    if sort == "due":
        from django.db.models import DateField, Value
        from django.db.models.functions import Coalesce

        return [
            SortKey(
                "k_due", Coalesce(F("due_on"), Value(_FAR), output_field=DateField()), kind=date
            ),
            SortKey("k_id", F("pk"), kind=int),
        ]
    descending = sort == "newest"
    return [
        SortKey("k_changed", F("stage_changed_at"), descending=descending, kind=datetime),
        SortKey("k_id", F("pk"), descending=descending, kind=int),
    ]


@dataclass(frozen=True)
class ChairRow:
    pk: int
    application_pk: int
    reference: str
    title: str
    applicant: str
    stage: str
    stage_label: str
    includes_ai_an: bool
    kind: str
    age_days: int
    due_on: date | None
    overdue: bool  # a review past its due date
    waiting_too_long: bool  # longer at this stage than settings allow
    reviewers: int
    sheets_submitted: int
    escalated: bool


def stage_counts(viewer: User) -> dict[str, int]:
    """How many applications wait at each stage (read once per generation; recusals are
    not subtracted from these totals, only from the rows)."""
    if not can(viewer, "review.queue.view"):
        raise Http404("No such page.")

    def read() -> dict[str, int]:
        rows = (
            ReviewRound.objects.filter(current=True)
            .values("stage")
            .annotate(n=Count("id"), escalated=Count("id", filter=Q(escalated=True)))
            .order_by()
        )
        counts = {r["stage"]: r["n"] for r in rows}
        counts["escalated"] = sum(r["escalated"] for r in rows)
        return counts

    return dict(_kept("stage-counts", read))


UPCOMING_KEY = "review:upcoming-meetings"
UPCOMING_TTL = 60
UPCOMING_SHOWN = 3


def upcoming_meetings() -> list[Any]:
    """The next meetings, for the dashboards (kept a minute; scheduling one forgets it)."""
    from django.utils import timezone

    from review.models import Meeting

    kept = cache.get(UPCOMING_KEY)
    if kept is None:
        kept = [
            {"pk": m.pk, "title": m.title, "starts_at": m.starts_at, "ai_an_review": m.ai_an_review}
            for m in Meeting.objects.filter(starts_at__gte=timezone.now()).order_by("starts_at")[
                :UPCOMING_SHOWN
            ]
        ]
        cache.set(UPCOMING_KEY, kept, UPCOMING_TTL)
    return list(kept)


@dataclass(frozen=True)
class QueueFilters:
    """What the chair asked the queue for."""

    stage: str
    sort: str = "oldest"
    ai_an_only: bool = False
    query: str = ""


def chair_queue(
    *,
    viewer: User,
    filters: QueueFilters,
    cursor: str = "",
    last: bool = False,
    today: date,
    total: int = 0,
) -> KeysetPage[ChairRow]:
    """One stage of the chair's queue, oldest first (or newest, or due soonest), without the
    applications the viewer is recused from. One query for the page."""
    if not can(viewer, "review.queue.view"):
        raise Http404("No such page.")
    keys = _keys(filters.sort if filters.sort in SORTS else "oldest")
    position = decode_cursor(cursor, keys) if cursor else None
    values: dict[str, Any] = {"viewer": viewer.pk}
    escalated = filters.stage == "escalated"
    if not escalated:
        values["stage"] = filters.stage
    if filters.query:
        values["q"] = filters.query
    if position is not None:
        values.update({f"c{n}": value for n, value in enumerate(position.values)})
    direction = None if position is None else ("before" if position.before else "after")
    shape = (
        "review-queue",
        keys[0].name,
        keys[0].descending,
        escalated,
        filters.ai_an_only,
        bool(filters.query),
        direction,
        last,
    )

    def build(v: Mapping[str, Any]) -> QuerySet[Any]:
        rows = ReviewRound.objects.filter(current=True)
        rows = rows.filter(escalated=True) if escalated else rows.filter(stage=v["stage"])
        if filters.ai_an_only:
            rows = rows.filter(application__includes_ai_an=True)
        if filters.query:
            rows = rows.filter(
                Q(application__reference__icontains=v["q"])
                | Q(application__title__icontains=v["q"])
            )
        rows = rows.filter(
            ~Exists(
                ConflictDeclaration.objects.filter(
                    application_id=OuterRef("application_id"),
                    member_id=v["viewer"],
                    conflicted=True,
                )
            )
        )
        stand_in = (
            None
            if position is None
            else replace(position, values=tuple(v[f"c{n}"] for n in range(len(position.values))))
        )
        return keyset_query(
            rows.values(
                "pk",
                "application_id",
                "stage",
                "stage_changed_at",
                "due_on",
                "reviewers",
                "sheets_submitted",
                "escalated",
                reference=F("application__reference"),
                title=F("application__title"),
                kind=F("application__kind"),
                includes_ai_an=F("application__includes_ai_an"),
                applicant_name=F("application__applicant__full_name"),
                applicant_email=F("application__applicant__email"),
            ),
            keys,
            cursor=stand_in,
            last=last,
            per_page=PER_PAGE,
        )

    # Compiled once per shape and process (portal.prepared), and run once per generation.
    found = _kept(
        f"queue:{short_digest(repr((shape, sorted(values.items()))))}",
        lambda: prepared_rows(shape, build, values),
    )
    page: KeysetPage[dict[str, Any]] | None = keyset_result(
        found, keys, cursor=position, last=last, per_page=PER_PAGE, total=total
    )
    if page is None:  # "Previous" from near the start: the first page
        return chair_queue(viewer=viewer, filters=filters, today=today, total=total)
    zone = ZoneInfo(settings.TIME_ZONE)
    labels = dict(Stage.choices)
    limits: dict[str, int] = settings.REVIEW_STAGE_LIMIT_DAYS
    out = []
    for r in page.rows:
        age = (today - r["stage_changed_at"].astimezone(zone).date()).days
        limit = limits.get(r["stage"])
        out.append(
            ChairRow(
                pk=r["pk"],
                application_pk=r["application_id"],
                reference=r["reference"],
                title=r["title"],
                applicant=r["applicant_name"] or r["applicant_email"],
                stage=r["stage"],
                stage_label=labels[r["stage"]],
                includes_ai_an=r["includes_ai_an"],
                kind=r["kind"],
                age_days=age,
                due_on=r["due_on"],
                overdue=r["due_on"] is not None
                and r["due_on"] < today
                and r["stage"] == Stage.IN_REVIEW,
                waiting_too_long=limit is not None and age > limit,
                reviewers=r["reviewers"],
                sheets_submitted=r["sheets_submitted"],
                escalated=r["escalated"],
            )
        )
    return KeysetPage(**{**vars(page), "rows": out})


@dataclass(frozen=True)
class MemberRow:
    pk: int
    application_pk: int
    reference: str
    title: str
    state: str
    state_label: str
    due_on: date
    overdue: bool
    to_do: str
    url: str


MEMBER_DONE_SHOWN = 20


def member_open_assignments(*, viewer: User, today: date) -> list[MemberRow]:
    """The dashboard's part of a member's queue: open assignments only, one query."""
    return member_queue(viewer=viewer, today=today, done=False)[0]


def member_queue(
    *, viewer: User, today: date, done: bool = True
) -> tuple[list[MemberRow], list[MemberRow]]:
    """A PRAB member's open assignments, soonest due first, and their last submitted ones.
    Two queries whatever their number."""
    if not can(viewer, "review.assignments.view"):
        raise Http404("No such page.")
    fields = (
        "pk",
        "state",
        "due_on",
    )
    base = Assignment.objects.filter(reviewer=viewer, round__current=True).values(
        *fields,
        application_pk=F("round__application_id"),
        reference=F("round__application__reference"),
        title=F("round__application__title"),
    )
    open_rows = _kept(
        f"mine:{viewer.pk}",
        lambda: list(
            base.filter(
                state__in=[Assignment.State.DECLARING, Assignment.State.REVIEWING]
            ).order_by("due_on", "pk")
        ),
    )
    done_rows = (
        _kept(
            f"mine-done:{viewer.pk}",
            lambda: list(
                base.filter(state=Assignment.State.SUBMITTED).order_by("-due_on", "-pk")[
                    :MEMBER_DONE_SHOWN
                ]
            ),
        )
        if done
        else []
    )
    labels = dict(Assignment.State.choices)

    def row(r: dict[str, Any]) -> MemberRow:
        declaring = r["state"] == Assignment.State.DECLARING
        submitted = r["state"] == Assignment.State.SUBMITTED
        return MemberRow(
            pk=r["pk"],
            application_pk=r["application_pk"],
            reference=r["reference"],
            title=r["title"],
            state=r["state"],
            state_label=labels[r["state"]],
            due_on=r["due_on"],
            overdue=not submitted and r["due_on"] < today,
            to_do=(
                "Declare any conflict of interest"
                if declaring
                else "Read the scores and join the discussion"
                if submitted
                else "Score and submit your sheet"
            ),
            url=(
                f"/review/assignments/{r['pk']}/declare/"
                if declaring
                else f"/review/applications/{r['application_pk']}/scores/"
                if submitted
                else f"/review/assignments/{r['pk']}/sheet/"
            ),
        )

    return [row(r) for r in open_rows], [row(r) for r in done_rows] if done else []


@dataclass(frozen=True)
class RabRow:
    pk: int
    kind: str  # "escalation" or "appeal"
    application_pk: int
    reference: str
    title: str
    text: str
    since: datetime
    url: str


RAB_SHOWN = 200


def rab_queue(*, viewer: User) -> tuple[list[RabRow], list[RabRow]]:
    """Open questions from the PRAB and pending appeals, oldest first, without those the
    viewer is recused from. Two queries."""
    if not can(viewer, "review.rab.view"):
        raise Http404("No such page.")
    recused = ConflictDeclaration.objects.filter(member=viewer, conflicted=True).values(
        "application_id"
    )
    escalations = (
        Escalation.objects.filter(answered_at__isnull=True)
        .exclude(application_id__in=recused)
        .order_by("asked_at", "id")
        .values(
            "pk",
            "application_id",
            "question",
            "asked_at",
            reference=F("application__reference"),
            title=F("application__title"),
        )[:RAB_SHOWN]
    )
    appeals = (
        Appeal.objects.filter(outcome=Appeal.Outcome.PENDING)
        .exclude(application_id__in=recused)
        .order_by("submitted_at", "id")
        .values(
            "pk",
            "application_id",
            "grounds",
            "submitted_at",
            reference=F("application__reference"),
            title=F("application__title"),
        )[:RAB_SHOWN]
    )
    return (
        [
            RabRow(
                e["pk"],
                "escalation",
                e["application_id"],
                e["reference"],
                e["title"],
                e["question"],
                e["asked_at"],
                f"/review/escalations/{e['pk']}/",
            )
            for e in escalations
        ],
        [
            RabRow(
                a["pk"],
                "appeal",
                a["application_id"],
                a["reference"],
                a["title"],
                a["grounds"],
                a["submitted_at"],
                f"/review/appeals/{a['pk']}/",
            )
            for a in appeals
        ],
    )
