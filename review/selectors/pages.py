"""Reads behind the review pages, each scoped to the viewer: a viewer who may not see a
thing gets 404 (a recused member included)."""

import hashlib
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Avg, Count, F, OuterRef, Q, Subquery, Sum
from django.http import Http404

from applications.models import Application, SpecimenLine
from applications.selectors import application_for
from portal.models import User
from portal.permissions import can
from portal.roles import Role
from review.criteria import CRITERIA
from review.models import (
    AgendaItem,
    Appeal,
    Assignment,
    AvailableVolume,
    BoardMember,
    ConflictDeclaration,
    Consultation,
    Decision,
    DiscussionPost,
    Escalation,
    Meeting,
    RecontactDecision,
    ReviewRound,
    ScoreSheet,
)
from review.scoring import CriterionSummary, summarise
from review.selectors.records import (
    appeal_deadline,
    comments_for_applicant_of,
    suggested_conflicts,
)

# Requests that hold a claim on the biobank's volumes: open with the board, or approved.
CLAIMING_STATUSES = (
    Application.Status.SUBMITTED,
    Application.Status.SCREENING,
    Application.Status.IN_REVIEW,
    Application.Status.REVISIONS_REQUESTED,
    Application.Status.CONDITIONALLY_APPROVED,
    Application.Status.APPEALED,
    Application.Status.APPROVED,
)
OPEN_STATUSES = (
    Application.Status.IN_REVIEW,
    Application.Status.REVISIONS_REQUESTED,
    Application.Status.APPEALED,
)


def review_application(viewer: User, pk: int, action: str = "review.view") -> Application:
    """The application, if the viewer may open it (not recused) and take `action` on it."""
    application = application_for(viewer, pk, package=False)
    if not can(viewer, action, application):
        raise Http404("No such page.")
    return application


def current_round(application: Application) -> ReviewRound | None:
    """The application's current round (read once per generation of the board's data)."""
    from review.selectors.queues import _kept

    return _kept(  # type: ignore[no-any-return]
        f"round:{application.pk}",
        lambda: (
            ReviewRound.objects.filter(application=application, current=True)
            .select_related("handler")
            .first()
        ),
    )


# --- Non-duplication -----------------------------------------------------------------------


@dataclass(frozen=True)
class Similar:
    pk: int
    reference: str
    title: str
    status: str
    status_label: str
    rank: float


SIMILAR_SHOWN = 5
WORD_MIN = 4  # letters: shorter words say little about a project (SQLite fallback)
SIMILAR_TTL = 600
_SIMILAR_SQL = """
WITH q AS (
    SELECT to_tsquery('english', coalesce(string_agg(quote_literal(lexeme), ' | '), '')) AS q
    FROM (
        SELECT unnest(tsvector_to_array(to_tsvector('english', %(text)s))) AS lexeme
        LIMIT 80
    ) AS words
)
SELECT a.id, a.reference, a.title, a.status, ts_rank_cd(a.search_vector, q.q) AS rank
FROM applications_application a, q
WHERE a.search_vector @@ q.q AND a.id <> %(id)s AND a.status <> ALL(%(excluded)s)
ORDER BY rank DESC, a.id
LIMIT %(limit)s
"""


def similar_applications(application: Application) -> list[Similar]:
    """The other applications most like this one by title, abstract and aims (policy 3.1,
    non-duplication), approved ones included: ranked by PostgreSQL full-text search
    (`search_vector`, migration applications 0006), by shared title words on SQLite."""
    text = application.search_document or application.title
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    key = f"review:similar:{application.pk}:{digest}"
    kept = cache.get(key)
    if kept is not None:
        return list(kept)
    excluded = [Application.Status.DRAFT, Application.Status.WITHDRAWN]
    labels = dict(Application.Status.choices)
    found: list[Similar] = []
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                _SIMILAR_SQL,
                {
                    "text": text,
                    "id": application.pk,
                    "excluded": [str(s) for s in excluded],
                    "limit": SIMILAR_SHOWN,
                },
            )
            found = [
                Similar(pk, ref, title, status, labels.get(status, status), round(rank, 3))
                for pk, ref, title, status, rank in cursor.fetchall()
            ]
    else:
        words = {w for w in text.lower().split() if len(w) >= WORD_MIN}
        candidates = (
            Application.objects.exclude(pk=application.pk)
            .exclude(status__in=excluded)
            .values_list("pk", "reference", "title", "status", "search_document")
            .order_by("-pk")[:500]
        )
        scored = []
        for pk, ref, title, status, document in candidates:
            shared = words & set((document or title).lower().split())
            if shared:
                scored.append(
                    Similar(pk, ref, title, status, labels.get(status, status), float(len(shared)))
                )
        found = sorted(scored, key=lambda s: (-s.rank, s.pk))[:SIMILAR_SHOWN]
    cache.set(key, found, SIMILAR_TTL)
    return found


