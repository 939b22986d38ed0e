"""Demo data for board review, for `manage.py seed_demo` (DEBUG only): applications at
every review stage with reviewers, declarations (one recusal), score sheets and discussion,
a held meeting with its decisions and minutes, an upcoming AI/AN meeting, an open question
to the RAB, an appeal, and the biobank's available volumes.

Everything goes through the services, as people would do it, so the demo is also a check
that the whole flow works end to end."""

from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from applications.demo import PLASMA, _fill, _upload
from applications.models import Application, ApplicationUpload
from applications.services import (
    LineInput,
    application_accept,
    application_details_save,
    application_follow_up_start,
    application_screen,
    application_start,
    application_submit,
    specimen_line_add,
)
from portal.clock import program_today
from portal.models import User
from review.criteria import CRITERIA
from review.models import Assignment, BoardMember, Meeting, ReviewRound
from review.services import (
    Vote,
    agenda_add,
    appeal_submit,
    attendance_set,
    board_member_save,
    conflict_declare,
    consultation_record,
    decision_record,
    discussion_post,
    escalate,
    escalation_answer,
    meeting_schedule,
    review_assign,
    score_sheet_save,
    volume_record,
)

PI = "researcher@demo.example.org"
CHAIR = "prab.chair@demo.example.org"
ADMIN = "admin@demo.example.org"
RAB = "rab.member@demo.example.org"
STAFF = "biobank@demo.example.org"
BOARD = {
    CHAIR: ("scientific", "Metro Health Institute"),
    "prab.member@demo.example.org": ("scientific", "Lakeside University"),
    "prab.elsi@demo.example.org": ("elsi", "Coastal Center for Bioethics"),
    "prab.participant@demo.example.org": ("participant", ""),
    "prab.community@demo.example.org": ("community", "Prairie Community Health Alliance"),
    # Shares Rosa's institution: the assignment page suggests a conflict.
    "prab.scientist@demo.example.org": ("scientific", "Midwest University School of Medicine"),
}
GOOD_SCORE = 4  # and better: the demo reviewer recommends approval
REVIEWERS = [
    "prab.member@demo.example.org",
    "prab.elsi@demo.example.org",
    "prab.participant@demo.example.org",
]
VOLUMES = {
    "plasma": ("4000", "Freezer inventory, November count"),
    "serum": ("300", "Freezer inventory, November count: little left"),
    "whole_blood": ("1200", "Freezer inventory, November count"),
    "dna": ("25000", "Extracted DNA inventory"),
    "urine": ("900", "Freezer inventory, November count"),
    "white_blood_cells": ("150", "Cryopreserved PBMC inventory"),
}


def _sheet(score: int, note: str) -> dict[str, object]:
    return {
        "scores": {
            c.key: {"score": score + (i % 2), "comment": f"{c.title}: {note}"}
            for i, c in enumerate(CRITERIA)
        },
        "overall": score,
        "recommendation": "approve" if score <= GOOD_SCORE else "revise",
        "comments_for_applicant": f"Overall {note} Please keep the data return timeline.",
        "confidential_comments": "The team's lab visited last year; facilities are sound.",
    }


def _in_review(pi: User, chair: User, title: str, **details: object) -> Application:
    application = application_start(actor=pi, title=title)
    _fill(application)
    if details:
        application_details_save(application=application, changes=details, actor=pi)
    application_submit(application=application, actor=pi)
    application_screen(application=application, actor=chair)
    application_accept(application=application, actor=chair)
    application.refresh_from_db()
    return application


def _assign_and_score(
    application: Application, users: dict[str, User], *, scores: list[int] | None
) -> list[Assignment]:
    chair = users[CHAIR]
    assignments = review_assign(
        application=application,
        reviewers=[users[e] for e in REVIEWERS],
        due_on=program_today() + timedelta(days=14),
        actor=chair,
    )
    for assignment in assignments:
        conflict_declare(
            assignment=assignment,
            conflicted=False,
            conflict_type="",
            description="",
            actor=assignment.reviewer,
        )
    for assignment, score in zip(assignments, scores or [], strict=False):
        assignment.refresh_from_db()
        score_sheet_save(
            assignment=assignment,
            data=_sheet(score, "a clear, well-powered design."),
            submit=True,
            actor=assignment.reviewer,
        )
    return assignments


