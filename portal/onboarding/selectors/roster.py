"""Reads on the Controlled Tier roster imports, and what putting one in force would change."""

from dataclasses import dataclass, field
from datetime import date

from allauth.account.models import EmailAddress
from django.conf import settings
from django.db.models import QuerySet
from django.db.models.functions import Lower

from portal.models import RosterEntry, RosterImport, User


def roster_imports() -> QuerySet[RosterImport]:
    """Every roster import, newest first, with who imported it."""
    return RosterImport.objects.select_related("imported_by", "restored_from")


def current_roster_import() -> RosterImport | None:
    """The import eligibility is checked against, if any roster was imported."""
    return roster_imports().filter(is_current=True).first()


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
