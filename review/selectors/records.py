"""Reads about one application's review that both the services (their guards and notices)
and the pages need: suggested conflicts of interest, the reviewers' comments meant for the
applicant, and the appeal window."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings

from applications.models import Application
from portal.clock import program_date
from portal.onboarding.models import ResearcherProfile
from review.models import (
    BoardMember,
    ConflictDeclaration,
    ConflictSuggestion,
    Decision,
    Meeting,
    ReviewRound,
    ScoreSheet,
)


def recused_ids(application: Application) -> set[int]:
    return set(
        ConflictDeclaration.objects.filter(application=application, conflicted=True).values_list(
            "member_id", flat=True
        )
    )


def suggested_conflicts(application: Application) -> dict[int, str]:
    """Likely conflicts the chair has not dismissed: member id -> why. A member on the
    application, or sharing an institution with the principal investigator or a team
    member (their profile's institution or other affiliations)."""
    people = {application.applicant_id: "the principal investigator"}
    for member in application.team.filter(removed_at__isnull=True).select_related("user"):
        people[member.user_id] = f"team member {member.user}"
    institutions: dict[str, str] = {}
    for profile in ResearcherProfile.objects.filter(user_id__in=list(people)):
        for place in [profile.institution, *profile.other_affiliations.splitlines()]:
            key = _institution_key(place)
            if key:
                institutions.setdefault(key, f"{people[profile.user_id]} ({place.strip()})")
    decided = set(
        ConflictSuggestion.objects.filter(application=application)
        .exclude(state=ConflictSuggestion.State.OPEN)
        .values_list("member_id", flat=True)
    ) | recused_ids(application)
    found: dict[int, str] = {}
    for board_member in BoardMember.objects.select_related("user"):
        if board_member.user_id in decided:
            continue
        if board_member.user_id in people:
            found[board_member.user_id] = f"is {people[board_member.user_id]}"
        elif (key := _institution_key(board_member.institution)) and key in institutions:
            found[board_member.user_id] = f"shares an institution with {institutions[key]}"
    return found


def _institution_key(name: str) -> str:
    return " ".join(name.lower().replace(",", " ").replace(".", " ").split())


def comments_for_applicant_of(round_: ReviewRound) -> list[str]:
    """The reviewers' comments meant for the applicant (never the confidential ones)."""
    return [
        text
        for text in ScoreSheet.objects.filter(
            assignment__round=round_, submitted_at__isnull=False
        ).values_list("comments_for_applicant", flat=True)
        if text.strip()
    ]


def appeal_deadline(denial: Decision) -> date:
    """The last day to appeal a denial (program time zone)."""
    return program_date(denial.recorded_at) + timedelta(days=settings.REVIEW_APPEAL_WINDOW_DAYS)


def latest_denial(application: Application) -> Decision | None:
    return (
        application.decisions.filter(outcome=Decision.Outcome.DENY).order_by("-recorded_at").first()
    )


@dataclass(frozen=True)
class Quorum:
    present: list[str]
    recused: list[str]  # present, but they leave the room for this application
    eligible: int
    needed: int

    @property
    def met(self) -> bool:
        return self.eligible >= self.needed


def quorum_for(meeting: Meeting, application: Application) -> Quorum:
    """Who is present for `application` at `meeting`: recused members leave the room and
    do not count toward quorum."""
    recused = recused_ids(application)
    people = [a.member for a in meeting.attendance.select_related("member")]
    return Quorum(
        present=[str(p) for p in people if p.pk not in recused],
        recused=[str(p) for p in people if p.pk in recused],
        eligible=sum(1 for p in people if p.pk not in recused),
        needed=meeting.quorum,
    )
