"""Keyset pagination for list pages: a page is "the next 50 rows after this one", read from
an index in the list's order, never "skip 49,950 rows, then read 50" (OFFSET), which costs
as much as the rows it skips.

A list names its sort as `SortKey`s, non-null expressions ending in a unique one (the id), so
that every row has exactly one place. A `Cursor` carries the sort values of the row a page
starts after (or ends before) and, for the reader only, the position of that page in the
list: "People 49,951 to 50,000 of 100,000". Links go to the first page, the previous and next
pages and the last page; there are no numbered pages deep in the list, which only OFFSET
could serve.

Cursors are not secret: a hand-edited cursor only moves the reader within the rows the
viewer may see anyway, and one that cannot be read gives the first page.
"""

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db.models import Q, QuerySet


@dataclass(frozen=True)
class SortKey:
    """One part of a list's order: an expression that is never NULL, and its direction."""

    name: str  # the annotation the value is read back from
    expression: Any
    descending: bool = False
    kind: type = str  # str, int, date or datetime: how a cursor's value is read back


@dataclass(frozen=True)
class Cursor:
    position: int  # rows of the list before the page that starts after this cursor
    values: tuple[Any, ...]
    before: bool = False  # the page ends just before this row instead


def encode_cursor(cursor: Cursor) -> str:
    data = [cursor.position, int(cursor.before), *(_plain(v) for v in cursor.values)]
    text = json.dumps(data, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(text: str, keys: Sequence[SortKey]) -> Cursor | None:
    """The cursor in `text`, or None when it cannot be read for this sort."""
    try:
        raw = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        position, before, *values = raw
        if len(values) != len(keys) or not isinstance(position, int):
            return None
        parsed = tuple(_parse(v, key.kind) for v, key in zip(values, keys, strict=True))
    except (ValueError, TypeError, binascii.Error, json.JSONDecodeError):
        return None
    return Cursor(position=max(position, 0), values=parsed, before=bool(before))


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def _parse(value: Any, kind: type) -> Any:
    if kind is datetime:
        return datetime.fromisoformat(value)
    if kind is date:
        return date.fromisoformat(value)
    if kind is int:
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError(value)
        return value
    if not isinstance(value, str):
        raise TypeError(value)
    return value


def _beyond(keys: Sequence[SortKey], values: tuple[Any, ...], *, forward: bool) -> Q:
    """Rows after `values` in the list's order (before them when not `forward`).

    (a, b, c) after (x, y, z): a > x, or a = x and b > y, or a = x and b = y and c > z. The
    first key's bound is repeated on its own so that the index's range starts there.
    """
    chain = Q()
    equal = Q()
    for key, value in zip(keys, values, strict=True):
        later = "gt" if key.descending != forward else "lt"
        chain |= equal & Q(**{f"{key.name}__{later}": value})
        equal &= Q(**{key.name: value})
    first = keys[0]
    bound = "gte" if first.descending != forward else "lte"
    return Q(**{f"{first.name}__{bound}": values[0]}) & chain


def _ordering(keys: Sequence[SortKey], *, forward: bool) -> list[Any]:
    return [
        key.expression.desc() if key.descending == forward else key.expression.asc() for key in keys
    ]


@dataclass(frozen=True)
class KeysetPage[T]:
    rows: list[T]
    start: int  # the number of the first row shown, from 1 (0 when there are none)
    total: int
    next: str | None  # cursors, None where there is no such page
    previous: str | None
    is_first: bool
    is_last: bool

    @property
    def end(self) -> int:
        return self.start + len(self.rows) - 1 if self.rows else 0

    @property
    def has_other_pages(self) -> bool:
        return not (self.is_first and self.is_last)


def keyset_query(
    queryset: QuerySet[Any],
    keys: Sequence[SortKey],
    *,
    cursor: Cursor | None,
    last: bool = False,
    per_page: int,
) -> QuerySet[Any]:
    """The rows to read for one page of `queryset` (see `keyset_page`): one more than a
    page holds, so that the reader knows whether more follow."""
    annotated = queryset.annotate(**{key.name: key.expression for key in keys})
    backwards = last or (cursor is not None and cursor.before)
    if cursor is not None:
        annotated = annotated.filter(_beyond(keys, cursor.values, forward=not cursor.before))
    return annotated.order_by(*_ordering(keys, forward=not backwards))[: per_page + 1]


def keyset_result[T](
    found: list[Any],
    keys: Sequence[SortKey],
    *,
    cursor: Cursor | None,
    last: bool = False,
    per_page: int,
    total: int,
) -> KeysetPage[T] | None:
    """The page that `found` (the rows `keyset_query` read) makes; None when a page asked
    for by its "Previous" link has fewer rows before it than a page holds, so that the
    first page is the one to show."""
    more = len(found) > per_page
    rows = found[:per_page]
    backwards = last or (cursor is not None and cursor.before)
    if backwards:
        rows.reverse()
    if cursor is not None and cursor.before and not more:
        return None
    if last:
        position = max(total - len(rows), 0)
    elif cursor is None:
        position = 0
    elif cursor.before:
        position = max(cursor.position - len(rows), 0)
    else:
        position = cursor.position
    is_first = (cursor is None and not last) or (last and not more)
    is_last = last or (not backwards and not more)

    def at(row: Any) -> tuple[Any, ...]:
        if isinstance(row, dict):  # a values() queryset
            return tuple(row[key.name] for key in keys)
        return tuple(getattr(row, key.name) for key in keys)

    return KeysetPage(
        rows=rows,
        start=position + 1 if rows else 0,
        total=max(total, position + len(rows)),
        next=(
            None
            if is_last or not rows
            else encode_cursor(Cursor(position + len(rows), at(rows[-1])))
        ),
        previous=(
            None if is_first or not rows else encode_cursor(Cursor(position, at(rows[0]), True))
        ),
        is_first=is_first,
        is_last=is_last,
    )


def keyset_page[T](
    queryset: QuerySet[Any],
    keys: Sequence[SortKey],
    *,
    cursor: Cursor | None,
    last: bool = False,
    per_page: int,
    total: int,
) -> KeysetPage[T]:
    """One page of `queryset` in the order of `keys`: the first, the one `cursor` names,
    or (with `last`) the last. `total` is the list's length as the caller knows it (a
    cached or bounded count); it only numbers the rows."""
    found = list(keyset_query(queryset, keys, cursor=cursor, last=last, per_page=per_page))
    page: KeysetPage[T] | None = keyset_result(
        found, keys, cursor=cursor, last=last, per_page=per_page, total=total
    )
    if page is None:
        return keyset_page(queryset, keys, cursor=None, per_page=per_page, total=total)
    return page