# --- Scarcity -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scarcity:
    specimen_type: str
    label: str
    unit: str
    requested: Decimal
    available: Decimal | None
    claimed_by_others: Decimal
    scarce: bool
    competing: list[dict[str, Any]] = field(default_factory=list)

    @property
    def left_after(self) -> Decimal | None:
        if self.available is None:
            return None
        return self.available - self.claimed_by_others - self.requested


def latest_volumes() -> dict[str, AvailableVolume]:
    latest: dict[str, AvailableVolume] = {}
    for record in AvailableVolume.objects.order_by("specimen_type", "-recorded_at", "-id"):
        latest.setdefault(record.specimen_type, record)
    return latest


def scarcity_for(application: Application) -> list[Scarcity]:
    """Per specimen type the application asks for: the volume requested, what the biobank
    reports available, what other open or approved requests claim, and (when the type is
    scarce: the claims exceed what is available) the competing open requests ranked by
    their mean overall impact score (1 best)."""
    requested = {
        r["specimen_type"]: r["total"] or Decimal(0)
        for r in application.lines.values("specimen_type").annotate(total=Sum("normalised_total"))
    }
    if not requested:
        return []
    claims = {
        r["specimen_type"]: r["total"] or Decimal(0)
        for r in SpecimenLine.objects.filter(
            specimen_type__in=list(requested), application__status__in=CLAIMING_STATUSES
        )
        .exclude(application=application)
        .values("specimen_type")
        .annotate(total=Sum("normalised_total"))
    }
    volumes = latest_volumes()
    labels = dict(SpecimenLine.Type.choices)
    out = []
    for kind, amount in sorted(requested.items()):
        available = volumes[kind].volume if kind in volumes else None
        claimed = claims.get(kind, Decimal(0))
        scarce = available is not None and claimed + amount > available
        out.append(
            Scarcity(
                specimen_type=kind,
                label=labels.get(kind, kind),
                unit="µg" if kind == SpecimenLine.Type.DNA else "mL",
                requested=amount,
                available=available,
                claimed_by_others=claimed,
                scarce=scarce,
                competing=competing_requests(kind, application) if scarce else [],
            )
        )
    return out


COMPETING_SHOWN = 20


def competing_requests(specimen_type: str, application: Application) -> list[dict[str, Any]]:
    """Open requests for the same type, this one included, best mean overall score first
    (unscored last)."""
    mean_overall = (
        ScoreSheet.objects.filter(
            assignment__round__application=OuterRef("pk"),
            assignment__round__current=True,
            submitted_at__isnull=False,
        )
        .values("assignment__round__application")
        .annotate(m=Avg("overall"))
        .values("m")
    )
    rows = (
        Application.objects.filter(status__in=OPEN_STATUSES, lines__specimen_type=specimen_type)
        .annotate(requested=Sum("lines__normalised_total"), mean_overall=Subquery(mean_overall))
        .values("pk", "reference", "title", "requested", "mean_overall")
        .order_by(F("mean_overall").asc(nulls_last=True), "pk")[:COMPETING_SHOWN]
    )
    return [
        {**r, "this": r["pk"] == application.pk, "mean_overall": _round(r["mean_overall"])}
        for r in rows
    ]


def _round(value: Any) -> float | None:
    return None if value is None else round(float(value), 1)


@dataclass(frozen=True)
class StockLevel:
    specimen_type: str
    label: str
    unit: str
    current: AvailableVolume | None
    claimed: Decimal
    history: list[AvailableVolume]


