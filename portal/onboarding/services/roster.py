"""Importing the Controlled Tier roster (policy 2.1), by a program admin or the nightly job.

Reading and checking a roster, and where it comes from, is `portal.onboarding.roster_files`;
this module writes it: a roster with any bad line imports nothing.

An import is two acts, so that one click cannot take everyone's access away:
`roster_stage` stores an uploaded roster for review (it changes nobody's access), the page
shows what putting it in force would change (`selectors.roster_diff`: who gains, who loses,
whose expiry moves), and `roster_confirm` puts it in force. A roster that would drop more
than settings.ROSTER_DROP_CONFIRM_SHARE of the current entries needs a second confirmation
with a reason. `roster_import` does both acts at once for the command line (which takes
that reason as `--confirm-drop`) and the nightly refresh (which never gives one: a large
drop is left for a program admin to review, and the admins are told). An earlier import is
restored by staging a copy of its entries (`roster_restore_stage`) and confirming it.
"""

from dataclasses import dataclass

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from portal.actions import PortalAction
from portal.audit import audit_record
from portal.errors import DomainError
from portal.models import RosterEntry, RosterImport, User
from portal.notifications import notify
from portal.onboarding.roster_files import (
    RosterInvalid,
    RosterRow,
    RosterSource,
    parse_roster_csv,
    parse_roster_rows,
    roster_digest,
)
from portal.onboarding.selectors.roster import RosterDiff, roster_diff
from portal.onboarding.services.access import access_recheck_after_commit
from portal.permissions import ensure_can
from portal.roles import Role

DROP_REASON_MIN = 10
DROP_REASON_MAX = 2000


def _checked_drop_reason(reason: str) -> str:
    """The reason for a large drop, trimmed; refused when longer than DROP_REASON_MAX."""
    reason = reason.strip()
    if len(reason) > DROP_REASON_MAX:
        raise DomainError(
            f"The reason for the drop is {len(reason)} characters long; keep it to "
            f"{DROP_REASON_MAX} or fewer. Nothing was changed."
        )
    return reason


class RosterDropNeedsConfirmation(DomainError):
    """Putting the roster in force would drop a large share of the current roster."""

    def __init__(self, diff: RosterDiff) -> None:
        self.diff = diff
        super().__init__(
            f"This roster drops {len(diff.losses)} of the {diff.current_count} entries on the "
            f"current roster ({diff.drop_share:.0%}); those researchers would lose access. "
            "If that is right, confirm the drop and say why (at least "
            f"{DROP_REASON_MIN} characters); otherwise check the file with the Researcher "
            "Workbench before importing it."
        )


class RosterAlreadyAwaitingReview(DomainError):
    """The nightly export is the roster already left for review; the admins were told."""

    def __init__(self, roster: RosterImport) -> None:
        self.roster = roster
        super().__init__(
            f"This export is the roster already awaiting review (import {roster.pk}); "
            "nothing was imported again. A program admin reviews it on the roster page."
        )


@dataclass(frozen=True)
class _Staged:
    content_name: str
    sha256: str
    rows: list[RosterRow]


def _create_import(
    *, staged: _Staged, actor: User | None, restored_from: RosterImport | None = None
) -> RosterImport:
    # One roster awaits review at a time: a newer upload sets the older one aside.
    RosterImport.objects.filter(RosterImport.awaiting_review_q()).update(
        discarded_at=timezone.now()
    )
    roster = RosterImport.objects.create(
        imported_by=actor,
        source=staged.content_name[:200],
        sha256=staged.sha256,
        row_count=len(staged.rows),
        is_current=False,
        restored_from=restored_from,
    )
    RosterEntry.objects.bulk_create(
        (
            RosterEntry(
                roster=roster,
                email=row.email,
                workbench_username=row.workbench_username,
                access_expires_on=row.access_expires_on,
            )
            for row in staged.rows
        ),
        batch_size=1000,
    )
    return roster


