"""The staff people list: filtered by verdict and by "expiring within 30 days", sorted, with
the filters kept across pages and a fixed number of queries."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal.models import RosterEntry
from portal.onboarding.services.access import access_recheck_all
from portal.prepared import forget_prepared
from portal.roles import Role
from tests.factories import UserFactory, make_eligible
from tests.helpers import FROZEN_TODAY as TODAY


def _names(response) -> list[str]:
    return [line.row.full_name for line in response.context["rows"]]


def _lapsing_in(name: str, days: int):
    """An eligible researcher whose first requirement lapses `days` days from TODAY."""
    person = UserFactory(full_name=name, roles=[Role.RESEARCHER], two_factor=True)
    make_eligible(person, today=TODAY + timedelta(days=days) - timedelta(days=365))
    RosterEntry.objects.filter(email=person.email.lower()).update(
        access_expires_on=TODAY + timedelta(days=400)
    )
    return person


@pytest.fixture
def people(db, frozen_today):
    """Ada (lapses in 30 days), Ben (in 31), Cleo (not eligible), Dan (never checked)."""
    _lapsing_in("Ada Lovelace", 30)
    _lapsing_in("Ben Okri", 31)
    UserFactory(full_name="Cleo Ndiaye", roles=[Role.RESEARCHER])
    access_recheck_all(today=TODAY)
    UserFactory(full_name="Dan Brown", roles=[Role.RESEARCHER])


@pytest.mark.parametrize(
    ("verdict", "expected"),
    [
        ("eligible", ["Ada Lovelace", "Ben Okri"]),
        ("not_eligible", ["Cleo Ndiaye"]),
        ("unchecked", ["Dan Brown"]),
        ("", ["Ada Lovelace", "Ben Okri", "Cleo Ndiaye", "Dan Brown"]),
    ],
)
def test_the_list_filters_by_verdict(client, auditor, people, verdict, expected):
    client.force_login(auditor)

    response = client.get(reverse("access-people"), {"verdict": verdict})

    assert _names(response) == expected


def test_expiring_within_30_days_counts_to_the_lapse_day_the_banner_names(client, auditor, people):
    client.force_login(auditor)

    response = client.get(reverse("access-people"), {"expiring": "on"})

    # Ada's requirement lapses in 30 days (the banner says "in 30 days"); Ben's in 31.
    assert _names(response) == ["Ada Lovelace"]
    assert f"Next expiry: {TODAY + timedelta(days=30):%-d %b %Y}" in response.content.decode()


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("name", ["Ada Lovelace", "Ben Okri", "Cleo Ndiaye", "Dan Brown"]),
        ("-name", ["Dan Brown", "Cleo Ndiaye", "Ben Okri", "Ada Lovelace"]),
        ("verdict", ["Dan Brown", "Cleo Ndiaye", "Ada Lovelace", "Ben Okri"]),
        ("-verdict", ["Ada Lovelace", "Ben Okri", "Cleo Ndiaye", "Dan Brown"]),
        ("expiry", ["Ada Lovelace", "Ben Okri", "Cleo Ndiaye", "Dan Brown"]),
        ("-expiry", ["Ben Okri", "Ada Lovelace", "Cleo Ndiaye", "Dan Brown"]),
    ],
)
def test_the_list_sorts(client, auditor, people, sort, expected):
    client.force_login(auditor)

    response = client.get(reverse("access-people"), {"sort": sort})

    assert _names(response) == expected


def test_the_list_sorts_by_email(client, auditor, db):
    UserFactory(full_name="Zed", email="a@example.org", roles=[Role.RESEARCHER])
    UserFactory(full_name="Amy", email="b@example.org", roles=[Role.RESEARCHER])
    client.force_login(auditor)

    ascending = client.get(reverse("access-people"), {"sort": "email"})
    descending = client.get(reverse("access-people"), {"sort": "-email"})

    assert _names(ascending) == ["Zed", "Amy"]
    assert _names(descending) == ["Amy", "Zed"]


def test_a_bad_filter_value_falls_back_to_its_default(client, auditor, people):
    client.force_login(auditor)

    response = client.get(reverse("access-people"), {"verdict": "maybe", "sort": "shoe size"})

    assert response.status_code == 200
    assert _names(response) == ["Ada Lovelace", "Ben Okri", "Cleo Ndiaye", "Dan Brown"]


def test_the_filters_are_kept_in_the_page_links(client, auditor, db):
    for i in range(51):
        UserFactory(full_name=f"Person {i:02}", roles=[Role.RESEARCHER])
    client.force_login(auditor)

    response = client.get(reverse("access-people"), {"q": "person", "verdict": "", "sort": "-name"})

    html = response.content.decode()
    following = response.context["page"].next
    assert f'href="?q=person&amp;verdict=&amp;sort=-name&amp;after={following}"' in html
    second = client.get(
        reverse("access-people"), {"q": "person", "sort": "-name", "after": following}
    )
    assert _names(second) == ["Person 00"]


FILTERED = {"verdict": "eligible", "expiring": "on", "sort": "expiry"}


@pytest.mark.parametrize("filters", [{}, FILTERED], ids=["plain", "filtered"])
def test_the_list_issues_as_many_queries_for_2_people_as_for_30(
    client, auditor, frozen_today, filters
):
    client.force_login(auditor)
    counts = []
    for batch in (2, 28):
        for _ in range(batch):
            _lapsing_in(f"Person {UserFactory._meta.model.objects.count()}", 10)
        access_recheck_all(today=TODAY)
        client.get(reverse("access-people"), filters)  # renews the session, if it is due
        with CaptureQueriesContext(connection) as captured:
            response = client.get(reverse("access-people"), filters)
        counts.append(len(captured))
        assert len(response.context["rows"]) in (2, 30)

    assert counts[0] == counts[1]


def test_the_first_page_is_read_from_the_name_index_not_sorted(auditor, db):
    from django.db import connection

    from portal.onboarding.selectors import onboarding_people_filtered

    for i in range(3):
        UserFactory(full_name=f"Person {i}", roles=[Role.RESEARCHER])
    page = onboarding_people_filtered(viewer=auditor)[:50]

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # With a handful of rows any plan is cheap; forbid the sort to see whether the
            # index can give the order, as it does at 100,000 researchers.
            cursor.execute("SET LOCAL enable_sort = off")
            plan = page.explain()
    else:
        plan = page.explain()

    assert "user_name_order" in plan


# --- At scale: search index, keyset pages, counts -----------------------------------------


def test_a_search_shorter_than_3_characters_is_refused_and_kept(client, auditor, people):
    client.force_login(auditor)

    response = client.get(reverse("access-people"), {"q": "ad"})

    html = response.content.decode()
    assert "Type at least 3 characters of a name or email address to search." in html
    assert 'value="ad"' in html
    assert _names(response) == ["Ada Lovelace", "Ben Okri", "Cleo Ndiaye", "Dan Brown"]


def test_the_search_is_read_from_the_trigram_indexes(auditor, db):
    from portal.models import User
    from portal.onboarding.selectors import onboarding_people_filtered
    from portal.onboarding.selectors.people import search_q

    UserFactory(full_name="Rosalind Franklin", roles=[Role.RESEARCHER])
    found = onboarding_people_filtered(viewer=auditor, query="salin")
    assert [u.full_name for u in found] == ["Rosalind Franklin"]
    if connection.vendor != "postgresql":
        return  # SQLite (trying the portal on a laptop) has no such index; CI runs PostgreSQL
    matching = User.objects.filter(search_q("salin"))
    with connection.cursor() as cursor:
        # A handful of rows makes any plan cheap; forbid the table scan to see whether the
        # indexes can answer the search's own condition, as they do at 100,000 researchers.
        for scan in ("seqscan", "indexscan", "indexonlyscan"):
            cursor.execute(f"SET LOCAL enable_{scan} = off")
        plan = matching.explain()

    assert "user_full_name_trgm" in plan
    assert "user_email_trgm" in plan


def _count_queries(captured) -> int:
    """The people count's queries (not the notification counts of the viewer's facts)."""
    return sum(
        1
        for q in captured.captured_queries
        if q["sql"].startswith('SELECT COUNT(*) AS "__count" FROM "portal_user"')
    )


def test_the_list_is_counted_once_a_minute_not_on_every_view(client, auditor, people):
    client.force_login(auditor)
    with CaptureQueriesContext(connection) as first:
        client.get(reverse("access-people"))
    with CaptureQueriesContext(connection) as second:
        response = client.get(reverse("access-people"))

    assert _count_queries(first) == 1
    assert _count_queries(second) == 0
    assert "Showing people 1 to 4 of 4." in response.content.decode()


def test_a_search_is_counted_only_on_its_last_page_and_up_to_a_bound(
    client, auditor, db, monkeypatch
):
    from portal.onboarding.selectors import people as selectors

    monkeypatch.setattr(selectors, "SEARCH_COUNT_LIMIT", 2)
    monkeypatch.setattr(selectors, "PEOPLE_PER_PAGE", 2)
    for i in range(4):
        UserFactory(full_name=f"Subject {i}", roles=[Role.RESEARCHER])
    UserFactory(full_name="Rosalind Franklin", roles=[Role.RESEARCHER])
    client.force_login(auditor)
    client.get(reverse("access-people"))

    many = client.get(reverse("access-people"), {"q": "subject"})
    with CaptureQueriesContext(connection) as captured:
        one = client.get(reverse("access-people"), {"q": "rosalind"})

    assert _names(many) == ["Subject 0", "Subject 1"]
    assert "Showing people 1 to 2 who match; more follow." in many.content.decode()
    # Only the last page of a search counts its matches, up to the bound.
    last = client.get(reverse("access-people"), {"q": "subject", "page": "last"})
    assert _names(last) == ["Subject 2", "Subject 3"]
    assert "of more than 2 who match; add to the search to narrow it" in last.content.decode()
    # All the matches on the first page: that page counted them, no count query was made.
    assert _names(one) == ["Rosalind Franklin"]
    assert "Showing people 1 to 1 of 1." in one.content.decode()
    assert not [q for q in captured.captured_queries if "COUNT(*)" in q["sql"]]


def test_a_page_deep_in_the_list_is_read_after_a_cursor_not_by_offset(
    client, auditor, db, monkeypatch
):
    from portal.onboarding.selectors import people as selectors

    monkeypatch.setattr(selectors, "PEOPLE_PER_PAGE", 2)
    for i in range(7):
        UserFactory(full_name=f"Person {i}", roles=[Role.RESEARCHER])
    client.force_login(auditor)
    cursor = client.get(reverse("access-people")).context["page"].next
    pages = []
    for _ in range(2):
        with CaptureQueriesContext(connection) as captured:
            response = client.get(reverse("access-people"), {"after": cursor})
        pages.append((len(captured), _names(response)))
        assert not [q for q in captured.captured_queries if "OFFSET" in q["sql"].upper()]
        cursor = response.context["page"].next

    assert pages[0] == (pages[1][0], ["Person 2", "Person 3"])
    assert pages[1][1] == ["Person 4", "Person 5"]
    assert "Showing people 5 to 6 of 7." in response.content.decode()


def test_the_page_query_compiles_for_sqlite_too(auditor, db, monkeypatch):
    """`make run` serves the portal on SQLite: the people page's query must compile there
    (an ordered string aggregate, for one, does not)."""
    from django.db.backends.sqlite3.base import DatabaseWrapper

    from portal.onboarding.selectors import people as selectors

    sqlite = DatabaseWrapper(
        {**connection.settings_dict, "ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"},
        alias="sqlite-check",
    )
    compiled: set[str] = set()
    real = selectors.keyset_query

    def compile_for_sqlite(queryset, keys, **kwargs):
        query = real(queryset, keys, **kwargs)
        compiled.add(query.query.get_compiler(connection=sqlite).as_sql()[0])
        return query

    monkeypatch.setattr(selectors, "keyset_query", compile_for_sqlite)
    forget_prepared()  # so that each shape is built again
    for sort in selectors.PEOPLE_SORT_KEYS:
        selectors.onboarding_people_page(viewer=auditor, sort=sort, query="abc")

    assert len(compiled) == len(selectors.PEOPLE_SORT_KEYS)


def test_a_page_seen_before_is_one_cached_block_and_a_change_renders_only_its_person(
    client, auditor, people, monkeypatch
):
    from portal import fragments
    from portal.models import EligibilitySnapshot

    client.force_login(auditor)
    rendered: list[str] = []
    real = fragments.get_template("onboarding/staff/_person.html")

    class CountingTemplate:
        template = real.template

        def render(self, context, request=None):
            rendered.append(context["line"].row.full_name)
            return real.render(context, request)

    monkeypatch.setattr(fragments, "get_template", lambda name: CountingTemplate())
    client.get(reverse("access-people"))
    reads: list[str] = []
    real_get = fragments.cache.get
    monkeypatch.setattr(
        fragments.cache, "get", lambda key, *a, **kw: reads.append(key) or real_get(key, *a, **kw)
    )

    rendered.clear()
    client.get(reverse("access-people"))
    assert rendered == []
    assert [key for key in reads if key.startswith("portal:block:")] != []

    cleo = EligibilitySnapshot.objects.get(user__full_name="Cleo Ndiaye")
    EligibilitySnapshot.objects.filter(pk=cleo.pk).update(eligible=True, failing=[])
    html = client.get(reverse("access-people")).content.decode()

    assert rendered == ["Cleo Ndiaye"]
    row = html[html.index(f'<tr data-person="{cleo.user_id}">') :]
    assert "Eligible" in row[: row.index("</tr>")]