def stock_levels(viewer: User) -> list[StockLevel]:
    """Every specimen type's available volume with its history and what requests claim."""
    if not can(viewer, "review.stock.view"):
        raise Http404("No such page.")
    history: dict[str, list[AvailableVolume]] = {}
    for record in AvailableVolume.objects.select_related("recorded_by").order_by(
        "specimen_type", "-recorded_at", "-id"
    ):
        history.setdefault(record.specimen_type, []).append(record)
    claims = {
        r["specimen_type"]: r["total"] or Decimal(0)
        for r in SpecimenLine.objects.filter(application__status__in=CLAIMING_STATUSES)
        .values("specimen_type")
        .annotate(total=Sum("normalised_total"))
    }
    return [
        StockLevel(
            specimen_type=value,
            label=label,
            unit="µg" if value == SpecimenLine.Type.DNA else "mL",
            current=history.get(value, [None])[0],
            claimed=claims.get(value, Decimal(0)),
            history=history.get(value, [])[:10],
        )
        for value, label in SpecimenLine.Type.choices
    ]


# --- Scores ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SheetView:
    pk: int
    reviewer_id: int
    reviewer: str
    expertise: str
    overall: int | None
    recommendation: str
    entries: list[tuple[str, Any, str]]  # criterion title, score, comment
    comments_for_applicant: str
    confidential_comments: str
    mine: bool


SHEETS_TTL = 300  # seconds; the key changes whenever a sheet is submitted or reopened


def scoring_summary(viewer: User, application: Application) -> dict[str, Any]:
    """The submitted score sheets of the current round with each criterion's mean and
    range, strong disagreement flagged. Only for the chair (not recused), auditors and
    reviewers who submitted their own sheet (blinding): `review.view` is checked by the
    caller through `review_application`. One query for the round; the sheets are read once
    per round and count of submitted sheets (kept SHEETS_TTL seconds)."""
    round_ = current_round(application)
    views: list[SheetView] = []
    summary: list[CriterionSummary] = summarise([])
    if round_ is not None:
        key = (
            f"review:sheets:{round_.pk}:{round_.sheets_submitted}:"
            f"{round_.stage_changed_at.timestamp()}"
        )
        kept = cache.get(key)
        if kept is None:
            kept = _sheet_views(round_)
            cache.set(key, kept, SHEETS_TTL)
        views, summary = kept
        views = [replace(v, mine=v.reviewer_id == viewer.pk) for v in views]
    return {
        "round": round_,
        "summary": summary,
        "sheets": views,
        "criteria": CRITERIA,
        "outstanding": (round_.reviewers - round_.sheets_submitted) if round_ else 0,
    }


def _sheet_views(round_: ReviewRound) -> tuple[list[SheetView], list[CriterionSummary]]:
    sheets = list(
        ScoreSheet.objects.filter(assignment__round=round_, submitted_at__isnull=False)
        .select_related("assignment__reviewer__board_member")
        .order_by("assignment__assigned_at", "assignment_id")
    )
    recommendations = dict(ScoreSheet.Recommendation.choices)
    views = []
    for s in sheets:
        reviewer = s.assignment.reviewer
        member = getattr(reviewer, "board_member", None)
        views.append(
            SheetView(
                pk=s.pk,
                reviewer_id=reviewer.pk,
                reviewer=str(reviewer),
                expertise=member.get_expertise_display() if member else "",
                overall=s.overall,
                recommendation=recommendations.get(s.recommendation, ""),
                entries=[
                    (
                        c.title,
                        s.scores.get(c.key, {}).get("score"),
                        s.scores.get(c.key, {}).get("comment", ""),
                    )
                    for c in CRITERIA
                ],
                comments_for_applicant=s.comments_for_applicant,
                confidential_comments=s.confidential_comments,
                mine=False,
            )
        )
    return views, summarise([{"scores": s.scores, "overall": s.overall} for s in sheets])


# --- The review's overview ----------------------------------------------------------------


def review_overview(viewer: User, application: Application) -> dict[str, Any]:
    """Everything the chair needs on one page: the round, its reviewers, escalations,
    consultations, decisions, similar applications and scarcity."""
    from review.selectors.queues import recused_applications

    recused = recused_applications(viewer.pk)
    round_ = current_round(application)
    assignments = list(
        Assignment.objects.filter(round__application=application)
        .select_related("reviewer__board_member", "round")
        .order_by("round__number", "assigned_at", "pk")
    )
    return {
        "round": round_,
        "assignments": assignments,
        "recused": list(
            ConflictDeclaration.objects.filter(application=application, conflicted=True)
            .select_related("member")
            .order_by("declared_at")
        ),
        "escalations": list(
            Escalation.objects.filter(application=application).select_related(
                "asked_by", "answered_by"
            )
        ),
        "consultations": list(Consultation.objects.filter(application=application)),
        "decisions": list(
            Decision.objects.filter(application=application).select_related("meeting")
        ),
        "recontact": list(
            RecontactDecision.objects.filter(application=application).select_related("meeting")
        ),
        "appeals": list(Appeal.objects.filter(application=application)),
        "agenda": list(
            AgendaItem.objects.filter(application=application).select_related("meeting")
        ),
        # Nothing of an application the viewer is recused from, even by its title.
        "similar": [s for s in similar_applications(application) if s.pk not in recused],
        "scarcity": [
            replace(s, competing=[c for c in s.competing if c["pk"] not in recused])
            for s in scarcity_for(application)
        ],
    }


