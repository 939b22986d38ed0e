"""Time the daily access jobs on a population of researchers (a benchmark, not a test).

    createdb -h 127.0.0.1 -U postgres bench_portal
    DJANGO_SETTINGS_MODULE=tests.settings \\
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_portal \\
        .venv/bin/python -m tests.benchmarks.access_jobs --users 20000

It migrates the database named by DATABASE_URL, creates N researchers in bulk (most of
them eligible, with expiries spread over the year, some never started, some bypassed),
times `access_recheck_all` and `access_send_reminders`, then adds N more and times them
again at 2N. A steady-state run (nothing changed since the last) is the nightly cost; its
time at 2N over its time at N should be about 2 if the jobs scale linearly. The first
run over new users also writes their snapshots and one audit event per eligible user.

It refuses a database that already holds researchers: use a fresh one each time (audit
rows cannot be deleted on PostgreSQL, so the database cannot be emptied in place).
Emails go to Django's in-memory backend.
"""

import argparse
import logging
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

CHUNK = 5000


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=20000, help="N: users in the first round.")
    parser.add_argument("--batch-size", type=int, default=1000, help="Users per job batch.")
    parser.add_argument(
        "--today", type=date.fromisoformat, default=None, help="Program day (YYYY-MM-DD)."
    )
    return parser.parse_args(argv)


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    import django

    # WeasyPrint reports parsing its own stylesheets when the PDF module is imported.
    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
    django.setup()
    from django.core.management import call_command
    from django.test.utils import setup_test_environment

    setup_test_environment()  # in-memory email for every mailer
    # One log line per eagerly run email task would bury the figures.
    logging.getLogger("celery.app.trace").setLevel(logging.WARNING)
    # The in-memory broker of eager mode has no host name, and kombu says so once.
    logging.getLogger("kombu.connection").setLevel(logging.ERROR)
    call_command("migrate", verbosity=0)


def _populate(start: int, count: int, *, today: date) -> None:
    """Create `count` researchers numbered from `start`, in bulk."""
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator
    from django.conf import settings
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group
    from django.db import transaction

    from portal.models import (
        CodeOfConductSignature,
        Consent,
        ProfileReview,
        RequirementBypass,
        ResearcherProfile,
        RosterEntry,
        RosterImport,
        User,
    )
    from portal.roles import Role
    from tests.factories import latest_code_of_conduct
    from tests.helpers import at_noon as noon

    with transaction.atomic():
        roster, _ = RosterImport.objects.get_or_create(
            is_current=True,
            defaults={"source": "benchmark.csv", "sha256": "0" * 64, "row_count": 0},
        )
        version = latest_code_of_conduct()  # the current version, 2026.1 if none is
        admin, _ = User.objects.get_or_create(
            email="bench-admin@example.org", defaults={"full_name": "Bench Admin"}
        )
        researcher_group = Group.objects.get(name=Role.RESEARCHER)
        numbers = range(start, start + count)
        unusable = make_password(None)  # nobody signs in as a benchmark user
        users = User.objects.bulk_create(
            [
                User(email=f"bench{i}@example.org", full_name=f"Researcher {i}", password=unusable)
                for i in numbers
            ],
            batch_size=CHUNK,
        )
        rows: dict[type[Any], list[Any]] = {
            User.groups.through: [],
            EmailAddress: [],
            RosterEntry: [],
            Consent: [],
            CodeOfConductSignature: [],
            ResearcherProfile: [],
            ProfileReview: [],
            Authenticator: [],
            RequirementBypass: [],
        }
        for i, user in zip(numbers, users, strict=True):
            rows[User.groups.through].append(
                User.groups.through(user_id=user.pk, group_id=researcher_group.pk)
            )
            rows[EmailAddress].append(
                EmailAddress(user=user, email=user.email, verified=True, primary=True)
            )
            if i % 8 == 0:  # signed up, never started onboarding
                continue
            # Done on a day within the last 400: expiries spread over the coming year,
            # a few already past.
            done = today - timedelta(days=i % 400)
            if i % 50 == 1:
                rows[RequirementBypass].append(
                    RequirementBypass(
                        user=user,
                        requirement="controlled_tier",
                        reason="Benchmark bypass.",
                        granted_by=admin,
                    )
                )
            else:
                rows[RosterEntry].append(
                    RosterEntry(
                        roster=roster,
                        email=user.email,
                        access_expires_on=today + timedelta(days=30 + i % 400),
                    )
                )
            for kind in Consent.Kind.values:
                rows[Consent].append(
                    Consent(
                        user=user,
                        kind=kind,
                        wording_version=settings.CONSENT_WORDING_VERSION,
                        wording_sha256="0" * 64,
                        given_at=noon(done),
                    )
                )
            rows[CodeOfConductSignature].append(
                CodeOfConductSignature(
                    user=user,
                    version=version,
                    printed_name=user.full_name,
                    initials={},
                    meaning="Benchmark signature.",
                    document_sha256=version.sha256,
                    signed_at=noon(done),
                )
            )
            rows[ResearcherProfile].append(
                ResearcherProfile(
                    user=user, institution="Example University", research_purposes="Benchmark."
                )
            )
            rows[ProfileReview].append(
                ProfileReview(user=user, confirmed_at=noon(done), snapshot={}, changed=False)
            )
            rows[Authenticator].append(
                Authenticator(
                    user=user, type=Authenticator.Type.TOTP, data={"secret": "JBSWY3DPEHPK3PXP"}
                )
            )
        for model, objs in rows.items():
            model.objects.bulk_create(objs, batch_size=CHUNK)