@transaction.atomic
def roster_stage(*, source: RosterSource, actor: User | None) -> RosterImport:
    """Store a Controlled Tier roster for review, changing nobody's access.

    Who: a program admin, or nobody (actor=None) for the command line or the nightly job.
    Reads and validates the whole roster first; any bad line raises RosterInvalid with
    every problem and nothing is written. Audits `roster.stage`.
    """
    ensure_can(actor, "roster.import")
    content = source.read()
    rows = parse_roster_csv(content) if isinstance(content, bytes) else parse_roster_rows(content)
    roster = _create_import(staged=_Staged(source.name, roster_digest(content), rows), actor=actor)
    audit_record(
        actor=actor,
        action=PortalAction.ROSTER_STAGE,
        target=roster,
        before={},
        after={"row_count": roster.row_count, "sha256": roster.sha256, "source": roster.source},
    )
    return roster


@transaction.atomic
def roster_restore_stage(*, roster: RosterImport, actor: User) -> RosterImport:
    """Stage a copy of an earlier import's entries for review, to put them in force again.

    Who: a program admin. The copy goes through the same preview and confirmation (and
    drop guard) as an upload; confirming it is audited as `roster.restore`. Refused for a
    roster never put in force (review it instead) and for the one in force now.
    """
    ensure_can(actor, "roster.restore")
    roster = RosterImport.objects.get(pk=roster.pk)
    if roster.awaiting_review or roster.discarded_at is not None:
        raise DomainError(
            "This roster was never put in force, so there is nothing to restore; "
            "upload it again to review it."
        )
    if roster.is_current:
        raise DomainError("This roster is already in force; there is nothing to restore.")
    rows = [
        RosterRow(line, e.email, e.workbench_username, e.access_expires_on)
        for line, e in enumerate(roster.entries.order_by("email"), start=1)
    ]
    copy = _create_import(
        staged=_Staged(f"restore of import {roster.pk} ({roster.source})", roster.sha256, rows),
        actor=actor,
        restored_from=roster,
    )
    audit_record(
        actor=actor,
        action=PortalAction.ROSTER_STAGE,
        target=copy,
        before={},
        after={"row_count": copy.row_count, "restores": roster.pk},
    )
    return copy


@transaction.atomic
def roster_confirm(
    *, roster: RosterImport, actor: User | None, drop_reason: str = ""
) -> RosterImport:
    """Put a staged roster in force; the one in force before is kept as history.

    Who: a program admin (or the command line or nightly job, actor None). Refused unless
    the roster awaits review. When it drops more than settings.ROSTER_DROP_CONFIRM_SHARE of
    the current entries, `drop_reason` must say why (RosterDropNeedsConfirmation otherwise;
    nothing changes). Audits `roster.import` (or `roster.restore` for a restored copy) with
    the counts of gains, losses and moved expiries; after commit everyone affected is
    re-checked and told if their access changed.
    """
    ensure_can(actor, "roster.import")
    roster = RosterImport.objects.select_for_update().get(pk=roster.pk)
    if roster.restored_from_id:
        ensure_can(actor, "roster.restore")
    if not roster.awaiting_review:
        raise DomainError(
            "This roster is no longer awaiting review (it was put in force or set aside); "
            "upload it again to import it."
        )
    drop_reason = _checked_drop_reason(drop_reason)
    previous = RosterImport.objects.select_for_update().filter(is_current=True).first()
    diff = roster_diff(roster)
    if diff.needs_drop_confirmation and len(drop_reason) < DROP_REASON_MIN:
        raise RosterDropNeedsConfirmation(diff)
    if previous is not None:
        previous.is_current = False
        previous.save(update_fields=["is_current"])
    roster.is_current = True
    roster.confirmed_at = timezone.now()
    roster.drop_reason = drop_reason if diff.needs_drop_confirmation else ""
    roster.save(update_fields=["is_current", "confirmed_at", "drop_reason"])
    access_recheck_after_commit(user_ids=diff.affected_user_ids)
    audit_record(
        actor=actor,
        action=PortalAction.ROSTER_RESTORE
        if roster.restored_from_id
        else PortalAction.ROSTER_IMPORT,
        target=roster,
        before={
            "current_import": previous.pk if previous else None,
            "row_count": previous.row_count if previous else None,
        },
        after={
            "current_import": roster.pk,
            "row_count": roster.row_count,
            "sha256": roster.sha256,
            "source": roster.source,
            "gains": len(diff.gains),
            "losses": len(diff.losses),
            "moved_expiries": len(diff.moves),
            "drop_reason": roster.drop_reason,
            "restores": roster.restored_from_id,
        },
    )
    return roster


