"""Board meetings (policy 3.2, 3.3): scheduling, agenda and attendance, and the quorum a
decision needs."""

import math
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from applications.models import Application
from portal.audit import audit_record
from portal.errors import DomainError
from portal.models import User
from portal.permissions import ensure_can
from review.actions import ReviewAction
from review.models import AgendaItem, Attendance, Meeting
from review.selectors.queues import UPCOMING_KEY
from review.services._common import BOARD_ROLES, board_members


@transaction.atomic
def meeting_schedule(
    *, title: str, kind: str, ai_an_review: bool, starts_at: datetime, actor: User
) -> Meeting:
    """The PRAB chair or a program admin schedules a regular or ad hoc meeting. Its quorum
    (REVIEW_QUORUM_FRACTION of the board, rounded up) and decision rule are fixed on it
    now. Audited as `meeting.schedule`."""
    ensure_can(actor, "review.meeting.manage")
    title = title.strip()
    if not title:
        raise DomainError("Give the meeting a title, e.g. “PRAB regular meeting, March”.")
    if kind not in Meeting.Kind.values:
        raise DomainError("Choose whether the meeting is regular or ad hoc.")
    size = board_members().count()
    meeting = Meeting.objects.create(
        title=title,
        kind=kind,
        ai_an_review=ai_an_review,
        starts_at=starts_at,
        board_size=size,
        quorum=max(1, math.ceil(size * settings.REVIEW_QUORUM_FRACTION)),
        decision_rule=settings.REVIEW_DECISION_RULE,
        created_by=actor,
        created_at=timezone.now(),
    )
    transaction.on_commit(lambda: cache.delete(UPCOMING_KEY))
    audit_record(
        actor=actor,
        action=ReviewAction.MEETING_SCHEDULE,
        target=meeting,
        before={},
        after={"title": title, "quorum": meeting.quorum, "ai_an_review": ai_an_review},
    )
    return meeting


@transaction.atomic
def agenda_add(*, meeting: Meeting, application: Application, actor: User) -> AgendaItem:
    """Put an application in review on a meeting's agenda. An application that includes
    American Indian or Alaska Native biospecimens goes only on a meeting held for that
    review (policy 3.3). Audited as `meeting.agenda_add`."""
    ensure_can(actor, "review.meeting.manage")
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    application = Application.objects.get(pk=application.pk)
    if application.status != Application.Status.IN_REVIEW:
        raise DomainError(f"{application.reference} is not in review.")
    if application.includes_ai_an and not meeting.ai_an_review:
        raise DomainError(
            f"{application.reference} includes American Indian or Alaska Native biospecimens: "
            "put it on a meeting held for that review (policy 3.3)."
        )
    if meeting.agenda.filter(application=application).exists():
        raise DomainError(f"{application.reference} is already on this agenda.")
    item = AgendaItem.objects.create(
        meeting=meeting,
        application=application,
        position=meeting.agenda.count() + 1,
        added_at=timezone.now(),
    )
    audit_record(
        actor=actor,
        action=ReviewAction.AGENDA_ADD,
        target=meeting,
        before={},
        after={"application": application.pk},
    )
    return item


@transaction.atomic
def attendance_set(*, meeting: Meeting, present: list[User], actor: User) -> list[Attendance]:
    """Record who of the board is present (replacing the earlier record). Audited as
    `meeting.attendance_set`."""
    ensure_can(actor, "review.meeting.manage")
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    outsiders = [str(p) for p in present if not (p.role_names & set(BOARD_ROLES))]
    if outsiders:
        raise DomainError(f"Not on the PRAB: {', '.join(outsiders)}.")
    before = sorted(meeting.attendance.values_list("member_id", flat=True))
    meeting.attendance.exclude(member__in=present).delete()
    kept = set(meeting.attendance.values_list("member_id", flat=True))
    now = timezone.now()
    for person in present:
        if person.pk not in kept:
            Attendance.objects.create(meeting=meeting, member=person, recorded_at=now)
    audit_record(
        actor=actor,
        action=ReviewAction.ATTENDANCE_SET,
        target=meeting,
        before={"present": before},
        after={"present": sorted(p.pk for p in present)},
    )
    return list(meeting.attendance.all())


NOTES_MAX = 20_000


@transaction.atomic
def meeting_notes_save(*, meeting: Meeting, notes: str, actor: User) -> Meeting:
    """The chair or a program admin writes the meeting's general notes, which the minutes
    print. Audited as `meeting.notes_save` with the text before and after."""
    ensure_can(actor, "review.meeting.manage")
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    notes = notes.strip()
    if len(notes) > NOTES_MAX:
        raise DomainError(f"Keep the notes under {NOTES_MAX:,} characters.")
    if notes == meeting.notes:
        return meeting
    before = meeting.notes
    meeting.notes = notes
    meeting.save(update_fields=["notes"])
    audit_record(
        actor=actor,
        action=ReviewAction.NOTES_SAVE,
        target=meeting,
        before={"notes": before},
        after={"notes": notes},
    )
    return meeting