def _seed_in_review(users: dict[str, User]) -> tuple[Application, Application]:
    """One application awaiting assignment, one in review with a recusal."""
    pi, chair = users[PI], users[CHAIR]
    # Awaiting assignment.
    waiting = _in_review(pi, chair, "Sleep apnea and circulating microRNA")

    # In review: two reviewers scoring, one recused, one still to declare.
    scoring = _in_review(pi, chair, "Physical activity and telomere length")
    assignments = review_assign(
        application=scoring,
        reviewers=[users[e] for e in [*REVIEWERS, "prab.community@demo.example.org"]],
        due_on=program_today() + timedelta(days=10),
        actor=chair,
    )
    first, second, _third, fourth = assignments
    for assignment in (first, second):
        conflict_declare(
            assignment=assignment,
            conflicted=False,
            conflict_type="",
            description="",
            actor=assignment.reviewer,
        )
    conflict_declare(
        assignment=fourth,
        conflicted=True,
        conflict_type="collaborator",
        description="I co-authored a paper with the principal investigator in 2025.",
        actor=fourth.reviewer,
    )
    second.refresh_from_db()
    score_sheet_save(
        assignment=second, data=_sheet(3, "promising."), submit=True, actor=second.reviewer
    )
    first.refresh_from_db()
    draft = _sheet(4, "draft in progress.")
    draft["recommendation"] = ""
    score_sheet_save(assignment=first, data=draft, submit=False, actor=first.reviewer)

    return waiting, scoring


def _seed_decided(users: dict[str, User]) -> tuple[Meeting, list[Application]]:
    """Applications decided at a held meeting."""
    pi, chair, rab = users[PI], users[CHAIR], users[RAB]
    # Decided at a held meeting: approved (with discussion and an answered question),
    # revisions requested, approved on condition of funding, denied (then appealed), and
    # one deferred.
    approved = _in_review(
        pi, chair, "Inflammatory proteomics and heart failure", recontact_requested=False
    )
    revise = _in_review(pi, chair, "Kidney biomarkers in early hypertension")
    conditional = _in_review(
        pi, chair, "Metabolomics of gestational diabetes", funding_status="contingent"
    )
    denied = _in_review(pi, chair, "Hair cortisol and neighbourhood deprivation")
    deferred = _in_review(pi, chair, "Serum lipids and cognitive decline")
    for application, scores in (
        (approved, [2, 3, 2]),
        (revise, [5, 4, 6]),
        (conditional, [3, 3, 4]),
        (denied, [7, 8, 6]),
        (deferred, [4, 2, 7]),
    ):
        _assign_and_score(application, users, scores=scores)
    discussion_post(
        application=approved,
        body="The power analysis is convincing; the return-of-results plan is the strongest "
        "I have read this year.",
        actor=users["prab.elsi@demo.example.org"],
    )
    discussion_post(
        application=approved,
        body="Agreed. I asked the RAB whether the commercial assay vendor changes anything.",
        actor=chair,
    )
    question = escalate(
        application=approved,
        question="The assay vendor is a commercial company: do its terms need the RAB's "
        "review under policy 4.7?",
        actor=chair,
    )
    escalation_answer(
        escalation=question,
        determination="No: the vendor only runs the assay and receives no biospecimens or "
        "data beyond the results returned to the researcher.",
        actor=rab,
    )
    held = meeting_schedule(
        title="PRAB regular meeting, November",
        kind=Meeting.Kind.REGULAR,
        ai_an_review=False,
        starts_at=timezone.now() - timedelta(days=2),
        actor=chair,
    )
    present = [users[e] for e in BOARD]
    attendance_set(meeting=held, present=present, actor=chair)
    votes = {"approve": Vote(5, 0, 1), "revisions": Vote(4, 1, 1), "deny": Vote(4, 1, 1)}
    for application, outcome, extra in (
        (approved, "approve", {}),
        (
            revise,
            "revisions",
            {
                "required_changes": "Add a power calculation for the "
                "secondary aim and name the laboratory that runs the assay."
            },
        ),
        (conditional, "conditional", {}),
        (
            denied,
            "deny",
            {
                "reasons": "The question duplicates an approved study and the "
                "volumes requested exceed what the aims need."
            },
        ),
        (deferred, "defer", {}),
    ):
        agenda_add(meeting=held, application=application, actor=chair)
        decision_record(
            application=application,
            meeting=held,
            outcome=outcome,
            vote=votes.get(outcome, Vote(5, 0, 1)),
            comments_for_applicant="Thank you for a clear application.",
            actor=chair,
            **extra,
        )
    appeal_submit(
        application=denied,
        grounds="The approved study the board cites measures cortisol in saliva, not hair; "
        "ours answers a different question. We can halve the volumes.",
        files=[],
        actor=pi,
    )

    return held, [approved, revise, conditional, denied, deferred]


