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
  finished onboarding has not lost anything), and with an `access.eligibility_changed`
  event and an `access_regained` notice when it is "eligible". After that, every change of
  verdict writes exactly one event and one notice (`access_lapsed` or `access_regained`,
  email and in-app), in the transaction that updates the snapshot under its lock: whether
  the nightly job or a service (`access_recheck_users`, called on commit by every service
  that can move a verdict) sees the change first, it is told once. The notice names every
  requirement that does not hold and what to do. A change in which requirements fail, or
  in the earliest expiry, without a change of verdict updates the snapshot silently.
* Dates: `RequirementStatus.lapses_on` (the first day a requirement no longer holds) is
  the day every page, email and command names, and `days_left` counts to it.
* Reminders go to eligible users only, about their first lapse (of a holding requirement
  or of a bypass that has an end): a user who is already not eligible was told by the
  lapse notice and is sent to the requirements page by the portal itself. Two
  requirements with different expiries give one series, for the earlier date; when it is
  renewed the next date starts its own series (the key carries the date).
* Catch-up: on a day `d` days before the lapse day (1 <= d <= 30, the largest of
  settings.ACCESS_REMINDER_DAYS) the reminder due is the one for the smallest threshold
  t >= d, sent once under the key of t. On the 30-, 15-, 7- and 1-day days (the days the
  banner says "in 30 days" … "in 1 day") this is exactly that reminder; after a missed run
  (an outage), or for a researcher whose first lapse is already 20 days out when it first
  appears, the nearest reminder whose day has passed goes out on the next run, and never
  twice, because its key is the same. The email gives the real number of days left.
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
from portal.facts import (
    access_facts_changed_for_everyone,
    facts_changes_deferred,
    user_facts_changed,
)
from portal.models import EligibilitySnapshot, ReminderLog, User
from portal.notifications import emails_queued_in_bulk, notify, reminder_send_once
from portal.onboarding.eligibility import (
    AccessStatus,
    RequirementStatus,
    State,
)
from portal.onboarding.selectors import access_statuses_for, program_today
from portal.roles import ONBOARDING_ROLES

ELIGIBILITY_CHANGED = PortalAction.ELIGIBILITY_CHANGED
REQUIREMENTS_URL = "/access/"


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
class _Change:
    """One change of verdict found by a re-check."""

    user_id: int
    before: dict[str, Any]
    after: dict[str, Any]
    status: AccessStatus
    today: date


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
    events: list[_Change],
) -> None:
    """Store one batch's snapshots; audit and tell each change of verdict (none when none).

    The change is told here, in the transaction that records it under the snapshot's lock,
    so it is told exactly once whichever job or service noticed it first.
    """
    if unchanged:
        EligibilitySnapshot.objects.filter(user_id__in=unchanged).update(computed_at=now)
    if to_create:
        EligibilitySnapshot.objects.bulk_create(to_create)
    if to_update:
        EligibilitySnapshot.objects.bulk_update(
            to_update, ["eligible", "failing", "earliest_expiry", "computed_at"]
        )
    if events:
        users = User.objects.only("pk", "email", "full_name").in_bulk([e.user_id for e in events])
        for change in events:
            user = users[change.user_id]
            audit_record(
                actor=None,
                action=ELIGIBILITY_CHANGED,
                target=user,
                before=change.before,
                after=change.after,
            )
            notify(
                user=user,
                template="access_regained" if change.after["eligible"] else "access_lapsed",
                context=_change_context(change.status, today=change.today),
                url=REQUIREMENTS_URL,
            )


def _change_context(status: AccessStatus, *, today: date) -> dict[str, Any]:
    """What a lapse or regain notice says: each requirement that does not hold, and why."""
    failing = [
        {
            "label": r.label,
            "note": r.note,
            "lapsed_on": r.lapses_on if r.state == State.EXPIRED else None,
        }
        for r in status.requirements
        if not r.holds
    ]
    return {"failing": failing, "today": today, "lapses_on": status.earliest_lapse}


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
    events: list[_Change] = []
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
                none = {"eligible": None, "failing": None, "earliest_expiry": None}
                events.append(_Change(user_id, none, after, status, today))
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
            events.append(_Change(user_id, before, after, status, today))
        snapshot.eligible = status.eligible
        snapshot.failing = after["failing"]
        snapshot.earliest_expiry = status.earliest_expiry
        snapshot.computed_at = now
        to_update.append(snapshot)

    _write_batch(
        now=now, unchanged=unchanged, to_create=to_create, to_update=to_update, events=events
    )
    became_eligible = sum(1 for change in events if change.after["eligible"])
    return _BatchCounts(
        users=len(statuses),
        snapshots_created=len(to_create),
        became_eligible=became_eligible,
        became_ineligible=len(events) - became_eligible,
    )


# Users per batch of the nightly re-check. The status query answers each record's EXISTS for
# a whole batch by hashing its table once, so a large batch costs little more than a small
# one: at 100,000 researchers, batches of 10,000 take about 40 s where batches of 1,000 took
# about 60 s (each batch holds its snapshots' row locks for a few seconds, at 03:15).
RECHECK_BATCH_SIZE = 10_000


def access_recheck_all(
    *, today: date | None = None, batch_size: int = RECHECK_BATCH_SIZE
) -> RecheckSummary:
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


