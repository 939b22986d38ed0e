"""List queries compiled once per shape: a busy list page runs the same query again and
again with other values (another search, another page's cursor), and building and compiling
it with the ORM costs more than PostgreSQL takes to answer it.

A list names its query's *shape* (the sort, which filters are on, which way it pages) and
the *values* that vary within a shape (the search text, a cursor's values, a date). The
first time a process meets a shape, `prepared_rows` builds the queryset with stand-ins for
the values, compiles it, and notes where each stand-in went among the SQL's parameters;
after that it only puts the real values in their places and runs the SQL, converting each
column as the ORM would. The ORM stays the one description of the query, and a test runs
every shape both ways and compares them (tests/portal/test_prepared.py).

A shape whose stand-ins cannot all be found among the parameters (the ORM wrote one into
the SQL text, say) is not kept: it is run through the ORM every time, which is slower but
never wrong.
"""

import threading
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.db import connections
from django.db.models import QuerySet

# Values no list filters on, one per slot and kind, so that each can be told apart.
_TEXT = "\x1fslot{n}\x1f"
_INT = -2_000_000_000
_DAY = date(1234, 5, 6)
_MOMENT = datetime(1234, 5, 6, 7, 8, tzinfo=UTC)


@dataclass(frozen=True)
class _Place:
    slot: str
    like: bool = False  # the parameter wraps the value in a LIKE pattern ("%value%")
    prefix: str = ""
    suffix: str = ""
    as_text: bool = False  # a date the backend takes as text (SQLite)


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple[Any, ...]  # the parameters as compiled; a _Place where a value goes
    names: tuple[str, ...]
    width: int  # columns the rows carry (the compiler may select more, for ordering)
    converters: Any
    compiler: Any


_CACHE: dict[tuple[str, Hashable], _Compiled | None] = {}
_LOCK = threading.Lock()


def _stand_in(n: int, value: Any) -> Any:
    if isinstance(value, bool):
        raise TypeError("A yes-or-no value changes a query's shape: put it in the shape.")
    if isinstance(value, int):
        return _INT + n
    if isinstance(value, datetime):  # before date: a datetime is a date too
        return _MOMENT + timedelta(minutes=n)
    if isinstance(value, date):
        return date.fromordinal(_DAY.toordinal() + n)
    if isinstance(value, str):
        return _TEXT.format(n=n)
    raise TypeError(f"No stand-in for a {type(value).__name__} value.")


def _compile(queryset: QuerySet[Any], stand_ins: Mapping[str, Any], using: str) -> _Compiled | None:
    query = queryset.query
    compiler = query.get_compiler(using=using)
    sql, params = compiler.as_sql()
    by_value: dict[tuple[type, Any], _Place] = {}
    for slot, v in stand_ins.items():
        by_value[(type(v), v)] = _Place(slot)
        if isinstance(v, date):
            by_value[(str, v.isoformat())] = _Place(slot, as_text=True)
    texts = {v: slot for slot, v in stand_ins.items() if isinstance(v, str)}
    found: set[str] = set()
    placed: list[Any] = []
    for param in params:
        place = by_value.get((type(param), param))
        if place is not None:
            placed.append(place)
            found.add(place.slot)
            continue
        if isinstance(param, str):
            inside = [(text, name) for text, name in texts.items() if text in param]
            if len(inside) == 1:
                text, name = inside[0]
                prefix, _, suffix = param.partition(text)
                placed.append(_Place(name, like=True, prefix=prefix, suffix=suffix))
                found.add(name)
                continue
        placed.append(param)
    if found != set(stand_ins) or any(str(v) in sql for v in stand_ins.values()):
        return None
    if query.selected:
        names = tuple(query.selected)
    else:
        names = (*query.extra_select, *query.values_select, *query.annotation_select)
    columns = [column for column, _, _ in compiler.select[: compiler.col_count]]
    return _Compiled(
        sql=sql,
        params=tuple(placed),
        names=tuple(names),
        width=compiler.col_count,
        converters=compiler.get_converters(columns),
        compiler=compiler,
    )


def _prepare(
    build: Callable[[Mapping[str, Any]], QuerySet[Any]], values: Mapping[str, Any], using: str
) -> _Compiled | None:
    """Compile the shape twice, with two sets of stand-ins: a parameter that the builder
    derived from a value (a date plus 29 days, say) would differ between the two and is not
    a value's place, so such a shape is not kept."""
    compiled = []
    for first in (0, len(values)):
        stand_ins = {
            slot: _stand_in(first + n, value) for n, (slot, value) in enumerate(values.items())
        }
        compiled.append(_compile(build(stand_ins), stand_ins, using))
    one, other = compiled
    if one is None or other is None or (one.sql, one.params) != (other.sql, other.params):
        return None
    return one


def prepared_rows(
    shape: Hashable,
    build: Callable[[Mapping[str, Any]], QuerySet[Any]],
    values: Mapping[str, Any],
    *,
    using: str = "default",
) -> list[dict[str, Any]]:
    """The rows of `build(values)`, a `values()` queryset, as dicts: compiled the first time
    this process meets `shape`, and from then on only run. `build` must give the same query
    for every value of the same shape; booleans and anything else that changes the query
    belong in `shape`, not in `values`."""
    key = (using, shape)
    if key in _CACHE:
        compiled = _CACHE[key]
    else:
        compiled = _prepare(build, values, using)
        with _LOCK:
            _CACHE[key] = compiled
    if compiled is None:
        return list(build(values))
    connection = connections[using]
    params = []
    for param in compiled.params:
        if isinstance(param, _Place):
            value = values[param.slot]
            if param.like:
                value = f"{param.prefix}{connection.ops.prep_for_like_query(value)}{param.suffix}"
            elif param.as_text:
                value = value.isoformat()
            params.append(value)
        else:
            params.append(param)
    with connection.cursor() as cursor:
        cursor.execute(compiled.sql, params)
        rows = [row[: compiled.width] for row in cursor.fetchall()]
    if compiled.converters:
        rows = compiled.compiler.apply_converters(rows, compiled.converters)
    return [dict(zip(compiled.names, row, strict=True)) for row in rows]


def forget_prepared() -> None:
    """Drop every compiled shape (tests that change the schema or the settings)."""
    with _LOCK:
        _CACHE.clear()
