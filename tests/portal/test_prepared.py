"""Queries compiled once per shape (portal.prepared) give exactly what the ORM gives: every
people-list shape is read both ways and compared, page by page."""

from datetime import date, timedelta
from itertools import product

import pytest

from portal.models import User
from portal.onboarding.selectors import people as selectors
from portal.prepared import _CACHE, forget_prepared, prepared_rows
from portal.roles import Role
from tests.factories import UserFactory, make_eligible, record_verdicts
from tests.helpers import FROZEN_TODAY as TODAY

pytestmark = pytest.mark.django_db


@pytest.fixture
def crowd(frozen_today):
    """Twelve people with shared names (ties), odd characters, verdicts and expiries."""
    names = [
        "Ada 100%",
        "Ada 100%",
        "Ada_x",
        "Adaxx",
        "Ben O'Neil",
        "ben lowercase",
        "",
        "Zoë Ångström",
        "Cleo",
        "Cleo",
        "Dan",
        "Eve",
    ]
    for n, name in enumerate(names):
        person = UserFactory(
            full_name=name,
            email=f"person{n:02d}@example.org",
            roles=[Role.RESEARCHER] if n % 3 else [Role.AUTHORIZED_USER, Role.RESEARCHER],
            two_factor=n % 2 == 0,
        )
        if n % 4:
            make_eligible(person, today=TODAY - timedelta(days=300 + n * 7))
    record_verdicts(TODAY)
    UserFactory(full_name="Never Checked", roles=[Role.RESEARCHER])


def _orm_rows(shape, build, values, **kwargs):
    return list(build(values))


def _walk(viewer, **asked):
    """Every page of a list, following "Next" from the first and "Previous" back from the
    last, as (names, start, next?, previous?) per page."""
    seen = []
    page, count = selectors.onboarding_people_page(viewer=viewer, **asked)
    seen.append(([r.pk for r in page.rows], page.start, page.is_first, page.is_last, count))
    while page.next:
        page, count = selectors.onboarding_people_page(viewer=viewer, cursor=page.next, **asked)
        seen.append(([r.pk for r in page.rows], page.start, page.is_first, page.is_last, count))
    page, _ = selectors.onboarding_people_page(viewer=viewer, last=True, **asked)
    seen.append(([r.pk for r in page.rows], page.start))
    while page.previous:
        page, _ = selectors.onboarding_people_page(viewer=viewer, cursor=page.previous, **asked)
        seen.append(([r.pk for r in page.rows], page.start))
    return seen


def test_every_people_list_shape_reads_what_the_orm_reads(crowd, auditor, monkeypatch):
    monkeypatch.setattr(selectors, "PEOPLE_PER_PAGE", 3)
    forget_prepared()
    asked_all = [
        {"sort": sort, "verdict": verdict, "expiring": expiring, "query": query}
        for sort, verdict, expiring, query in product(
            selectors.PEOPLE_SORT_KEYS,
            ["", "eligible", "not_eligible", "unchecked"],
            [False, True],
            ["", "ada", "100%", "_x", "PERSON0", "ång"],
        )
    ]
    prepared = [_walk(auditor, **asked) for asked in asked_all]
    kept = [compiled for (_, shape), compiled in _CACHE.items() if shape[0] == "people"]
    assert kept
    assert all(compiled is not None for compiled in kept)

    monkeypatch.setattr(selectors, "prepared_rows", _orm_rows)
    by_orm = [_walk(auditor, **asked) for asked in asked_all]

    assert prepared == by_orm
    # The list is not trivially empty: most shapes list somebody.
    assert sum(1 for walk in prepared if walk[0][0]) > len(asked_all) // 3


def test_a_search_for_like_wildcards_matches_them_literally(crowd, auditor):
    forget_prepared()
    found, _ = selectors.onboarding_people_page(viewer=auditor, query="a_x")
    assert [row.full_name for row in found.rows] == ["Ada_x"]

    found, _ = selectors.onboarding_people_page(viewer=auditor, query="100%")
    assert [row.full_name for row in found.rows] == ["Ada 100%", "Ada 100%"]


def test_a_shape_whose_builder_derives_a_value_is_run_by_the_orm_every_time(db):
    users = [UserFactory(full_name=f"U{n}") for n in range(3)]

    def build(values):
        # The second bound is derived from the value: the SQL cannot be reused with
        # another value by putting it in one place.
        return User.objects.filter(pk__gte=values["first"], pk__lte=values["first"] + 1).values(
            "pk"
        )

    forget_prepared()
    first = users[0].pk
    assert prepared_rows("derived", build, {"first": first}) == [
        {"pk": first},
        {"pk": users[1].pk},
    ]
    assert prepared_rows("derived", build, {"first": users[1].pk}) == [
        {"pk": users[1].pk},
        {"pk": users[2].pk},
    ]
    assert _CACHE[("default", "derived")] is None


def test_a_date_value_is_put_in_its_place(db):
    people = [UserFactory(full_name=f"U{n}") for n in range(3)]
    User.objects.filter(pk=people[0].pk).update(date_joined="2026-01-01T12:00:00Z")
    User.objects.filter(pk=people[1].pk).update(date_joined="2026-03-01T12:00:00Z")

    def build(values):
        return (
            User.objects.filter(pk__in=[p.pk for p in people], date_joined__date__lt=values["d"])
            .order_by("pk")
            .values("pk")
        )

    forget_prepared()
    assert prepared_rows("dated", build, {"d": date(2026, 2, 1)}) == [{"pk": people[0].pk}]
    assert prepared_rows("dated", build, {"d": date(2026, 4, 1)}) == [
        {"pk": people[0].pk},
        {"pk": people[1].pk},
    ]


def test_a_yes_or_no_value_belongs_in_the_shape(db):
    forget_prepared()
    with pytest.raises(TypeError, match="shape"):
        prepared_rows(
            "bool", lambda v: User.objects.filter(is_active=v["on"]).values("pk"), {"on": True}
        )
