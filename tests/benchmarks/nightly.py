"""Time the nightly access jobs on the page benchmark's database (a benchmark, not a test).
`make bench-nightly` runs it after `make bench` has filled the database; by hand:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_pages \\
    REDIS_URL=redis://127.0.0.1:6379/4 \\
        .venv/bin/python -m tests.benchmarks.nightly

Prints the time of the re-check (`access_recheck_all`) and of the reminder pass
(`access_send_reminders`) twice: on a night with nothing due (the day's reminders already
sent: run it twice on one day) and, with `--rearm`, on a night when the day's reminders are
all due again (their logs and notices deleted first). Emails are queued on the Redis broker
named by REDIS_URL, as in production; no worker sends them (clear that Redis database after).
"""

import argparse
import os
import sys
import time


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--rearm", action="store_true", help="Make today's reminders due again first."
    )
    args = parser.parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.benchmarks.bench_settings"
    if not os.environ.get("REDIS_URL"):
        raise SystemExit("Set REDIS_URL: emails are queued on a broker, as in production.")
    import django

    django.setup()
    from portal.models import Notification, ReminderLog
    from portal.onboarding.services.access import access_recheck_all, access_send_reminders

    if args.rearm:
        logs = ReminderLog.objects.all()
        notices = list(logs.values_list("notification_id", flat=True))
        logs.delete()
        Notification.objects.filter(pk__in=notices).delete()
    total = 0.0
    started = time.perf_counter()
    recheck = access_recheck_all()
    took = time.perf_counter() - started
    total += took
    print(f"re-check          {took:6.1f} s  {recheck.users:,} people, {recheck.events} changes")
    started = time.perf_counter()
    reminders = access_send_reminders()
    took = time.perf_counter() - started
    total += took
    print(
        f"reminder pass     {took:6.1f} s  {reminders.users:,} looked at, "
        f"{reminders.reminders_sent:,} sent"
    )
    print(f"together          {total:6.1f} s")


if __name__ == "__main__":
    main()
