"""Pagination helpers for lists that must not count their rows on every request."""

from typing import Any

from django.core.paginator import Paginator


class CountedPaginator(Paginator):
    """A paginator given its count (kept with the user's cached facts, or estimated), so
    that showing a page does not run `SELECT COUNT(*)` first."""

    def __init__(self, object_list: Any, per_page: int, *, count: int, **kwargs: Any) -> None:
        super().__init__(object_list, per_page, **kwargs)
        self.__dict__["count"] = count  # Paginator.count is a cached property
