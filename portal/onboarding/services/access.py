"""The daily access jobs (policy 2.1): re-check every researcher, remind before expiry.

Both jobs walk the researchers and authorized biospecimen users in primary-key batches
(keyset pagination: `pk > last`, ordered by pk, `batch_size` at a time; never OFFSET, which
rescans every earlier row). Each batch costs a fixed number of queries whatever its size,
plus a few per change, and changes are rare; so 100,000 researchers is a routine night.

Decisions, so that the jobs can be reasoned about:

* Days are the program's calendar days (settings.TIME_ZONE): `today` defaults to
  `program_today()`, and every record's date is taken in that zone by the selectors. A job
  that runs at 00:30 or at 23:30 local time, on either daylight-saving switch, counts the
  same day.
* `access_recheck_all` keeps one EligibilitySnapshot per user. The first computation for
  a user records the initial verdict silently when it is "not eligible" (a user who has not
  finished onboarding has not changed anything), and with an `access.eligibility_changed`
  event when it is "eligible" (before: `eligible` None, meaning no verdict was recorded).
  After that, every change of verdict writes exactly one event, whose `before` and `after`
  list the requirements that did not hold (`failing`). A change in which requirements
  fail, or in the earliest expiry, without a change of verdict updates the snapshot and
  writes no event.
* Reminders go to eligible users only, about their earliest expiry (the first day a
  holding, not bypassed requirement lapses): a user who is already not eligible is sent to
  the requirements page by the portal itself, and a reminder about one date would hide the
  rest. Two requirements with different expiries give one series, for the earlier date;
  when it is renewed the next date starts its own series (the key carries the date).
* Catch-up: on a day `d` days before the expiry (1 <= d <= 30, the largest of
  settings.ACCESS_REMINDER_DAYS) the reminder due is the one for the smallest threshold
  t >= d, sent once under the key of t. On the 30-, 15-, 7- and 1-day days this is exactly
  that reminder; after a missed run (an outage), or for a researcher whose earliest expiry
  is already 20 days out when it first appears, the nearest reminder whose day has passed
  goes out on the next run, and never twice, because its key is the same. The email gives
  the real number of days left. On the last day a requirement holds (d = 0) no reminder
  goes: the 1-day reminder went the day before.
* An expiry notice goes for each requirement, not bypassed, whose last day was within the
  past EXPIRY_NOTICE_CATCH_UP_DAYS days and that still does not hold: normally the day
  after its last day, later only if the job did not run then. It goes whatever the rest of
  the verdict is: the requirement must be renewed in any case. A Code of Conduct version
  that was retired outright (removed from settings) has no lapse date, so it sends no
  notice; a version accepted until a date lapses on that date like any expiry.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from portal.actions import PortalAction
from portal.audit import audit_record
from portal.models import EligibilitySnapshot, ReminderLog, User
from portal.notifications import reminder_send_once
from portal.onboarding.eligibility import (
    AccessStatus,
    RequirementStatus,
    State,
)
from portal.onboarding.selectors import access_statuses_for, program_today
from portal.roles import ONBOARDING_ROLES

ELIGIBILITY_CHANGED = PortalAction.ELIGIBILITY_CHANGED
REQUIREMENTS_URL = "/access/"
# An expiry notice missed on its day (the job did not run) still goes out within this
# many days; later than that it would be news to nobody.
EXPIRY_NOTICE_CATCH_UP_DAYS = 7
_REMINDING_STATES = (State.COMPLETE, State.EXPIRING_SOON)


def onboarding_user_batches(*, batch_size: int) -> Iterator[list[int]]:
    """Primary keys of researchers and authorized biospecimen users, a batch at a time.

    One query per batch (keyset pagination). A batch shorter than `batch_size` is the last,
    so no empty query follows it.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1.")
    members = User.groups.through.objects.filter(group__name__in=ONBOARDING_ROLES).values("user_id")
    last = 0
    while True:
        ids = list(
            User.objects.filter(pk__gt=last, pk__in=members)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        if ids:
            yield ids
        if len(ids) < batch_size:
            return
        last = ids[-1]


def _failing(status: AccessStatus) -> list[str]:
    return [r.requirement.value for r in status.requirements if not r.holds]


# --- Re-check ---------------------------------------------------------------------------


@dataclass
class RecheckSummary:
    """What one run of `access_recheck_all` did."""

    today: date
    users: int = 0
    batches: int = 0
    snapshots_created: int = 0
    became_eligible: int = 0
    became_ineligible: int = 0

    @property
    def events(self) -> int:
        return self.became_eligible + self.became_ineligible


@dataclass(frozen=True)
class _BatchCounts:
    users: int
    snapshots_created: int
    became_eligible: int
    became_ineligible: int


def _write_batch(
    *,
    now: datetime,
    unchanged: list[int],
    to_create: list[EligibilitySnapshot],
    to_update: list[EligibilitySnapshot],
    events: list[tuple[int, dict[str, Any], dict[str, Any]]],
) -> None:
    """Store one batch's snapshots and audit each change of verdict (no event when none)."""
    if unchanged:
        EligibilitySnapshot.objects.filter(user_id__in=unchanged).update(computed_at=now)
    if to_create:
        EligibilitySnapshot.objects.bulk_create(to_create)
    if to_update:
        EligibilitySnapshot.objects.bulk_update(
            to_update, ["eligible", "failing", "earliest_expiry", "computed_at"]
        )
    if events:
        users = User.objects.only("pk", "email", "full_name").in_bulk([e[0] for e in events])
        for user_id, before, after in events:
            audit_record(
                actor=None,
                action=ELIGIBILITY_CHANGED,
                target=users[user_id],
                before=before,
                after=after,
            )


def _recheck_batch(ids: list[int], *, today: date) -> _BatchCounts:
    """Compare one batch's verdicts with their snapshots; record and audit each change.

    Runs in one transaction with the batch's snapshots locked, so two runs at once do not
    both record the same change: the second waits, then finds nothing changed.
    Queries: the snapshots, the selector's one, and one UPDATE of `computed_at`; then one
    bulk insert, one bulk update and one user load when there are changes, and the audit
    event of each change.
    """
    now = timezone.now()
    snapshots = {
        s.user_id: s
        for s in EligibilitySnapshot.objects.select_for_update()
        .filter(user_id__in=ids)
        .order_by("user_id")
    }
    statuses = access_statuses_for(ids, today=today)
    to_create: list[EligibilitySnapshot] = []
    to_update: list[EligibilitySnapshot] = []
    unchanged: list[int] = []
    events: list[tuple[int, dict[str, Any], dict[str, Any]]] = []
    for user_id in ids:
        status = statuses.get(user_id)
        if status is None:  # deleted since the batch was listed
            continue
        after: dict[str, Any] = {
            "eligible": status.eligible,
            "failing": _failing(status),
            "earliest_expiry": status.earliest_expiry,
        }
        snapshot = snapshots.get(user_id)
        if snapshot is None:
            to_create.append(
                EligibilitySnapshot(
                    user_id=user_id,
                    eligible=status.eligible,
                    failing=after["failing"],
                    earliest_expiry=status.earliest_expiry,
                    computed_at=now,
                )
            )
            if status.eligible:
                events.append(
                    (user_id, {"eligible": None, "failing": None, "earliest_expiry": None}, after)
                )
            continue
        if (
            snapshot.eligible == status.eligible
            and snapshot.failing == after["failing"]
            and snapshot.earliest_expiry == status.earliest_expiry
        ):
            unchanged.append(user_id)
            continue
        if snapshot.eligible != status.eligible:
            before: dict[str, Any] = {
                "eligible": snapshot.eligible,
                "failing": snapshot.failing,
                "earliest_expiry": snapshot.earliest_expiry,
            }
            events.append((user_id, before, after))
        snapshot.eligible = status.eligible
        snapshot.failing = after["failing"]
        snapshot.earliest_expiry = status.earliest_expiry
        snapshot.computed_at = now
        to_update.append(snapshot)

    _write_batch(
        now=now, unchanged=unchanged, to_create=to_create, to_update=to_update, events=events
    )
    became_eligible = sum(1 for _, _, after in events if after["eligible"])
    return _BatchCounts(
        users=len(statuses),
        snapshots_created=len(to_create),
        became_eligible=became_eligible,
        became_ineligible=len(events) - became_eligible,
    )


def access_recheck_all(*, today: date | None = None, batch_size: int = 1000) -> RecheckSummary:
    """Re-check every researcher's and authorized user's eligibility; audit each change.

    Called by the daily Celery task and `manage.py access_recheck`; no actor (the events
    carry actor None, "system"). Re-checks the roster (the current import) and every
    expiry on `today` in the program's time zone. Running it twice on one day changes
    nothing the second time. Sends no email: `access_send_reminders` does.
    """
    day = today or program_today()
    summary = RecheckSummary(today=day)
    for ids in onboarding_user_batches(batch_size=batch_size):
        try:
            with transaction.atomic():
                counts = _recheck_batch(ids, today=day)
        except IntegrityError:
            # A concurrent run created some of these snapshots between our lock and our
            # insert; our batch rolled back whole. Once more: their rows are now visible
            # and locked, so this pass records only what they did not.
            with transaction.atomic():
                counts = _recheck_batch(ids, today=day)
        summary.batches += 1
        summary.users += counts.users
        summary.snapshots_created += counts.snapshots_created
        summary.became_eligible += counts.became_eligible
        summary.became_ineligible += counts.became_ineligible
    return summary


def access_recheck_users(*, user_ids: Iterable[int], today: date | None = None) -> RecheckSummary:
    """Re-check the named users now, as the daily job would; audit each change of verdict.

    Services whose change can move someone's verdict (a roster import, a consent withdrawn,
    a bypass ended …) call this after their commit, so nobody waits for the night to learn
    it. Users outside the onboarding roles are skipped. Safe to run twice: the second run
    finds the snapshots already current and records nothing.
    """
    day = today or program_today()
    summary = RecheckSummary(today=day)
    members = User.groups.through.objects.filter(group__name__in=ONBOARDING_ROLES).values("user_id")
    ids = sorted(
        User.objects.filter(pk__in=set(user_ids))
        .filter(pk__in=members)
        .values_list("pk", flat=True)
    )
    if not ids:
        return summary
    with transaction.atomic():
        counts = _recheck_batch(ids, today=day)
    summary.batches = 1
    summary.users = counts.users
    summary.snapshots_created = counts.snapshots_created
    summary.became_eligible = counts.became_eligible
    summary.became_ineligible = counts.became_ineligible
    return summary


# --- Reminders and expiry notices --------------------------------------------------------


@dataclass
class ReminderSummary:
    """What one run of `access_send_reminders` sent."""

    today: date
    users: int = 0
    reminders_sent: int = 0
    notices_sent: int = 0
    keys: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Due:
    user_id: int
    key: str
    template: str
    context: dict[str, Any]


def reminder_threshold(days_left: int, thresholds: tuple[int, ...]) -> int | None:
    """The reminder due `days_left` days before an expiry: the smallest threshold >= it.

    None on the last day (0 days left) and beyond the first threshold. See the module
    docstring for why a day between thresholds maps to the threshold before it (catch-up).
    """
    if days_left < 1:
        return None
    candidates = [t for t in thresholds if t >= days_left]
    return min(candidates) if candidates else None


def _requirement_context(r: RequirementStatus) -> dict[str, Any]:
    return {"label": r.label, "expires_on": r.expires_on, "note": r.note}


def _due_for(
    user_id: int, status: AccessStatus, *, today: date, thresholds: tuple[int, ...]
) -> list[_Due]:
    due: list[_Due] = []
    expiry = status.earliest_expiry
    if status.eligible and expiry is not None:
        days_left = (expiry - today).days
        threshold = reminder_threshold(days_left, thresholds)
        if threshold is not None:
            expiring = [
                r
                for r in status.requirements
                if r.expires_on == expiry and r.state in _REMINDING_STATES
            ]
            due.append(
                _Due(
                    user_id=user_id,
                    key=f"access-expiry:{user_id}:{expiry.isoformat()}:{threshold}d",
                    template="access_expiring",
                    context={
                        "expires_on": expiry,
                        "days_left": days_left,
                        "requirements": [_requirement_context(r) for r in expiring],
                    },
                )
            )
    for r in status.requirements:
        if (
            r.state == State.EXPIRED
            and r.expires_on is not None
            and 1 <= (today - r.expires_on).days <= EXPIRY_NOTICE_CATCH_UP_DAYS
        ):
            due.append(
                _Due(
                    user_id=user_id,
                    key=f"access-expired:{user_id}:{r.requirement.value}:{r.expires_on}",
                    template="access_expired",
                    context={
                        "requirement": _requirement_context(r),
                        "lapsed_on": r.expires_on + timedelta(days=1),
                    },
                )
            )
    return due


def access_send_reminders(*, today: date | None = None, batch_size: int = 1000) -> ReminderSummary:
    """Send the expiry reminders and expiry notices due `today`, each at most once.

    Called by the daily Celery task and `manage.py access_send_reminders`. Reminders go
    30, 15, 7 and 1 days (settings.ACCESS_REMINDER_DAYS) before an eligible user's earliest
    expiry; a notice goes once for each requirement that has just expired. Bypassed
    requirements send nothing. Each message is written through `reminder_send_once`, so a
    second run on the same day sends nothing; the email leaves after commit.
    Queries per batch: the user list, the selector's one, and one look-up of the keys
    already used; then a handful per message actually sent.
    """
    day = today or program_today()
    thresholds = tuple(settings.ACCESS_REMINDER_DAYS)
    summary = ReminderSummary(today=day)
    for ids in onboarding_user_batches(batch_size=batch_size):
        statuses = access_statuses_for(ids, today=day)
        summary.users += len(statuses)
        due = [
            d
            for user_id, status in statuses.items()
            for d in _due_for(user_id, status, today=day, thresholds=thresholds)
        ]
        if not due:
            continue
        sent = set(
            ReminderLog.objects.filter(key__in=[d.key for d in due]).values_list("key", flat=True)
        )
        due = [d for d in due if d.key not in sent]
        if not due:
            continue
        users = User.objects.in_bulk({d.user_id for d in due})
        for d in due:
            notification = reminder_send_once(
                key=d.key,
                user=users[d.user_id],
                template=d.template,
                context=d.context,
                url=REQUIREMENTS_URL,
            )
            if notification is None:
                continue
            summary.keys.append(d.key)
            if d.template == "access_expiring":
                summary.reminders_sent += 1
            else:
                summary.notices_sent += 1
    return summary