@transaction.atomic
def roster_discard(*, roster: RosterImport, actor: User) -> RosterImport:
    """Set a staged roster aside without putting it in force. Who: a program admin."""
    ensure_can(actor, "roster.import")
    roster = RosterImport.objects.select_for_update().get(pk=roster.pk)
    if not roster.awaiting_review:
        raise DomainError("This roster is not awaiting review; nothing was changed.")
    roster.discarded_at = timezone.now()
    roster.save(update_fields=["discarded_at"])
    audit_record(
        actor=actor,
        action=PortalAction.ROSTER_DISCARD,
        target=roster,
        before={"awaiting_review": True},
        after={"discarded_at": roster.discarded_at},
    )
    return roster


def roster_import(
    *, source: RosterSource, actor: User | None, drop_reason: str = ""
) -> RosterImport:
    """Stage and put in force in one step: the command line and the nightly job.

    A large drop without `drop_reason` raises RosterDropNeedsConfirmation and leaves the
    roster staged for a program admin to review on the roster page; the current roster
    stays in force.
    """
    _checked_drop_reason(drop_reason)  # refused before anything is staged
    roster = roster_stage(source=source, actor=actor)
    return roster_confirm(roster=roster, actor=actor, drop_reason=drop_reason)


def roster_refresh(*, source: RosterSource) -> RosterImport | None:
    """The nightly refresh: import `source` unless it is the roster already current.

    Who: the scheduler (no actor). Returns the new import, or None when the content is the
    same as the current import's (nothing is written). A bad roster imports nothing, and a
    roster that would drop more than the settable share is not put in force (it stays
    staged for review): either way the program admins are told, the current roster stays
    in force, and the refusal is raised for the caller to log. The same export the next
    night, while it still awaits review, raises RosterAlreadyAwaitingReview: nothing is
    staged again and nobody is told twice.
    """
    digest = roster_digest(source.read())
    current = RosterImport.objects.filter(is_current=True).values_list("sha256", flat=True).first()
    if current is not None and current == digest:
        return None
    waiting = RosterImport.objects.filter(RosterImport.awaiting_review_q(), sha256=digest).first()
    if waiting is not None:
        raise RosterAlreadyAwaitingReview(waiting)
    try:
        return roster_import(source=source, actor=None)
    except RosterInvalid as invalid:
        _tell_program_admins(
            template="roster_refresh_failed",
            context={
                "source": source.name,
                "problems": invalid.problems[:50],
                "problem_count": len(invalid.problems),
            },
        )
        raise
    except RosterDropNeedsConfirmation as refused:
        staged = RosterImport.objects.filter(RosterImport.awaiting_review_q()).first()
        _tell_program_admins(
            template="roster_refresh_drop_refused",
            context={
                "source": source.name,
                "losses": len(refused.diff.losses),
                "current_count": refused.diff.current_count,
                "share": f"{refused.diff.drop_share:.0%}",
            },
            url=reverse("access-roster-import", args=[staged.pk]) if staged else "",
        )
        raise


def _tell_program_admins(*, template: str, context: dict[str, object], url: str = "") -> None:
    admins = User.objects.filter(groups__name=Role.PROGRAM_ADMIN, is_active=True)
    for admin in admins:
        notify(user=admin, template=template, context=context, url=url or reverse("access-roster"))
