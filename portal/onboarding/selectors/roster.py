"""Reads on the Controlled Tier roster imports."""

from django.db.models import QuerySet

from portal.models import RosterImport


def roster_imports() -> QuerySet[RosterImport]:
    """Every roster import, newest first, with who imported it."""
    return RosterImport.objects.select_related("imported_by")


def current_roster_import() -> RosterImport | None:
    """The import eligibility is checked against, if any roster was imported."""
    return roster_imports().filter(is_current=True).first()