def discussion_for(application: Application) -> list[DiscussionPost]:
    return list(
        DiscussionPost.objects.filter(application=application)
        .select_related("author")
        .order_by("posted_at", "pk")
    )


# --- Assignment ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    user: User
    expertise: str
    expertise_label: str
    institution: str
    load: int  # open assignments now
    conflict: str  # a suggested conflict, if any
    recused: bool
    assigned: bool
    reviewed_before: bool


def reviewer_candidates(application: Application) -> list[Candidate]:
    """Every PRAB member with their expertise and current load, least loaded first within
    each expertise, with suggested conflicts and recusals marked."""
    round_ = current_round(application)
    suggestions = suggested_conflicts(application)
    recused = set(
        ConflictDeclaration.objects.filter(application=application, conflicted=True).values_list(
            "member_id", flat=True
        )
    )
    assigned = (
        set(
            round_.assignments.filter(state__in=Assignment.ACTIVE).values_list(
                "reviewer_id", flat=True
            )
        )
        if round_
        else set()
    )
    earlier = set(
        Assignment.objects.filter(
            round__application=application, round__number__lt=round_.number if round_ else 0
        ).values_list("reviewer_id", flat=True)
    )
    members = (
        BoardMember.objects.filter(user__is_active=True)
        .select_related("user")
        .annotate(
            load=Count(
                "user__review_assignments",
                filter=Q(
                    user__review_assignments__state__in=[
                        Assignment.State.DECLARING,
                        Assignment.State.REVIEWING,
                    ]
                ),
            )
        )
        .order_by("expertise", "load", "user__full_name")
    )
    return [
        Candidate(
            user=m.user,
            expertise=m.expertise,
            expertise_label=m.get_expertise_display(),
            institution=m.institution,
            load=m.load,
            conflict=suggestions.get(m.user_id, ""),
            recused=m.user_id in recused,
            assigned=m.user_id in assigned,
            reviewed_before=m.user_id in earlier,
        )
        for m in members
    ]


def default_due_date(today: date) -> date:
    return today + timedelta(days=settings.REVIEW_DAYS_DEFAULT)


# --- The applicant's view -----------------------------------------------------------------


def applicant_outcome(application: Application, viewer: User) -> dict[str, Any] | None:
    """What the applicant and team are told: the decision with the comments meant for them
    (never the confidential ones or the scores), the changes asked, the appeal and its
    window, the proof of funding awaited, the re-contact decision."""
    decisions = list(
        Decision.objects.filter(application=application)
        .exclude(outcome=Decision.Outcome.DEFER)
        .order_by("-recorded_at")
    )
    if not decisions and application.status not in (Application.Status.IN_REVIEW,):
        return None
    latest = decisions[0] if decisions else None
    appeal = Appeal.objects.filter(application=application).order_by("-submitted_at").first()
    deadline = (
        appeal_deadline(latest)
        if latest is not None and latest.outcome == Decision.Outcome.DENY
        else None
    )
    return {
        "application": application,
        "decision": latest,
        "reviewer_comments": comments_for_applicant_of(latest.round) if latest else [],
        "appeal": appeal,
        "appeal_deadline": deadline,
        "can_appeal": application.status == Application.Status.DENIED
        and can(viewer, "review.appeal", application),
        "recontact": RecontactDecision.objects.filter(application=application)
        .order_by("-recorded_at")
        .first(),
    }


def review_links(application: Application, viewer: User) -> dict[str, Any] | None:
    """For a board member, staff or RAB member on the package page: where the review is."""
    if can(viewer, "review.view", application):
        return {
            "application": application,
            "round": current_round(application),
            "can_accept_funding": application.status == Application.Status.CONDITIONALLY_APPROVED
            and can(viewer, "review.funding.accept", application),
        }
    if can(viewer, "review.funding.accept", application) and (
        application.status == Application.Status.CONDITIONALLY_APPROVED
    ):
        return {"application": application, "round": None, "can_accept_funding": True}
    mine = Assignment.objects.filter(
        round__application=application, round__current=True, reviewer=viewer
    ).first()
    if mine is not None:
        return {"application": application, "round": None, "assignment": mine}
    return None


