"""Board review data for the page benchmark (tests/benchmarks/pages.py): 1,000 reviewers,
review rounds for the applications in review (each stage of the chair's queue) and for
6,000 decided ones, three reviewers on each with their sheets, a chair and a member whose
pages are measured. Shaped as the services leave them, written in bulk."""

import random
import time
from datetime import timedelta
from typing import Any

REVIEWERS = 1_000
DECIDED = 6_000
MEMBER_OPEN = 30  # the measured member's open assignments
STAGES = ["awaiting_assignment", "in_review", "ready", "deferred", "in_review", "ready"]


def _sheet(chance: random.Random) -> dict[str, Any]:
    from review.criteria import CRITERIA

    return {
        c.key: {"score": chance.randint(1, 9), "comment": f"{c.title}: considered."}
        for c in CRITERIA
    }


def fill_review() -> dict[str, Any]:
    """Fill once; return the chair, the member and an application with three sheets."""
    from django.contrib.auth.models import Group
    from django.db import connection, transaction
    from django.utils import timezone

    from applications.models import Application
    from portal.models import User
    from portal.roles import Role
    from review.models import Assignment, BoardMember, ReviewRound, ScoreSheet

    chair, _ = User.objects.get_or_create(
        email="bench-chair@example.org", defaults={"full_name": "Bench Chair"}
    )
    chair.groups.add(*Group.objects.filter(name__in=[Role.PRAB_CHAIR, Role.PRAB_MEMBER]))
    if ReviewRound.objects.exists():
        print(f"{ReviewRound.objects.count():,} review rounds already in the database")
        return _measured(chair)
    started = time.perf_counter()
    chance = random.Random(10)  # noqa: S311  # a benchmark's spread, not a secret
    now = timezone.now()
    with transaction.atomic():
        User.objects.bulk_create(
            User(email=f"bench-reviewer{n}@example.org", full_name=f"Reviewer {n:04d}")
            for n in range(REVIEWERS)
        )
        reviewers = list(User.objects.filter(email__startswith="bench-reviewer").order_by("pk"))
        member_group = Group.objects.get(name=Role.PRAB_MEMBER)
        member_group.user_set.add(*reviewers)
        expertise = ["scientific", "scientific", "elsi", "participant", "community"]
        BoardMember.objects.bulk_create(
            BoardMember(user=r, expertise=expertise[n % 5], institution=f"Institute {n % 97}")
            for n, r in enumerate(reviewers)
        )
        in_review = list(
            Application.objects.filter(status=Application.Status.IN_REVIEW).values_list(
                "pk", flat=True
            )
        )
        decided = list(
            Application.objects.filter(status=Application.Status.DRAFT)
            .exclude(applicant__email="bench-researcher@example.org")
            .values_list("pk", flat=True)[:DECIDED]
        )
        for n, pk in enumerate(decided):
            Application.objects.filter(pk=pk).update(
                status="approved" if n % 3 else "denied",
                submitted_at=now - timedelta(days=60 + n % 300),
            )
        rounds = [
            ReviewRound(
                application_id=pk,
                number=1,
                stage=STAGES[n % len(STAGES)],
                opened_at=now - timedelta(days=n % 90),
                stage_changed_at=now - timedelta(days=n % 90, hours=n % 24),
                due_on=(now + timedelta(days=(n % 40) - 10)).date(),
            )
            for n, pk in enumerate(in_review)
        ] + [
            ReviewRound(
                application_id=pk,
                number=1,
                stage="decided",
                opened_at=now - timedelta(days=120),
                stage_changed_at=now - timedelta(days=n % 365),
            )
            for n, pk in enumerate(decided)
        ]
        ReviewRound.objects.bulk_create(rounds, batch_size=5000)
        assignments = []
        for n, round_ in enumerate(ReviewRound.objects.order_by("pk")):
            if round_.stage == "awaiting_assignment":
                continue
            done = round_.stage != "in_review"
            for k in range(3):
                assignments.append(
                    Assignment(
                        round=round_,
                        reviewer=reviewers[(n * 3 + k) % REVIEWERS],
                        state="submitted" if done else "reviewing",
                        due_on=round_.due_on or (now - timedelta(days=30)).date(),
                        assigned_by=chair,
                        assigned_at=round_.opened_at,
                    )
                )
        Assignment.objects.bulk_create(assignments, batch_size=5000)
        ScoreSheet.objects.bulk_create(
            (
                ScoreSheet(
                    assignment=a,
                    scores=_sheet(chance),
                    overall=chance.randint(1, 9),
                    recommendation="approve",
                    comments_for_applicant="Clear and feasible.",
                    confidential_comments="Known laboratory.",
                    saved_at=now,
                    submitted_at=now,
                )
                for a in Assignment.objects.filter(state="submitted")
            ),
            batch_size=5000,
        )
        ReviewRound.objects.filter(stage__in=["in_review", "ready", "deferred", "decided"]).update(
            reviewers=3
        )
        ReviewRound.objects.filter(stage__in=["ready", "deferred", "decided"]).update(
            sheets_submitted=3
        )
    with connection.cursor() as cursor:
        for table in (
            "review_reviewround",
            "review_assignment",
            "review_scoresheet",
            "applications_application",
        ):
            cursor.execute(f"ANALYZE {table}")  # our own table names
    print(
        f"added {REVIEWERS:,} reviewers, {len(rounds):,} review rounds and "
        f"{len(assignments):,} assignments in {time.perf_counter() - started:.0f} s"
    )
    return _measured(chair)


def _measured(chair: Any) -> dict[str, Any]:
    """The chair, the busiest member (open assignments) and a scored application."""
    from django.db.models import Count

    from portal.models import User
    from review.models import Assignment, ReviewRound

    member_id = (
        Assignment.objects.filter(state="reviewing")
        .values("reviewer_id")
        .annotate(n=Count("id"))
        .order_by("-n")
        .values_list("reviewer_id", flat=True)
        .first()
    )
    scored = (
        ReviewRound.objects.filter(stage="ready", current=True)
        .order_by("pk")
        .values_list("application_id", flat=True)
        .first()
    )
    return {"chair": chair, "member": User.objects.get(pk=member_id), "scored": scored}