def access_recheck_after_commit(*, user_ids: Iterable[int] | None) -> None:
    """Re-check these users (None: everyone) once the caller's transaction commits.

    Every service whose change can move a verdict calls this, so that a lapse (or a
    regain) is told at once rather than at night. A few users are re-checked in the
    request; everyone (a Code of Conduct version made current) in a Celery task. A
    failure here never undoes the change that caused it: the nightly job catches up.
    """
    ids = None if user_ids is None else sorted(set(user_ids))
    # What pages show (the banner, the dashboard card) is read from the cached facts.
    if ids is None:
        access_facts_changed_for_everyone()
    else:
        user_facts_changed(ids)

    def recheck() -> None:
        if ids is None:
            from portal.onboarding.tasks import access_recheck_users_task

            access_recheck_users_task.delay(None)
        elif ids:
            access_recheck_users(user_ids=ids)

    transaction.on_commit(recheck, robust=True)


# --- Reminders and expiry notices --------------------------------------------------------


@dataclass
class ReminderSummary:
    """What one run of `access_send_reminders` sent."""

    today: date
    users: int = 0
    reminders_sent: int = 0
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
    return {"label": r.label, "lapses_on": r.lapses_on, "note": r.note}


def _due_for(
    user_id: int, status: AccessStatus, *, today: date, thresholds: tuple[int, ...]
) -> list[_Due]:
    """The reminder due today for an eligible user's first lapse, if one is due.

    Days are counted to the lapse day (the first day the requirement no longer holds), as
    the banner and the requirements page count them: the 30-day reminder goes on the day
    the banner says "in 30 days". A bypass that ends is reminded like any expiry.
    """
    first = status.first_to_lapse()
    if not status.eligible or first is None or first.lapses_on is None:
        return []
    days_left = (first.lapses_on - today).days
    threshold = reminder_threshold(days_left, thresholds)
    if threshold is None:
        return []
    expiring = [r for r in status.requirements if r.holds and r.expires_on == first.expires_on]
    return [
        _Due(
            user_id=user_id,
            key=f"access-expiry:{user_id}:{first.expires_on}:{threshold}d",
            template="access_expiring",
            context={
                "lapses_on": first.lapses_on,
                "days_left": days_left,
                "requirements": [_requirement_context(r) for r in expiring],
            },
        )
    ]


def access_send_reminders(*, today: date | None = None, batch_size: int = 1000) -> ReminderSummary:
    """Send the expiry reminders due `today`, each at most once.

    Called by the daily Celery task and `manage.py access_send_reminders`. Reminders go
    30, 15, 7 and 1 days (settings.ACCESS_REMINDER_DAYS) before an eligible user's first
    lapse day, counted as the banner counts; a bypass's end is reminded the same way. The
    lapse itself is told once by the re-check (`access_lapsed`), not here. Each message is
    written through `reminder_send_once`, so a second run on the same day sends nothing;
    the emails leave after commit, queued a few hundred to a Celery task.

    Only the users whose recorded verdict lapses within the first threshold are looked at
    (`reminder_candidate_batches`): the re-check runs first each night and every service
    that moves a verdict records it at once. Queries per batch: the candidates, the
    selector's one, and one look-up of the keys already used; then a handful per message
    actually sent.
    """
    day = today or program_today()
    thresholds = tuple(settings.ACCESS_REMINDER_DAYS)
    summary = ReminderSummary(today=day)
    with emails_queued_in_bulk(), facts_changes_deferred():
        for ids in reminder_candidate_batches(
            today=day, within=max(thresholds), batch_size=batch_size
        ):
            _remind_batch(ids, today=day, thresholds=thresholds, summary=summary)
    return summary


def reminder_candidate_batches(*, today: date, within: int, batch_size: int) -> Iterator[list[int]]:
    """The researchers and authorized users who may be due a reminder today, a batch at a
    time: those whose recorded verdict (the snapshot the nightly re-check and every
    verdict-moving service keep) is eligible with a first lapse within `within` days. At
    100,000 researchers that is the few thousand read from the snapshots' expiry index, not
    everyone; each one's status is then computed afresh before anything is sent."""
    members = User.groups.through.objects.filter(group__name__in=ONBOARDING_ROLES).values("user_id")
    candidates = EligibilitySnapshot.objects.filter(
        eligible=True,
        # The lapse day (the day after the last day) within 1 to `within` days.
        earliest_expiry__gte=today,
        earliest_expiry__lte=today + timedelta(days=within - 1),
        user_id__in=members,
    )
    last = 0
    while True:
        ids = list(
            candidates.filter(user_id__gt=last)
            .order_by("user_id")
            .values_list("user_id", flat=True)[:batch_size]
        )
        if ids:
            yield ids
        if len(ids) < batch_size:
            return
        last = ids[-1]


def _remind_batch(
    ids: list[int], *, today: date, thresholds: tuple[int, ...], summary: "ReminderSummary"
) -> None:
    """Send the reminders due today to the users in `ids` (their status read afresh)."""
    day = today
    statuses = access_statuses_for(ids, today=day)
    summary.users += len(statuses)
    due = [
        d
        for user_id, status in statuses.items()
        for d in _due_for(user_id, status, today=day, thresholds=thresholds)
    ]
    if not due:
        return
    sent = set(
        ReminderLog.objects.filter(key__in=[d.key for d in due]).values_list("key", flat=True)
    )
    due = [d for d in due if d.key not in sent]
    if not due:
        return
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
        summary.reminders_sent += 1
