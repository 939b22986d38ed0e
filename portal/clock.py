"""The program's calendar: due dates and expiries are decided in settings.TIME_ZONE.

Times are stored in UTC; a day is the program's calendar day, so a job that runs at 00:30
or 23:30 local time, on either daylight-saving switch, counts the same day.
"""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone


def program_today() -> date:
    """Today's date in the program's time zone."""
    return timezone.now().astimezone(ZoneInfo(settings.TIME_ZONE)).date()


def program_date(moment: datetime) -> date:
    """The program's calendar day on which `moment` falls."""
    return moment.astimezone(ZoneInfo(settings.TIME_ZONE)).date()
