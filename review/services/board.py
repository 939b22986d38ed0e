"""The board's members and the biobank's available volumes, and the review reminders."""

from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from applications.models import SpecimenLine
from portal.audit import audit_record
from portal.errors import DomainError
from portal.models import User
from portal.notifications import reminder_send_once
from portal.permissions import ensure_can
from review.actions import ReviewAction
from review.models import Assignment, AvailableVolume, BoardMember
from review.services._common import BOARD_ROLES


@transaction.atomic
def board_member_save(*, user: User, expertise: str, institution: str, actor: User) -> BoardMember:
    """A program admin records a PRAB member's expertise and institution. Audited as
    `board_member.save` with what changed."""
    ensure_can(actor, "review.board.manage")
    if not (user.role_names & set(BOARD_ROLES)):
        raise DomainError(f"{user} is not on the PRAB: give them the PRAB member role first.")
    if expertise not in BoardMember.Expertise.values:
        raise DomainError("Choose the member's expertise from the list.")
    member = BoardMember.objects.select_for_update().filter(user=user).first()
    before = {"expertise": member.expertise, "institution": member.institution} if member else {}
    member, _ = BoardMember.objects.update_or_create(
        user=user, defaults={"expertise": expertise, "institution": institution.strip()}
    )
    audit_record(
        actor=actor,
        action=ReviewAction.BOARD_MEMBER_SAVE,
        target=member,
        before=before,
        after={"expertise": expertise, "institution": member.institution},
    )
    return member


@transaction.atomic
def volume_record(
    *, specimen_type: str, volume: Decimal, note: str, actor: User
) -> AvailableVolume:
    """Biobank staff record the volume available of a specimen type (in the type's base
    unit). Earlier figures stay as the history. Audited as `available_volume.record`."""
    ensure_can(actor, "review.stock.record")
    if specimen_type not in SpecimenLine.Type.values:
        raise DomainError("Choose the specimen type from the list.")
    if volume < 0:
        raise DomainError("A volume cannot be negative: enter 0 when none is left.")
    record = AvailableVolume.objects.create(
        specimen_type=specimen_type,
        volume=volume,
        note=note.strip(),
        recorded_by=actor,
        recorded_at=timezone.now(),
    )
    audit_record(
        actor=actor,
        action=ReviewAction.VOLUME_RECORD,
        target=record,
        before={},
        after={"specimen_type": specimen_type, "volume": str(volume)},
    )
    return record


def review_reminders_send(*, today: date) -> int:
    """Remind each reviewer once when their sheet is due in REVIEW_REMIND_DAYS_BEFORE days
    and once when it is overdue (keys name the assignment and its due date, so a changed
    due date reminds again and a rerun sends nothing). Returns how many were sent."""
    ensure_can(None, "review.reminders.send")
    soon = today + timedelta(days=settings.REVIEW_REMIND_DAYS_BEFORE)
    open_states = [Assignment.State.DECLARING, Assignment.State.REVIEWING]
    sent = 0
    due_soon = Assignment.objects.filter(state__in=open_states, due_on=soon)
    overdue = Assignment.objects.filter(state__in=open_states, due_on__lt=today)
    for kind, rows in (("due", due_soon), ("overdue", overdue)):
        for assignment in rows.select_related("reviewer", "round__application"):
            notice = reminder_send_once(
                key=f"review-{kind}:{assignment.pk}:{assignment.due_on.isoformat()}",
                user=assignment.reviewer,
                template=f"review_{kind}",
                context={
                    "application": assignment.round.application,
                    "due_on": assignment.due_on,
                },
                url=f"/review/assignments/{assignment.pk}/"
                + ("declare/" if assignment.state == Assignment.State.DECLARING else "sheet/"),
            )
            sent += notice is not None
    return sent
