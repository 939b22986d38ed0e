"""Reads for the staff pages: the researchers and authorized users, and one person's record.

Scoped to the viewer: someone who may not see researchers' access status gets nobody.
"""

from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from allauth.account.models import EmailAddress
from django.core.cache import cache
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    StringAgg,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce

from portal.actions import PortalAction
from portal.clock import program_today
from portal.keyset import KeysetPage, SortKey, decode_cursor, keyset_page
from portal.models import AuditEvent, RequirementBypass, RosterEntry, User
from portal.onboarding.selectors.access import active_bypass_q
from portal.permissions import can
from portal.roles import ONBOARDING_ROLES


def onboarding_people(*, viewer: User) -> QuerySet[User]:
    """Researchers and authorized biospecimen users, by name; nobody for a viewer who may
    not see their access status (`access.people.view`)."""
    if not can(viewer, "access.people.view"):
        return User.objects.none()
    member = User.groups.through.objects.filter(
        user_id=OuterRef("pk"), group__name__in=ONBOARDING_ROLES
    )
    return User.objects.filter(Exists(member)).order_by("full_name", "email", "pk")


def bypasses_of(*, person: User, today: date | None = None) -> QuerySet[RequirementBypass]:
    """Every bypass granted to `person`, newest first, each with `active` on `today` (the
    program's today by default), who granted it and, once revoked, `revoke_reason`."""
    day = today or program_today()
    # Why it was revoked lives in the revocation's audit event (history is never edited).
    revoke_reason = AuditEvent.objects.filter(
        action=PortalAction.REQUIREMENT_BYPASS_REVOKE,
        target_type=RequirementBypass._meta.label_lower,
        target_id=Cast(OuterRef("pk"), CharField()),
    ).values("after__reason")[:1]
    return (
        RequirementBypass.objects.filter(user=person)
        .select_related("granted_by")
        .annotate(
            active=ExpressionWrapper(active_bypass_q(day), output_field=BooleanField()),
            revoke_reason=Subquery(revoke_reason),
        )
    )


def email_addresses_of(*, person: User) -> list[dict[str, Any]]:
    """Each of the person's addresses (`email`, `verified`), the primary one first."""
    return list(
        EmailAddress.objects.filter(user=person)
        .order_by("-primary", "email")
        .values("email", "verified")
    )


def current_roster_entries_for(*, emails: list[str]) -> list[RosterEntry]:
    """The current roster's entries for these (lower-cased) addresses, latest expiry first."""
    return list(
        RosterEntry.objects.filter(roster__is_current=True, email__in=emails).order_by(
            "-access_expires_on"
        )
    )