# --- Board, meetings ------------------------------------------------------------------------


def board_people(viewer: User) -> list[dict[str, Any]]:
    """PRAB members and chairs with their expertise, institution and open assignments."""
    if not can(viewer, "review.board.view"):
        raise Http404("No such page.")
    from review.services._common import board_members

    people = board_members().order_by("full_name", "email")
    records = {m.user_id: m for m in BoardMember.objects.all()}
    chairs = set(User.objects.filter(groups__name=Role.PRAB_CHAIR).values_list("pk", flat=True))
    loads = dict(
        Assignment.objects.filter(
            state__in=[Assignment.State.DECLARING, Assignment.State.REVIEWING]
        )
        .values("reviewer_id")
        .annotate(n=Count("id"))
        .values_list("reviewer_id", "n")
    )
    return [
        {
            "user": p,
            "record": records.get(p.pk),
            "load": loads.get(p.pk, 0),
            "chair": p.pk in chairs,
        }
        for p in people
    ]


def meetings_list(viewer: User) -> list[Meeting]:
    if not can(viewer, "review.meeting.view"):
        raise Http404("No such page.")
    return list(Meeting.objects.annotate(items=Count("agenda")).order_by("-starts_at")[:100])


def meeting_detail(viewer: User, pk: int) -> dict[str, Any]:
    """A meeting with its attendance and agenda; for each item who is recused (they leave
    the room), the quorum for it and the decision recorded. Items the viewer is recused
    from are listed by reference only."""
    if not can(viewer, "review.meeting.view"):
        raise Http404("No such page.")
    meeting = Meeting.objects.filter(pk=pk).first()
    if meeting is None:
        raise Http404("No such meeting.")
    from review.selectors.records import quorum_for

    mine = set(
        ConflictDeclaration.objects.filter(member=viewer, conflicted=True).values_list(
            "application_id", flat=True
        )
    )
    items = []
    for item in meeting.agenda.select_related("application"):
        application = item.application
        items.append(
            {
                "item": item,
                "application": application,
                "viewer_recused": application.pk in mine,
                "quorum": quorum_for(meeting, application),
                "decision": Decision.objects.filter(application=application, meeting=meeting)
                .order_by("-recorded_at")
                .first(),
                "recontact": RecontactDecision.objects.filter(
                    application=application, meeting=meeting
                ).first(),
            }
        )
    return {
        "meeting": meeting,
        "present": [a.member for a in meeting.attendance.select_related("member")],
        "items": items,
    }


def agenda_candidates(meeting: Meeting, viewer: User) -> list[Application]:
    """Applications in review that could go on the meeting's agenda, without those the
    viewer is recused from."""
    from review.selectors.queues import recused_applications

    rows = (
        Application.objects.filter(status=Application.Status.IN_REVIEW)
        .exclude(agenda_items__meeting=meeting)
        .exclude(pk__in=recused_applications(viewer.pk))
    )
    if not meeting.ai_an_review:
        rows = rows.filter(includes_ai_an=False)
    return list(rows.order_by("submitted_at", "pk")[:200])


# --- People, for the forms ------------------------------------------------------------------


def people(pks: list[Any]) -> list[User]:
    """The accounts a form named, by id (ids that do not parse are ignored); the services
    decide whether each may do what is asked."""
    ids = [int(pk) for pk in pks if str(pk).isdigit()]
    return list(User.objects.filter(pk__in=ids).order_by("full_name", "email"))


def person(pk: Any) -> User | None:
    found = people([pk])
    return found[0] if found else None


def hand_over_choices(viewer: User) -> list[tuple[str, str]]:
    """Other chairs and program admins a conflicted chair may hand an application to."""
    rows = (
        User.objects.filter(is_active=True, groups__name__in=[Role.PRAB_CHAIR, Role.PROGRAM_ADMIN])
        .exclude(pk=viewer.pk)
        .distinct()
        .order_by("full_name", "email")
    )
    return [(str(p.pk), str(p)) for p in rows]


def board_choices() -> list[tuple[str, str]]:
    """Every PRAB member and chair, for attendance."""
    from review.services._common import board_members

    return [(str(p.pk), str(p)) for p in board_members().order_by("full_name", "email")]
