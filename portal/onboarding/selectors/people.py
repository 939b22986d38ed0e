"""Reads for the staff pages: the researchers and authorized users, and one person's record.

Scoped to the viewer: someone who may not see researchers' access status gets nobody.
"""

from collections.abc import Callable, Mapping
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
from portal.keyset import (
    Cursor,
    KeysetPage,
    SortKey,
    decode_cursor,
    keyset_query,
    keyset_result,
)
from portal.models import AuditEvent, RequirementBypass, RosterEntry, User
from portal.onboarding.selectors.access import active_bypass_q
from portal.permissions import can
from portal.prepared import prepared_rows
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
    day = today or program_today()
    # The lapse day (the day after the last day) falls within the next 30 days.
    return _filtered(
        onboarding_people(viewer=viewer),
        query=query,
        verdict=verdict,
        expiring=(day, day + timedelta(days=29)) if expiring else None,
        sort=sort,
    )


def _filtered(
    people: QuerySet[User],
    *,
    query: str,
    verdict: str,
    expiring: tuple[date, date] | None,
    sort: str,
) -> QuerySet[User]:
    if query:
        people = people.filter(search_q(query))
    if verdict == "eligible":
        people = people.filter(eligibility_snapshot__eligible=True)
    elif verdict == "not_eligible":
        people = people.filter(eligibility_snapshot__eligible=False)
    elif verdict == "unchecked":
        people = people.filter(eligibility_snapshot__isnull=True)
    if expiring:
        people = people.filter(
            eligibility_snapshot__earliest_expiry__gte=expiring[0],
            eligibility_snapshot__earliest_expiry__lte=expiring[1],
        )
    keys = _keys(sort, expiring=expiring is not None)
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


def onboarding_people_count(
    people: Callable[[], QuerySet[User]], *, searched: bool, key: str
) -> PeopleCount:
    """How many people the list `people()` gives holds: a search counts up to
    SEARCH_COUNT_LIMIT; any other list is counted at most once a minute, kept in the cache
    under `key`, which names the filters (every viewer who may see the list sees the same
    people). The list is built only when it is counted."""
    if searched:
        found = people().order_by()[: SEARCH_COUNT_LIMIT + 1].count()
        return PeopleCount(min(found, SEARCH_COUNT_LIMIT), found > SEARCH_COUNT_LIMIT)
    cache_key = f"portal:people-count:{key}"
    count = cache.get(cache_key)
    if count is None:
        unordered = people().order_by()
        if unordered.query.is_empty():  # a viewer who may see nobody
            return PeopleCount(0, more=False)
        count = unordered.count()
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
    page) and the page, whose SQL each process compiles once per shape (portal.prepared)."""
    if not can(viewer, "access.people.view"):
        nobody: KeysetPage[PersonRow] = KeysetPage(
            rows=[], start=0, total=0, next=None, previous=None, is_first=True, is_last=True
        )
        return nobody, PeopleCount(0, more=False)
    today = program_today()
    sort = sort if sort in PEOPLE_SORT_KEYS else "name"
    keys = _keys(sort, expiring=expiring)
    at = decode_cursor(cursor, keys) if cursor else None
    lapses = (today, today + timedelta(days=29))

    def people() -> QuerySet[User]:
        return _filtered(
            onboarding_people(viewer=viewer),
            query=query,
            verdict=verdict,
            expiring=lapses if expiring else None,
            sort=sort,
        )

    def count_them() -> PeopleCount:
        key = f"{verdict}:{int(expiring)}:{today.isoformat()}"
        return onboarding_people_count(people, searched=bool(query), key=key)

    # A search whose matches all fit on its first page is counted by that page itself.
    count = None if query and not last else count_them()
    total = count.count if count is not None else 0
    asked = _Asked(query, verdict, lapses if expiring else None, sort)
    page = _read_page(viewer, asked, keys=keys, cursor=at, last=last, total=total)
    if page is None:  # "Previous" from near the start: the first page
        page = _read_page(viewer, asked, keys=keys, cursor=None, last=False, total=total)
    assert page is not None  # noqa: S101  # (the first page is always a page)
    if count is None:
        # A search is not counted: all its matches on its first page count themselves, and
        # otherwise the page says more follow (its "Last" link counts them, up to 1,000).
        shown = page.start - 1 + len(page.rows)
        count = PeopleCount(shown, more=False, uncounted=not page.is_last)
    rows = [PersonRow.from_values(values) for values in page.rows]
    return KeysetPage(**{**vars(page), "rows": rows, "total": max(page.total, count.count)}), count


@dataclass(frozen=True)
class _Asked:
    query: str
    verdict: str
    expiring: tuple[date, date] | None  # first and last lapse day
    sort: str


def _read_page(
    viewer: User,
    asked: _Asked,
    *,
    keys: list[SortKey],
    cursor: Cursor | None,
    last: bool,
    total: int,
) -> KeysetPage[dict[str, Any]] | None:
    """Read one page's rows; the SQL is compiled once per shape and process (the sort, the
    filters that are on, the direction) and run with this request's values."""
    query, verdict, expiring, sort = asked.query, asked.verdict, asked.expiring, asked.sort
    values: dict[str, Any] = {}
    if query:
        values["q"] = query
    if expiring:
        values["lapse_from"], values["lapse_until"] = expiring
    if cursor is not None:
        values.update({f"c{n}": value for n, value in enumerate(cursor.values)})
    direction = None if cursor is None else ("before" if cursor.before else "after")
    shape = ("people", sort, verdict, bool(query), expiring is not None, direction, last)

    def build(v: Mapping[str, Any]) -> QuerySet[Any]:
        filtered = _filtered(
            onboarding_people(viewer=viewer),
            query=v["q"] if query else "",
            verdict=verdict,
            expiring=(v["lapse_from"], v["lapse_until"]) if expiring else None,
            sort=sort,
        )
        stand_in = (
            None
            if cursor is None
            else replace(cursor, values=tuple(v[f"c{n}"] for n in range(len(cursor.values))))
        )
        # Only what the list shows, as plain values: no model is built for a row.
        return keyset_query(
            filtered.values(
                "pk",
                "full_name",
                "email",
                eligible=F("eligibility_snapshot__eligible"),
                failing=F("eligibility_snapshot__failing"),
                earliest_expiry=F("eligibility_snapshot__earliest_expiry"),
                roles=Subquery(_onboarding_roles),
            ),
            keys,
            cursor=stand_in,
            last=last,
            per_page=PEOPLE_PER_PAGE,
        )

    found = prepared_rows(shape, build, values)
    return keyset_result(
        found, keys, cursor=cursor, last=last, per_page=PEOPLE_PER_PAGE, total=total
    )


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
