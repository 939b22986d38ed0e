"""Importing the Controlled Tier roster (policy 2.1), by a program admin or the nightly job.

Reading and checking a roster, and where it comes from, is `portal.onboarding.roster_files`;
this module writes it: a roster with any bad line imports nothing.
"""

from allauth.account.models import EmailAddress
from django.db import transaction
from django.db.models.functions import Lower
from django.urls import reverse

from portal.actions import PortalAction
from portal.audit import audit_record
from portal.models import RosterEntry, RosterImport, User
from portal.notifications import notify
from portal.onboarding.roster_files import (
    RosterInvalid,
    RosterSource,
    parse_roster_csv,
    parse_roster_rows,
    roster_digest,
)
from portal.onboarding.services.access import access_recheck_after_commit
from portal.permissions import ensure_can
from portal.roles import Role


@transaction.atomic
def roster_import(*, source: RosterSource, actor: User | None) -> RosterImport:
    """Import a Controlled Tier roster and make it the one eligibility uses.

    Who: a program admin, or nobody (actor=None) for the command line or a scheduled job.
    Reads and validates the whole roster first; any bad line raises RosterInvalid with
    every problem and nothing is written. Otherwise records a RosterImport with the
    content's SHA-256 and row count and its entries (emails lower-cased), makes it current
    and keeps the previous import as history, and audits `roster.import`. Eligibility
    changes that follow are re-checked, and told, once the import commits.
    """
    ensure_can(actor, "roster.import")
    content = source.read()
    rows = parse_roster_csv(content) if isinstance(content, bytes) else parse_roster_rows(content)
    previous = RosterImport.objects.select_for_update().filter(is_current=True).first()
    if previous is not None:
        previous.is_current = False
        previous.save(update_fields=["is_current"])
    roster = RosterImport.objects.create(
        imported_by=actor,
        source=source.name[:200],
        sha256=roster_digest(content),
        row_count=len(rows),
        is_current=True,
    )
    RosterEntry.objects.bulk_create(
        (
            RosterEntry(
                roster=roster,
                email=row.email,
                workbench_username=row.workbench_username,
                access_expires_on=row.access_expires_on,
            )
            for row in rows
        ),
        batch_size=1000,
    )
    access_recheck_after_commit(user_ids=_users_whose_entry_changed(previous, roster))
    audit_record(
        actor=actor,
        action=PortalAction.ROSTER_IMPORT,
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
        },
    )
    return roster


def _entries(roster: RosterImport | None) -> dict[str, object]:
    if roster is None:
        return {}
    return dict(roster.entries.values_list("email", "access_expires_on"))


def _users_whose_entry_changed(previous: RosterImport | None, new: RosterImport) -> list[int]:
    """Users with a verified address that gained, lost or changed its roster entry."""
    before, after = _entries(previous), _entries(new)
    changed = {e for e in before.keys() | after.keys() if before.get(e) != after.get(e)}
    if not changed:
        return []
    return list(
        EmailAddress.objects.annotate(lower_email=Lower("email"))
        .filter(verified=True, lower_email__in=changed)
        .values_list("user_id", flat=True)
        .distinct()
    )


def roster_refresh(*, source: RosterSource) -> RosterImport | None:
    """The nightly refresh: import `source` unless it is the roster already current.

    Who: the scheduler (no actor). Returns the new import, or None when the content is the
    same as the current import's (nothing is written). A bad roster imports nothing: the
    program admins are told what is wrong, the current roster stays in force, and
    RosterInvalid is raised for the caller to log.
    """
    current = RosterImport.objects.filter(is_current=True).values_list("sha256", flat=True).first()
    if current is not None and current == roster_digest(source.read()):
        return None
    try:
        return roster_import(source=source, actor=None)
    except RosterInvalid as invalid:
        _tell_program_admins_the_refresh_failed(source=source, invalid=invalid)
        raise


def _tell_program_admins_the_refresh_failed(
    *, source: RosterSource, invalid: RosterInvalid
) -> None:
    admins = User.objects.filter(groups__name=Role.PROGRAM_ADMIN, is_active=True)
    for admin in admins:
        notify(
            user=admin,
            template="roster_refresh_failed",
            context={
                "source": source.name,
                "problems": invalid.problems[:50],
                "problem_count": len(invalid.problems),
            },
            url=reverse("access-roster"),
        )
