"""Reads of applications that views and tasks share, each scoped to the viewer."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, F, Q, QuerySet, Sum
from django.http import Http404

from applications.extensions import exclusions, extra_grants
from applications.models import (
    Application,
    ApplicationUpload,
    SectionAnswer,
    SpecimenLine,
    TeamMember,
)
from applications.sections import SectionSpec, sections_from_data
from portal.keyset import KeysetPage, SortKey, decode_cursor, keyset_page
from portal.models import User
from portal.onboarding.selectors.people import search_q
from portal.permissions import can
from portal.prepared import prepared_rows


def applications_visible_to(viewer: User) -> QuerySet[Application]:
    """The applications `viewer` may open: their own and those they are on the team of;
    every one for the PRAB chair, program admins and auditors; what the apps built on this
    one grant (an assigned reviewer) and never one they exclude (a recused member)."""
    rows = Application.objects.all()
    if not can(viewer, "application.queue.view"):
        visible = Q(applicant=viewer) | Q(
            pk__in=TeamMember.objects.filter(user=viewer, removed_at__isnull=True).values(
                "application_id"
            )
        )
        for granted in extra_grants(viewer):  # an assigned reviewer, a RAB member …
            visible |= granted
        rows = rows.filter(visible)
    for excluded in exclusions(viewer):  # a recused board member sees nothing of it
        rows = rows.exclude(excluded)
    return rows


# What pages about an application show of it without the package (its review, its scores).
HEADER_FIELDS = (
    "pk",
    "reference",
    "title",
    "kind",
    "status",
    "applicant_id",
    "original_id",
    "includes_ai_an",
    "recontact_requested",
    "scope_unchanged",
    "funding_status",
)


def application_for(viewer: User, pk: int, *, package: bool = True) -> Application:
    """One application the viewer may open, or 404. With `package` false, without its
    template version and original (pages about the application that do not show the
    package: reading the version's sections costs more than the rest of such a page)."""
    rows = applications_visible_to(viewer).filter(pk=pk)
    if package:
        rows = rows.select_related("template_version__template", "applicant", "original")
    else:
        rows = rows.only(*HEADER_FIELDS)
    application = rows.first()
    if application is None:
        raise Http404("No such application.")
    return application


NEXT_ACTION: dict[str, str] = {
    Application.Status.DRAFT: "Complete and submit",
    Application.Status.RETURNED: "Fix what screening asks and resubmit",
    Application.Status.SUBMITTED: "Waiting for screening",
    Application.Status.SCREENING: "Being screened",
    Application.Status.IN_REVIEW: "With the board",
    Application.Status.REVISIONS_REQUESTED: "Make the board's changes and resubmit",
    Application.Status.CONDITIONALLY_APPROVED: "Upload the proof of funding",
    Application.Status.APPROVED: "Approved",
    Application.Status.DENIED: "Denied: you may appeal",
    Application.Status.APPEALED: "Appeal with the RAB",
    Application.Status.DENIED_FINAL: "Denied (final)",
    Application.Status.WITHDRAWN: "Withdrawn",
}


@dataclass(frozen=True)
class MyApplication:
    pk: int
    reference: str
    title: str
    status: str
    status_label: str
    kind_label: str
    next_action: str
    mine: bool  # the viewer is the principal investigator
    updated_at: Any


def my_applications(viewer: User) -> list[MyApplication]:
    """The viewer's applications (as principal investigator or on the team), most recently
    changed first, each with its next action. One query whatever their number."""
    fields = ("pk", "reference", "title", "status", "kind", "applicant_id", "updated_at")

    def build(values: Mapping[str, Any]) -> QuerySet[Any]:
        # Two index reads joined by UNION: an OR across the team join would read every row.
        # No order inside the parts (SQLite refuses one); the union is ordered as a whole.
        own = Application.objects.filter(applicant_id=values["viewer"]).order_by().values(*fields)
        on_team = (
            Application.objects.filter(
                pk__in=TeamMember.objects.filter(
                    user_id=values["viewer"], removed_at__isnull=True
                ).values("application_id")
            )
            .order_by()
            .values(*fields)
        )
        combined: QuerySet[Any] = own.union(on_team).order_by("-updated_at", "-pk")
        return combined

    # Compiled once per process (portal.prepared): the list is read on every dashboard view.
    rows = prepared_rows("my-applications", build, {"viewer": viewer.pk})
    statuses = dict(Application.Status.choices)
    kinds = dict(Application.Kind.choices)
    return [
        MyApplication(
            pk=r["pk"],
            reference=r["reference"],
            title=r["title"],
            status=r["status"],
            status_label=statuses[r["status"]],
            kind_label=kinds[r["kind"]],
            next_action=NEXT_ACTION.get(r["status"], ""),
            mine=r["applicant_id"] == viewer.pk,
            updated_at=r["updated_at"],
        )
        for r in rows
    ]


@dataclass(frozen=True)
class Invitation:
    pk: int
    reference: str
    title: str
    inviter: str
    role_on_project: str


def invitations_for(viewer: User) -> list[Invitation]:
    """Team invitations the viewer has not answered, newest first."""

    def build(values: Mapping[str, Any]) -> QuerySet[Any]:
        return (
            TeamMember.objects.filter(
                user_id=values["viewer"], accepted_at__isnull=True, removed_at__isnull=True
            )
            .order_by("-invited_at")
            .values(
                "pk",
                "role_on_project",
                reference=F("application__reference"),
                title=F("application__title"),
                inviter_name=F("application__applicant__full_name"),
                inviter_email=F("application__applicant__email"),
            )
        )

    return [
        Invitation(
            pk=r["pk"],
            reference=r["reference"],
            title=r["title"],
            inviter=r["inviter_name"] or r["inviter_email"],
            role_on_project=r["role_on_project"],
        )
        for r in prepared_rows("invitations", build, {"viewer": viewer.pk})
    ]


@dataclass(frozen=True)
class SectionState:
    spec: SectionSpec
    text: str
    revision: int

    @property
    def done(self) -> bool:
        return bool(self.text.strip()) and len(self.text.strip()) <= self.spec.max_length


def section_states(application: Application) -> list[SectionState]:
    """The sections that apply to the application, with their saved text."""
    answers = {a.key: a for a in SectionAnswer.objects.filter(application=application)}
    states = []
    for spec in sections_from_data(application.template_version.sections):
        if not spec.applies(includes_ai_an=application.includes_ai_an):
            continue
        answer = answers.get(spec.key)
        states.append(
            SectionState(spec, answer.text if answer else "", answer.revision if answer else 0)
        )
    return states


@dataclass(frozen=True)
class TypeTotal:
    label: str
    unit: str
    total: Decimal
    lines: int


def specimen_totals(application: Application) -> list[TypeTotal]:
    """The total requested per specimen type, in the type's base unit (policy 4.6)."""
    labels = dict(SpecimenLine.Type.choices)
    rows = (
        application.lines.values("specimen_type")
        .annotate(total=Sum("normalised_total"), lines=Count("id"))
        .order_by("specimen_type")
    )
    return [
        TypeTotal(
            labels[r["specimen_type"]],
            "µg" if r["specimen_type"] == SpecimenLine.Type.DNA else "mL",
            r["total"],
            r["lines"],
        )
        for r in rows
    ]


def upload_history(application: Application) -> list[ApplicationUpload]:
    """Every upload, current ones first, with who added it and when."""
    return list(
        application.uploads.select_related("document", "uploaded_by", "person").order_by(
            "replaced_by", "kind", "-uploaded_at"
        )
    )


# --- The screening queue ------------------------------------------------------------------

QUEUE_STATUSES = (
    Application.Status.SUBMITTED,
    Application.Status.SCREENING,
    Application.Status.RETURNED,
)
QUEUE_PER_PAGE = 50
QUEUE_COUNT_LIMIT = 1000
SEARCH_PEOPLE = 1000  # applicants a search matches by name or address, at most
# Oldest submission first; ties in the order the applications were made.
QUEUE_KEYS = [
    SortKey("k_submitted", F("submitted_at"), kind=datetime),
    SortKey("k_id", F("pk"), kind=int),
]


@dataclass(frozen=True)
class QueueRow:
    pk: int
    reference: str
    title: str
    applicant: str
    status: str
    status_label: str
    submitted_at: datetime
    includes_ai_an: bool
    age_days: int


@dataclass(frozen=True)
class QueueCount:
    count: int
    more: bool  # more than QUEUE_COUNT_LIMIT


QUEUE_COUNT_TTL = 30  # seconds: the unsearched queue's length is read at most this often


def _queue_count(rows: QuerySet[Application], *, key: str | None) -> QueueCount:
    """How many rows, up to QUEUE_COUNT_LIMIT; kept for QUEUE_COUNT_TTL under `key` (the
    statuses asked for; None for a search, counted every time)."""
    cache_key = f"applications:queue-count:{key}"
    if key is not None and (kept := cache.get(cache_key)) is not None:
        return QueueCount(*kept)
    found = rows.order_by()[: QUEUE_COUNT_LIMIT + 1].count()
    count = QueueCount(min(found, QUEUE_COUNT_LIMIT), found > QUEUE_COUNT_LIMIT)
    if key is not None:
        cache.set(cache_key, (count.count, count.more), QUEUE_COUNT_TTL)
    return count


def screening_queue(
    *,
    viewer: User,
    statuses: list[str],
    query: str = "",
    cursor: str = "",
    last: bool = False,
    today: date,
) -> tuple[KeysetPage[QueueRow], QueueCount]:
    """Submitted applications for screening, oldest first, with their age in days;
    filtered by status, searched by reference, title or applicant. Two queries whatever the
    number of rows (the bounded count and the page), and one more for a search (the
    applicants it matches, at most SEARCH_PEOPLE of them)."""
    if not can(viewer, "application.queue.view"):
        raise Http404("No such page.")
    chosen = [s for s in statuses if s in QUEUE_STATUSES] or list(QUEUE_STATUSES[:2])
    rows = Application.objects.filter(status__in=chosen, submitted_at__isnull=False)
    if query:
        # Applicants by name or address through the users' trigram indexes (bounded), then
        # applications by reference, title (trigram indexes, migration 0004) or applicant.
        applicants = list(
            User.objects.filter(search_q(query)).values_list("pk", flat=True)[:SEARCH_PEOPLE]
        )
        rows = rows.filter(
            Q(reference__icontains=query)
            | Q(title__icontains=query)
            | Q(applicant_id__in=applicants)
        )
    count = _queue_count(rows, key=None if query else ",".join(sorted(chosen)))
    page: KeysetPage[dict[str, Any]] = keyset_page(
        rows.values(
            "pk",
            "reference",
            "title",
            "status",
            "submitted_at",
            "includes_ai_an",
            applicant_name=F("applicant__full_name"),
            applicant_email=F("applicant__email"),
        ),
        QUEUE_KEYS,
        cursor=decode_cursor(cursor, QUEUE_KEYS) if cursor else None,
        last=last,
        per_page=QUEUE_PER_PAGE,
        total=count.count,
    )
    labels = dict(Application.Status.choices)
    zone = ZoneInfo(settings.TIME_ZONE)
    queue_rows = [
        QueueRow(
            pk=r["pk"],
            reference=r["reference"],
            title=r["title"],
            applicant=r["applicant_name"] or r["applicant_email"],
            status=r["status"],
            status_label=labels[r["status"]],
            submitted_at=r["submitted_at"],
            includes_ai_an=r["includes_ai_an"],
            age_days=(today - r["submitted_at"].astimezone(zone).date()).days,
        )
        for r in page.rows
    ]
    return KeysetPage(**{**vars(page), "rows": queue_rows}), count
