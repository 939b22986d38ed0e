"""The eligibility gate (policy 2.1) that every later step calls before it acts.

Applying, being named on a team, being sent specimens: each needs the person to meet every
access requirement on the day. `ensure_eligible` raises `NotEligible`, listing what fails,
so a refused step can tell the person exactly what to renew; `ensure_all_eligible` checks a
whole team with one batch of queries and names every person who fails, not only the first.
"""

from collections.abc import Sequence
from datetime import date

from portal.errors import NotEligible
from portal.models import User
from portal.onboarding.eligibility import AccessStatus
from portal.onboarding.selectors import access_statuses_for


def _failing(status: AccessStatus) -> list[str]:
    return [r.label for r in status.requirements if not r.holds]


def ensure_eligible(*, user: User, today: date | None = None) -> AccessStatus:
    """The user's access status, or NotEligible naming each requirement that does not hold."""
    status = access_statuses_for([user.pk], today=today)[user.pk]
    if not status.eligible:
        failing = _failing(status)
        raise NotEligible(
            f"{user} does not meet every access requirement (policy 2.1). Not met: "
            f"{'; '.join(failing)}. Each is renewed from the access requirements page.",
            failing=failing,
        )
    return status


def ensure_all_eligible(*, users: Sequence[User], today: date | None = None) -> None:
    """NotEligible naming every person in `users` who fails, with what fails for each."""
    statuses = access_statuses_for([u.pk for u in users], today=today)
    failing = [
        f"{user}: {', '.join(_failing(statuses[user.pk]))}"
        for user in users
        if not statuses[user.pk].eligible
    ]
    if failing:
        raise NotEligible(
            "Everyone named must meet every access requirement (policy 2.1). Not met — "
            + "; ".join(failing)
            + ".",
            failing=failing,
        )
