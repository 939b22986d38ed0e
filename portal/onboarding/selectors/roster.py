"""Reads on the Controlled Tier roster imports, and what putting one in force would change."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from allauth.account.models import EmailAddress
from django.conf import settings
from django.db.models import QuerySet
from django.db.models.functions import Lower

from portal.clock import program_today
from portal.models import RosterEntry, RosterImport, User
from portal.onboarding.eligibility import (
    AccessRecords,
    CodeOfConductPolicy,
    Requirement,
    evaluate_access,
)
from portal.onboarding.selectors.access import access_records_for_users, access_statuses_for


def roster_imports() -> QuerySet[RosterImport]:
    """Every roster import, newest first, with who imported it."""
    return RosterImport.objects.select_related("imported_by", "restored_from")


def current_roster_import() -> RosterImport | None:
    """The import eligibility is checked against, if any roster was imported."""
    return roster_imports().filter(is_current=True).first()


def roster_awaiting_review() -> RosterImport | None:
    """The uploaded roster awaiting review (neither in force nor set aside), if any."""
    return roster_imports().filter(RosterImport.awaiting_review_q()).first()


def roster_entries_of(roster: RosterImport) -> QuerySet[RosterEntry]:
    """One import's entries, by email."""
    return roster.entries.order_by("email")


def _entries(roster: RosterImport | None) -> dict[str, date]:
    if roster is None:
        return {}
    return dict(roster.entries.values_list("email", "access_expires_on"))


@dataclass(frozen=True)
class RosterChange:
    """One email whose entry a new roster adds, removes or moves."""

    email: str
    person: User | None  # the portal user with this verified address, if any
    before: date | None  # last day of the authorization now; None: not listed now
    after: date | None  # last day under the new roster; None: no longer listed


@dataclass(frozen=True)
class RosterDiff:
    """What putting `roster` in force would change, against the import in force now."""

    current_count: int
    new_count: int
    gains: list[RosterChange] = field(default_factory=list)
    losses: list[RosterChange] = field(default_factory=list)
    moves: list[RosterChange] = field(default_factory=list)

    @property
    def drop_share(self) -> float:
        """The share of the current roster's entries the new one drops."""
        return len(self.losses) / self.current_count if self.current_count else 0.0

    @property
    def needs_drop_confirmation(self) -> bool:
        """More than settings.ROSTER_DROP_CONFIRM_SHARE of the roster would be dropped."""
        return self.drop_share > float(settings.ROSTER_DROP_CONFIRM_SHARE)

    @property
    def affected_user_ids(self) -> list[int]:
        return sorted({c.person.pk for c in (*self.gains, *self.losses, *self.moves) if c.person})


def roster_diff(roster: RosterImport) -> RosterDiff:
    """Who gains, who loses and whose expiry moves if `roster` is put in force (3 queries,
    whatever the roster's size)."""
    current = current_roster_import()
    before = _entries(current if current and current.pk != roster.pk else None)
    after = _entries(roster)
    changed = {e for e in before.keys() | after.keys() if before.get(e) != after.get(e)}
    people: dict[str, User] = {}
    if changed:
        for address in (
            EmailAddress.objects.annotate(lower_email=Lower("email"))
            .filter(verified=True, lower_email__in=changed)
            .select_related("user")
        ):
            people.setdefault(address.email.lower(), address.user)

    def change(email: str) -> RosterChange:
        return RosterChange(email, people.get(email), before.get(email), after.get(email))

    return RosterDiff(
        current_count=len(before),
        new_count=len(after),
        gains=[change(e) for e in sorted(after.keys() - before.keys())],
        losses=[change(e) for e in sorted(before.keys() - after.keys())],
        moves=[change(e) for e in sorted(changed & before.keys() & after.keys())],
    )


@dataclass(frozen=True)
class RosterPreviewLine:
    """One change as the preview lists it, with the person's verdict now and after."""

    change: RosterChange
    eligible_now: bool | None = None  # None: no portal account has this address
    eligible_after: bool | None = None

    @property
    def verdict_changes(self) -> bool:
        return self.eligible_now is not None and self.eligible_now != self.eligible_after


@dataclass(frozen=True)
class RosterPreview:
    """What the preview page shows: the counts, and at most `limit` people of each kind."""

    diff: RosterDiff
    gains: list[RosterPreviewLine]
    losses: list[RosterPreviewLine]
    moves: list[RosterPreviewLine]

    @property
    def verdict_changes(self) -> int:
        """How many of the people listed would change verdict (each counted once)."""
        lines = (*self.gains, *self.losses, *self.moves)
        return len(
            {line.change.person.pk for line in lines if line.verdict_changes and line.change.person}
        )


def _roster_expiry_after(roster: RosterImport, user_ids: list[int]) -> dict[int, date]:
    """Each user's latest expiry on `roster` under any of their verified addresses (2 queries)."""
    emails: dict[str, set[int]] = defaultdict(set)
    for user_id, email in (
        EmailAddress.objects.filter(user_id__in=user_ids, verified=True)
        .annotate(lower_email=Lower("email"))
        .values_list("user_id", "lower_email")
    ):
        emails[email].add(user_id)
    expiry: dict[int, date] = {}
    for email, expires_on in roster.entries.filter(email__in=list(emails)).values_list(
        "email", "access_expires_on"
    ):
        for user_id in emails[email]:
            if user_id not in expiry or expires_on > expiry[user_id]:
                expiry[user_id] = expires_on
    return expiry


def roster_verdicts(
    roster: RosterImport, user_ids: list[int], *, today: date
) -> dict[int, tuple[bool, bool]]:
    """Each user's verdict (eligible or not) now, and once `roster` is in force (4 queries).

    Only the Controlled Tier requirement depends on the roster: the other requirements keep
    their state, and a Controlled Tier bypass still waives a missing or lapsed entry.
    """
    if not user_ids:
        return {}
    statuses = access_statuses_for(user_ids, today=today)
    records = access_records_for_users(user_ids, today=today)
    expiry_after = _roster_expiry_after(roster, user_ids)
    verdicts: dict[int, tuple[bool, bool]] = {}
    for user_id, status in statuses.items():
        mine = records[user_id]
        controlled_tier_after = evaluate_access(
            AccessRecords(
                roster_expires_on=expiry_after.get(user_id),
                bypassed=mine.bypassed,
                bypass_ends=mine.bypass_ends,
            ),
            today=today,
            policy=CodeOfConductPolicy(latest=None),
        ).get(Requirement.CONTROLLED_TIER)
        others_hold = all(
            r.holds for r in status.requirements if r.requirement != Requirement.CONTROLLED_TIER
        )
        verdicts[user_id] = (status.eligible, others_hold and controlled_tier_after.holds)
    return verdicts


def roster_preview(roster: RosterImport, *, limit: int, today: date | None = None) -> RosterPreview:
    """The preview of putting `roster` in force: every count, and the first `limit` gains,
    losses and moves each with the person's verdict now and after (bounded: 7 queries)."""
    diff = roster_diff(roster)
    shown = (diff.gains[:limit], diff.losses[:limit], diff.moves[:limit])
    user_ids = sorted({c.person.pk for changes in shown for c in changes if c.person})
    verdicts = roster_verdicts(roster, user_ids, today=today or program_today())

    def line(change: RosterChange) -> RosterPreviewLine:
        if change.person is None or change.person.pk not in verdicts:
            return RosterPreviewLine(change)
        now, after = verdicts[change.person.pk]
        return RosterPreviewLine(change, now, after)

    gains, losses, moves = ([line(c) for c in changes] for changes in shown)
    return RosterPreview(diff, gains, losses, moves)