# The people list's orders, each ending in the id so that every row has one place (keyset
# pagination, portal.keyset). The name and email orders are read from indexes (user_name_order,
# the unique email); the verdict and expiry orders put people never checked (no snapshot)
# with the not-eligible or the latest, as their labels say.
_NAME = SortKey("k_name", F("full_name"))
_EMAIL = SortKey("k_email", F("email"))
_ID = SortKey("k_id", F("pk"), kind=int)
_VERDICT_RANK = Case(
    When(eligibility_snapshot__isnull=True, then=Value(0)),
    When(eligibility_snapshot__eligible=False, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)
_NEVER = date(9999, 12, 31)
_LONG_AGO = date(1, 1, 1)
PEOPLE_SORT_KEYS: dict[str, list[SortKey]] = {
    "name": [_NAME, _EMAIL, _ID],
    "-name": [
        replace(_NAME, descending=True),
        replace(_EMAIL, descending=True),
        replace(_ID, descending=True),
    ],
    "email": [_EMAIL, _ID],
    "-email": [replace(_EMAIL, descending=True), replace(_ID, descending=True)],
    "verdict": [SortKey("k_verdict", _VERDICT_RANK, kind=int), _NAME, _ID],
    "-verdict": [SortKey("k_verdict", _VERDICT_RANK, descending=True, kind=int), _NAME, _ID],
    # Ties in the order people joined (their id), as the snapshots' index gives them.
    "expiry": [
        SortKey(
            "k_expiry",
            Coalesce("eligibility_snapshot__earliest_expiry", Value(_NEVER)),
            kind=date,
        ),
        _ID,
    ],
    "-expiry": [
        SortKey(
            "k_expiry",
            Coalesce("eligibility_snapshot__earliest_expiry", Value(_LONG_AGO)),
            descending=True,
            kind=date,
        ),
        _ID,
    ],
}
PEOPLE_PER_PAGE = 50
# A search counts its matches up to here and says "more than" beyond: counting every match of
# a short, common fragment would read most of the table.
SEARCH_COUNT_LIMIT = 1000
PEOPLE_COUNT_TTL = 60  # seconds: the unfiltered count is read at most once a minute


def search_q(query: str) -> Q:
    """A fragment of the name or email address, in any case (UPPER(column) LIKE on
    PostgreSQL, which the trigram indexes of migration 0011 answer)."""
    return Q(email__icontains=query) | Q(full_name__icontains=query)


def onboarding_people_filtered(
    *,
    viewer: User,
    query: str = "",
    verdict: str = "",
    expiring: bool = False,
    sort: str = "name",
    today: date | None = None,
) -> QuerySet[User]:
    """The people list as asked: searched, filtered by the latest recorded verdict (the
    EligibilitySnapshot the daily job and every verdict-moving service keep current) and by
    a first lapse within 30 days, and sorted; scoped to the viewer like `onboarding_people`.

    The search matches a fragment of the name or email address in any case; on PostgreSQL
    a trigram index (migration 0011) finds the matches without reading the whole table.
    """
    people = onboarding_people(viewer=viewer)
    if query:
        people = people.filter(search_q(query))
    if verdict == "eligible":
        people = people.filter(eligibility_snapshot__eligible=True)
    elif verdict == "not_eligible":
        people = people.filter(eligibility_snapshot__eligible=False)
    elif verdict == "unchecked":
        people = people.filter(eligibility_snapshot__isnull=True)
    if expiring:
        day = today or program_today()
        # The lapse day (the day after the last day) falls within the next 30 days.
        people = people.filter(
            eligibility_snapshot__earliest_expiry__gte=day,
            eligibility_snapshot__earliest_expiry__lte=day + timedelta(days=29),
        )
    keys = _keys(sort, expiring=expiring)
    return people.order_by(*[k.expression.desc() if k.descending else k.expression for k in keys])


def _keys(sort: str, *, expiring: bool) -> list[SortKey]:
    keys = PEOPLE_SORT_KEYS.get(sort, PEOPLE_SORT_KEYS["name"])
    if expiring and sort in ("expiry", "-expiry"):
        # Everyone listed has an expiry: order by the snapshot's own columns, which its
        # index (snapshot_expiry_user) gives in order, rather than by expressions.
        expiry = F("eligibility_snapshot__earliest_expiry")
        user = F("eligibility_snapshot__user_id")
        # (Latest first reads the index backwards, so ties come latest joined first.)
        keys = [
            replace(keys[0], expression=expiry),
            replace(keys[1], expression=user, descending=keys[0].descending),
        ]
    return keys


@dataclass(frozen=True)
class PeopleCount:
    count: int
    more: bool  # a search with more matches than SEARCH_COUNT_LIMIT: "more than `count`"
    # A search's page before its last: its matches are not counted at all ("more follow").
    uncounted: bool = False


def onboarding_people_count(people: QuerySet[User], *, searched: bool, key: str) -> PeopleCount:
    """How many people the list holds: a search counts up to SEARCH_COUNT_LIMIT; any other
    list is counted at most once a minute, kept in the cache under `key`, which names the
    filters (every viewer who may see the list sees the same people)."""
    unordered = people.order_by()
    if searched:
        found = unordered[: SEARCH_COUNT_LIMIT + 1].count()
        return PeopleCount(min(found, SEARCH_COUNT_LIMIT), found > SEARCH_COUNT_LIMIT)
    if unordered.query.is_empty():  # a viewer who may see nobody
        return PeopleCount(0, more=False)
    cache_key = f"portal:people-count:{key}"
    count = cache.get(cache_key)
    if count is None:
        count = people.order_by().count()
        cache.set(cache_key, count, PEOPLE_COUNT_TTL)
    return PeopleCount(count, more=False)


# Each person's onboarding roles, one string, read with the page rather than by a query of
# its own.
_onboarding_roles = (
    User.groups.through.objects.filter(user_id=OuterRef("pk"), group__name__in=ONBOARDING_ROLES)
    .order_by()
    .values("user_id")
    # No order inside the aggregate (SQLite has none): PersonRow sorts the names.
    .annotate(names=StringAgg("group__name", Value(",")))
    .values("names")  # type: ignore[misc]  # django-stubs misses the annotation
)


def onboarding_people_page(
    *,
    viewer: User,
    query: str = "",
    verdict: str = "",
    expiring: bool = False,
    sort: str = "name",
    cursor: str = "",
    last: bool = False,
) -> tuple[KeysetPage["PersonRow"], PeopleCount]:
    """One page of the people list (see `onboarding_people_filtered`) as `PersonRow`s, each
    with the person's roles and recorded verdict, and the list's count. Two queries at
    most: the count (none when it is cached, or for a search whose matches fit on one
    page) and the page."""
    today = program_today()
    people = onboarding_people_filtered(
        viewer=viewer, query=query, verdict=verdict, expiring=expiring, sort=sort, today=today
    )
    keys = _keys(sort, expiring=expiring)

    def count_them() -> PeopleCount:
        key = f"{verdict}:{int(expiring)}:{today.isoformat()}"
        return onboarding_people_count(people, searched=bool(query), key=key)

    # A search whose matches all fit on its first page is counted by that page itself.
    count = None if query and not last else count_them()
    page: KeysetPage[dict[str, Any]] = keyset_page(
        # Only what the list shows, as plain values: no model is built for a row.
        people.values(
            "pk",
            "full_name",
            "email",
            eligible=F("eligibility_snapshot__eligible"),
            failing=F("eligibility_snapshot__failing"),
            earliest_expiry=F("eligibility_snapshot__earliest_expiry"),
            roles=Subquery(_onboarding_roles),
        ),
        keys,
        cursor=decode_cursor(cursor, keys) if cursor else None,
        last=last,
        per_page=PEOPLE_PER_PAGE,
        total=count.count if count is not None else 0,
    )
    if count is None:
        # A search is not counted: all its matches on its first page count themselves, and
        # otherwise the page says more follow (its "Last" link counts them, up to 1,000).
        shown = page.start - 1 + len(page.rows)
        count = PeopleCount(shown, more=False, uncounted=not page.is_last)
    rows = [PersonRow.from_values(values) for values in page.rows]
    total = max(page.total, count.count)
    return KeysetPage(**{**vars(page), "rows": rows, "total": total}), count


@dataclass(frozen=True)
class PersonRow:
    """A person as the people list shows them, with their latest recorded verdict (the
    snapshot the filters and sorts use, so the rows always agree with them)."""

    pk: int
    full_name: str
    email: str
    roles: tuple[str, ...]  # role names
    eligible: bool | None  # None: never checked
    failing: tuple[str, ...]  # requirement values
    earliest_expiry: date | None

    @classmethod
    def from_values(cls, values: dict[str, Any]) -> "PersonRow":
        return cls(
            pk=values["pk"],
            full_name=values["full_name"],
            email=values["email"],
            roles=tuple(sorted(name for name in (values["roles"] or "").split(",") if name)),
            eligible=values["eligible"],
            failing=tuple(values["failing"] or ()),
            earliest_expiry=values["earliest_expiry"],
        )