def _seed_open(users: dict[str, User], approved: Application) -> list[str]:
    """An open question to the RAB, a request for approval without review, and an AI/AN
    request on the next ad hoc meeting's agenda."""
    pi, chair = users[PI], users[CHAIR]
    # An open question to the RAB on an application ready for decision.
    escalated = _in_review(pi, chair, "Polygenic scores and statin response")
    _assign_and_score(escalated, users, scores=[3, 4, 3])
    escalate(
        application=escalated,
        question="The applicant proposes returning polygenic scores to participants: is that "
        "within the program's return-of-results policy?",
        actor=chair,
    )

    # An additional-specimen request with the scope unchanged, for approval without review.
    more = application_follow_up_start(
        original=approved, kind=Application.Kind.ADDITIONAL_SPECIMENS, actor=pi
    )
    application_details_save(
        application=more,
        changes={
            "scope_unchanged": True,
            "derivatives_acknowledged": True,
            "fee_acknowledged": True,
        },
        actor=pi,
    )
    _upload(more, ApplicationUpload.Kind.FUNDING_PROOF, None, "Notice of award")
    _upload(more, ApplicationUpload.Kind.CV, pi, "Biosketch Rosa Researcher")
    application_submit(application=more, actor=pi)
    application_screen(application=more, actor=chair)
    application_accept(application=more, actor=chair)

    # The next, ad hoc, meeting for requests that include AI/AN biospecimens.
    upcoming = meeting_schedule(
        title="PRAB ad hoc meeting: AI/AN review",
        kind=Meeting.Kind.AD_HOC,
        ai_an_review=True,
        starts_at=timezone.now() + timedelta(days=9),
        actor=chair,
    )
    consultation_record(
        application=escalated,
        party="community",
        held_on=program_today() - timedelta(days=3),
        summary="The community advisory panel asked for plain-language results for participants.",
        actor=chair,
    )
    ai_an = application_start(
        actor=pi, title="Kidney disease biomarkers with tribal community partners"
    )
    specimen_line_add(
        application=ai_an,
        line=LineInput(**{**PLASMA.__dict__, "specimen_type": "serum", "includes_ai_an": True}),
        actor=pi,
    )
    ai_an.refresh_from_db()
    _fill(ai_an)
    application_submit(application=ai_an, actor=pi)
    application_screen(application=ai_an, actor=chair)
    application_accept(application=ai_an, actor=chair)
    _assign_and_score(ai_an, users, scores=[2, 3, 3])
    consultation_record(
        application=ai_an,
        party="tribal",
        held_on=program_today() - timedelta(days=5),
        summary="Met the tribal health board's research review committee: they support the "
        "study if results are shared with the community before publication.",
        actor=chair,
    )
    agenda_add(meeting=upcoming, application=ai_an, actor=chair)
    return [
        f"{escalated.reference} with an open question to the RAB; {more.reference} "
        "additional specimens for approval without review",
        f"{ai_an.reference} AI/AN request on the agenda of “{upcoming.title}”",
    ]


@transaction.atomic
def seed_demo_review(users: dict[str, User]) -> list[str]:
    """Board review at every stage; a second run changes nothing."""
    if ReviewRound.objects.exists() or BoardMember.objects.exists():
        return []
    admin, staff = users[ADMIN], users[STAFF]
    for email, (expertise, institution) in BOARD.items():
        board_member_save(
            user=users[email], expertise=expertise, institution=institution, actor=admin
        )
    for kind, (volume, note) in VOLUMES.items():
        volume_record(specimen_type=kind, volume=Decimal(volume), note=note, actor=staff)

    waiting, scoring = _seed_in_review(users)
    held, (approved, revise, conditional, denied, deferred) = _seed_decided(users)
    return [
        f"Board: {len(BOARD)} PRAB members with expertise; available volumes per type",
        f"{waiting.reference} awaiting assignment, {scoring.reference} in review (one recusal)",
        f"{approved.reference} approved, {revise.reference} revisions requested, "
        f"{conditional.reference} conditionally approved, {denied.reference} denied and "
        f"appealed, {deferred.reference} deferred, at “{held.title}” (minutes as a PDF)",
        *_seed_open(users, approved),
    ]