@dataclass
class Timing:
    wall: float  # seconds on the clock: includes the database's work and any other load
    cpu: float  # seconds of this process's CPU: the Python side, less sensitive to load


def _timed(
    label: str, run: Callable[[], Any], *, users: int, repeat: int = 1
) -> tuple[Timing, Any]:
    """Run `repeat` times; report the fastest (the least disturbed by other load)."""
    best, result = Timing(float("inf"), float("inf")), None
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        result = run()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        best = Timing(min(best.wall, wall), min(best.cpu, cpu))
    rate = users / best.wall if best.wall else float("inf")
    note = f" (best of {repeat})" if repeat > 1 else ""
    print(f"  {label + note:<52} {best.wall:8.2f} s  {rate:8,.0f} users/s  (CPU {best.cpu:.2f} s)")
    return best, result


def _queries_per_batch(run: Callable[[], Any]) -> tuple[int, int]:
    """Queries of one run, and its batch count, with the query log switched on."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        summary = run()
    return len(captured.captured_queries), summary.batches


def _batch_times(run: Callable[[], Any]) -> list[float]:
    """Wall time of each batch of one run, in order of primary key."""
    from portal.onboarding.services import access

    real = access.onboarding_user_batches
    times: list[float] = []

    def timed(*, batch_size: int) -> Iterator[list[int]]:
        batches = real(batch_size=batch_size)
        while True:
            started = time.perf_counter()
            ids = next(batches, None)
            if ids is None:
                return
            yield ids
            times.append(time.perf_counter() - started)

    access.onboarding_user_batches = timed
    try:
        run()
    finally:
        access.onboarding_user_batches = real
    return times


def _round(n: int, *, today: date, batch_size: int) -> tuple[Timing, list[float]]:
    from portal.onboarding.services.access import access_recheck_all, access_send_reminders

    def recheck() -> Any:
        return access_recheck_all(today=today, batch_size=batch_size)

    def remind() -> Any:
        return access_send_reminders(today=today, batch_size=batch_size)

    _, first = _timed("recheck, first run (snapshots for the new users)", recheck, users=n)
    print(
        f"    {first.snapshots_created} snapshots created, {first.events} audit events "
        f"({first.became_eligible} eligible)"
    )
    steady, _ = _timed("recheck, steady state (nothing changed)", recheck, users=n, repeat=5)
    queries, batches = _queries_per_batch(recheck)
    print(
        f"    {queries} queries in {batches} batches: {queries / batches:.1f} per batch "
        f"(the last keyset query included)"
    )
    per_batch = _batch_times(recheck)
    _, sent = _timed("reminders, first run", remind, users=n)
    print(f"    {sent.reminders_sent} reminders and {sent.notices_sent} notices sent")
    _timed("reminders, rerun (nothing to send)", remind, users=n, repeat=3)
    return steady, per_batch


def _ms(values: list[float]) -> str:
    return f"{1000 * statistics.median(values):.0f} ms"


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    if not os.environ.get("DATABASE_URL"):
        print(
            "Set DATABASE_URL to a database made for the benchmark, e.g. "
            "postgres://postgres@127.0.0.1:5432/bench_portal",
            file=sys.stderr,
        )
        return 2
    _setup()
    from django.db import connection

    from portal.models import User
    from portal.onboarding.selectors import program_today
    from portal.roles import ONBOARDING_ROLES

    if User.objects.filter(groups__name__in=ONBOARDING_ROLES).exists():
        print(
            f"Database {connection.settings_dict['NAME']} already holds researchers; "
            "create a fresh one for each benchmark run.",
            file=sys.stderr,
        )
        return 2
    today = args.today or program_today()
    n = args.users
    print(
        f"{connection.vendor} database {connection.settings_dict['NAME']}, program day "
        f"{today}, batch size {args.batch_size}"
    )
    print(f"Load average at start: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    timings: dict[int, Timing] = {}
    per_batch: dict[int, list[float]] = {}
    for total in (n, 2 * n):
        started = time.perf_counter()
        _populate(total - n, n, today=today)
        if connection.vendor == "postgresql":
            # Fresh planner statistics, as autovacuum keeps them in production.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        print(f"\n{total:,} users (created {n:,} in {time.perf_counter() - started:.1f} s)")
        timings[total], per_batch[total] = _round(total, today=today, batch_size=args.batch_size)
    small, large = timings[n], timings[2 * n]
    half = len(per_batch[2 * n]) // 2
    print(
        f"\nSteady-state recheck, {n:,} -> {2 * n:,} users (2.00 is linear):\n"
        f"  wall {small.wall:.2f} s -> {large.wall:.2f} s: ratio {large.wall / small.wall:.2f}\n"
        f"  CPU  {small.cpu:.2f} s -> {large.cpu:.2f} s: ratio {large.cpu / small.cpu:.2f}\n"
        f"  median batch at {2 * n:,}: first half {_ms(per_batch[2 * n][:half])}, "
        f"second half {_ms(per_batch[2 * n][half:])} (keyset pages do not slow down)"
    )
    print(f"Load average at end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
