"""Keyset pagination (portal.keyset): following "Next" from the first page, or "Previous"
from the last, shows every row exactly once and in the list's order, whatever the ties;
a cursor that cannot be read gives the first page."""

from datetime import date

import pytest
from django.db.models import F
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.keyset import Cursor, SortKey, decode_cursor, encode_cursor, keyset_page
from portal.models import User
from portal.roles import Role
from tests.factories import UserFactory

NAME = [SortKey("k_name", F("full_name")), SortKey("k_id", F("pk"), kind=int)]
NAME_DESCENDING = [
    SortKey("k_name", F("full_name"), descending=True),
    SortKey("k_id", F("pk"), kind=int),
]


def _walk_forward(keys, per_page: int, total: int) -> list[int]:
    seen: list[int] = []
    cursor = None
    for _ in range(total + 2):
        page = keyset_page(User.objects.all(), keys, cursor=cursor, per_page=per_page, total=total)
        assert page.start == (len(seen) + 1 if page.rows else 0)
        seen += [u.pk for u in page.rows]
        if page.next is None:
            assert page.is_last
            return seen
        cursor = decode_cursor(page.next, keys)
    raise AssertionError("the walk did not end")


def _walk_backward(keys, per_page: int, total: int) -> list[int]:
    seen: list[int] = []
    page = keyset_page(
        User.objects.all(), keys, cursor=None, last=True, per_page=per_page, total=total
    )
    for _ in range(total + 2):
        seen = [u.pk for u in page.rows if u.pk not in seen] + seen
        if page.previous is None:
            assert page.is_first
            return seen
        page = keyset_page(
            User.objects.all(),
            keys,
            cursor=decode_cursor(page.previous, keys),
            per_page=per_page,
            total=total,
        )
    raise AssertionError("the walk did not end")


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    names=st.lists(st.sampled_from(["Ada", "Ben", "ada", "Émile", "Zoë", ""]), max_size=12),
    per_page=st.integers(min_value=1, max_value=5),
    descending=st.booleans(),
)
@pytest.mark.django_db
def test_following_next_or_previous_shows_every_row_once_in_order(names, per_page, descending):
    User.objects.all().delete()
    for name in names:
        UserFactory(full_name=name, roles=[Role.RESEARCHER])
    keys = NAME_DESCENDING if descending else NAME
    ordering = ["-full_name", "pk"] if descending else ["full_name", "pk"]
    expected = list(User.objects.order_by(*ordering).values_list("pk", flat=True))

    assert _walk_forward(keys, per_page, len(expected)) == expected
    assert _walk_backward(keys, per_page, len(expected)) == expected


def test_a_cursor_round_trips_with_dates_and_says_where_the_page_starts():
    keys = [SortKey("k_day", F("date_joined"), kind=date), SortKey("k_id", F("pk"), kind=int)]
    cursor = Cursor(position=49_950, values=(date(2027, 1, 31), 42), before=True)

    assert decode_cursor(encode_cursor(cursor), keys) == cursor


@pytest.mark.parametrize(
    "text",
    ["", "not-base64!", encode_cursor(Cursor(0, ("a",))), "W10", "WzEsMCwxLDJd"],
    ids=["empty", "garbage", "too-few-values", "empty-list", "wrong-types"],
)
def test_a_cursor_that_cannot_be_read_is_none(text):
    assert decode_cursor(text, NAME) is None


@pytest.mark.django_db
def test_an_unreadable_cursor_on_the_people_list_shows_the_first_page(client, auditor):
    UserFactory(full_name="Ada", roles=[Role.RESEARCHER])
    client.force_login(auditor)

    response = client.get("/access/people/", {"after": "nonsense"})

    assert response.status_code == 200
    assert [line.row.full_name for line in response.context["rows"]] == ["Ada"]
