"""Thin Celery tasks for onboarding's scheduled jobs (see portal.onboarding.services.access).

Beat runs them daily (settings.CELERY_BEAT_SCHEDULE); without Redis, run
`manage.py access_recheck` and `manage.py access_send_reminders` from cron instead.
Both are idempotent: a second run on the same day records and sends nothing new.
"""

from typing import Any

from celery import shared_task

from portal.onboarding.services import access

# A full pass over 100,000 researchers takes minutes, not seconds: allow up to an hour
# instead of the default five minutes. Each batch commits on its own, so a run cut short
# leaves finished batches recorded and the next run picks up the rest.
_DAILY_JOB_LIMITS: dict[str, Any] = {"soft_time_limit": 55 * 60, "time_limit": 60 * 60}


@shared_task(**_DAILY_JOB_LIMITS)
def access_recheck_daily() -> dict[str, Any]:
    """Re-check every researcher's eligibility and audit each change."""
    summary = access.access_recheck_all()
    return {
        "today": summary.today.isoformat(),
        "users": summary.users,
        "became_eligible": summary.became_eligible,
        "became_ineligible": summary.became_ineligible,
    }


@shared_task(**_DAILY_JOB_LIMITS)
def access_reminders_daily() -> dict[str, Any]:
    """Send the expiry reminders due today, each once (lapses are told by the re-check)."""
    summary = access.access_send_reminders()
    return {
        "today": summary.today.isoformat(),
        "users": summary.users,
        "reminders_sent": summary.reminders_sent,
    }


@shared_task
def access_recheck_users_task(user_ids: list[int] | None = None) -> dict[str, Any]:
    """Re-check the named users (or everyone, when None) now, telling each change once."""
    if user_ids is None:
        summary = access.access_recheck_all()
    else:
        summary = access.access_recheck_users(user_ids=user_ids)
    return {"users": summary.users, "events": summary.events}


@shared_task
def code_of_conduct_new_version_tell_task(version_id: int) -> int:
    """Tell signers of an older, still accepted version that a new one is there to sign."""
    from portal.onboarding.services.conduct import code_of_conduct_new_version_tell

    return code_of_conduct_new_version_tell(version_id=version_id)


def _left_for_review(left: Exception) -> dict[str, Any]:
    """The nightly outcome when the export is not put in force but left for an admin."""
    from portal.onboarding.services.roster import (
        RosterAlreadyAwaitingReview,
        RosterDropNeedsConfirmation,
    )

    if isinstance(left, RosterDropNeedsConfirmation):  # staged now; the admins were told
        return {"status": "drop left for review", "losses": len(left.diff.losses)}
    if isinstance(left, RosterAlreadyAwaitingReview):  # told the night it was staged
        return {"status": "awaiting review", "import": left.roster.pk}
    raise left


@shared_task
def roster_refresh_nightly() -> dict[str, Any]:
    """Import the Workbench's nightly roster export, if one is configured and it changed."""
    from django.conf import settings

    from portal.onboarding.roster_files import CsvRosterSource, RosterInvalid
    from portal.onboarding.services.roster import (
        RosterAlreadyAwaitingReview,
        RosterDropNeedsConfirmation,
        roster_refresh,
    )

    path = settings.CONTROLLED_TIER_ROSTER_FILE
    if not path:
        return {"status": "not configured"}
    try:
        roster = roster_refresh(source=CsvRosterSource(path))
    except RosterInvalid as invalid:
        return {"status": "refused", "problems": len(invalid.problems)}
    except (RosterDropNeedsConfirmation, RosterAlreadyAwaitingReview) as left:
        return _left_for_review(left)
    except FileNotFoundError:
        return {"status": "missing", "path": str(path)}
    if roster is None:
        return {"status": "unchanged"}
    return {"status": "imported", "rows": roster.row_count, "import": roster.pk}
