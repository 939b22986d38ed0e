"""Kept for files that still import from here: the factories live in `tests.factories`."""

from tests.factories import (
    CodeOfConductVersionFactory,
    latest_code_of_conduct,
    make_eligible,
)

__all__ = ["CodeOfConductVersionFactory", "latest_code_of_conduct", "make_eligible"]
