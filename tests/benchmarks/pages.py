"""Measure key pages against a bare Django view, served as production serves them (a
benchmark, not a test). `make bench` runs it; by hand:

    createdb -h 127.0.0.1 -U postgres bench_pages
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_pages \\
    REDIS_URL=redis://127.0.0.1:6379/3 \\
        .venv/bin/python -m tests.benchmarks.pages --users 100000

It migrates the database named by DATABASE_URL and, if it holds fewer benchmark
researchers than asked, adds them in bulk (shaped as the services shape them, see
`tests.benchmarks.access_jobs`) and records their verdicts as the nightly job does. It
serves the portal with gunicorn (2 workers, DEBUG off, plain HTTP on 127.0.0.1, settings
`tests.benchmarks.bench_settings`, which add /bench/bare/: one `SELECT 1`), drives each
page with locust (concurrency 4, no think time), and runs the bare view right before each
page, in the same minute, so that each page's throughput and p95 are given as a ratio to
the bare view's under the same machine load. The query count is each page's in-process
count on a warm session. Signed-in pages are requested with a session made for a demo
staff user or an eligible researcher.
"""

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=100_000, help="Researchers in the database.")
    parser.add_argument("--seconds", type=int, default=10, help="Load time per run.")
    parser.add_argument("--concurrency", type=int, default=4, help="Simultaneous clients.")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers.")
    parser.add_argument(
        "--only", default="", help="Measure only the pages whose label contains this text."
    )
    parser.add_argument(
        "--session-save-every-request",
        action="store_true",
        help="Serve with the session written on every request (the cost before it was not).",
    )
    return parser.parse_args(argv)


def _ensure_database() -> None:
    """Create the PostgreSQL database DATABASE_URL names, if it does not exist yet."""
    from urllib.parse import urlsplit

    import psycopg2

    url = urlsplit(os.environ.get("DATABASE_URL", ""))
    if not url.scheme.startswith("postgres"):
        raise SystemExit("Set DATABASE_URL to a PostgreSQL database: the benchmark needs one.")
    name = url.path.lstrip("/")
    server = psycopg2.connect(url._replace(path="/postgres").geturl())
    server.autocommit = True
    with server.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{name}"')
    server.close()


def _setup() -> None:
    _ensure_database()
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.benchmarks.bench_settings"
    os.environ.setdefault("BENCH_STATIC_ROOT", str(Path(tempfile.gettempdir()) / "portal-bench"))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)


def _snapshots(ids: list[int]) -> None:
    """Record the verdicts of new researchers in bulk, as the nightly job would, without
    its notices: a first "eligible" verdict is told to each researcher, and the benchmark
    must not queue 100,000 emails."""
    from django.utils import timezone

    from portal.models import EligibilitySnapshot
    from portal.onboarding.selectors import access_statuses_for

    now = timezone.now()
    statuses = access_statuses_for(ids)
    EligibilitySnapshot.objects.bulk_create(
        [
            EligibilitySnapshot(
                user_id=user_id,
                eligible=status.eligible,
                failing=[r.requirement.value for r in status.requirements if not r.holds],
                earliest_expiry=status.earliest_expiry,
                computed_at=now,
            )
            for user_id, status in statuses.items()
        ],
        batch_size=5000,
        ignore_conflicts=True,
    )


def _fill(users: int) -> None:
    """Add benchmark researchers until there are `users`, with their recorded verdicts."""
    from django.db import connection

    from portal.clock import program_today
    from portal.models import EligibilitySnapshot, User
    from portal.onboarding.services.access import onboarding_user_batches
    from tests.benchmarks.access_jobs import _populate

    bench = User.objects.filter(email__regex=r"^bench[0-9]+@example\.org$")
    have = bench.count()
    if have < users:
        started = time.perf_counter()
        last = bench.order_by("-pk").values_list("email", flat=True).first()
        first = int(last.removeprefix("bench").split("@")[0]) + 1 if last else 0
        step = 20_000
        for offset in range(0, users - have, step):
            _populate(first + offset, min(step, users - have - offset), today=program_today())
        print(f"added {users - have:,} researchers in {time.perf_counter() - started:.0f} s")
    else:
        print(f"{have:,} benchmark researchers already in the database")
    if EligibilitySnapshot.objects.count() >= users:
        return
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # fresh statistics after a bulk load, as autovacuum would
    started = time.perf_counter()
    for ids in onboarding_user_batches(batch_size=1000):
        _snapshots(ids)
    print(f"recorded verdicts in {time.perf_counter() - started:.0f} s")


APPLICATIONS = 30_000
# The benchmark researcher's own applications (the list page shows them all).
OWN_APPLICATIONS = 25


def _applications(count: int, own: Any) -> None:
    """Spread `count` applications over the benchmark researchers, in the states a busy
    program has, shaped as the services leave them; `own` gets OWN_APPLICATIONS of them."""
    import random
    from datetime import timedelta

    from django.db import connection
    from django.utils import timezone

    from applications.models import Application, TemplateVersion
    from portal.models import User

    if Application.objects.count() >= count:
        print(f"{Application.objects.count():,} applications already in the database")
        return
    started = time.perf_counter()
    version = TemplateVersion.objects.get(is_current=True)
    owners = list(
        User.objects.filter(email__regex=r"^bench[0-9]+@example\.org$")
        .order_by("pk")
        .values_list("pk", flat=True)[:20_000]
    )
    states = (
        [Application.Status.DRAFT] * 4
        + [Application.Status.SUBMITTED] * 2
        + [Application.Status.SCREENING, Application.Status.RETURNED]
        + [Application.Status.WITHDRAWN, Application.Status.IN_REVIEW]
    )
    now = timezone.now()
    chance = random.Random(8)  # noqa: S311  # a benchmark's spread, not a secret
    rows = []
    for n in range(count):
        status = states[n % len(states)]
        owner = own.pk if n < OWN_APPLICATIONS else chance.choice(owners)
        submitted = None if status == Application.Status.DRAFT else now - timedelta(hours=n % 2000)
        rows.append(
            Application(
                reference=f"BSA-BENCH-{n:06d}",
                applicant_id=owner,
                template_version=version,
                title=f"Study {n} of biomarkers and outcomes",
                status=status,
                submitted_at=submitted,
                status_changed_at=submitted or now,
            )
        )
    Application.objects.bulk_create(rows, batch_size=5000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE applications_application")
    print(f"added {count:,} applications in {time.perf_counter() - started:.0f} s")


def _session_cookie(user: Any) -> str:
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    # axes's backend comes first and only guards sign-in; the session names the one that
    # loads users.
    session[BACKEND_SESSION_KEY] = next(
        b for b in settings.AUTHENTICATION_BACKENDS if not b.startswith("axes.")
    )
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


NOTIFICATIONS = 500  # the researcher's notices: the list page shows 25 of them


def _notifications(user: Any, count: int) -> None:
    """Give `user` `count` notices (half of them read), rendered as `notify` renders them."""
    from datetime import timedelta

    from django.db import connection
    from django.utils import timezone

    from portal.models import Notification
    from portal.notifications import _render

    have = Notification.objects.filter(user=user).count()
    if have >= count:
        return
    subject, text, html, summary = _render(
        "access_expiring",
        {
            "user": user,
            "url": "/access/",
            "lapses_on": timezone.localdate() + timedelta(days=30),
            "days_left": 30,
            "requirements": [],
        },
    )
    now = timezone.now()
    Notification.objects.bulk_create(
        Notification(
            user=user,
            template="access_expiring",
            subject=subject,
            summary=summary,
            body_text=text,
            body_html=html,
            url="/access/",
            read_at=now if n % 2 else None,
            email_sent_at=now,
        )
        for n in range(count - have)
    )
    # bulk_create leaves created_at to auto_now_add: spread the notices over the past days.
    for n, pk in enumerate(Notification.objects.filter(user=user).values_list("pk", flat=True)):
        Notification.objects.filter(pk=pk).update(created_at=now - timedelta(hours=n))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE portal_notification")


def _cookies() -> dict[str, str]:
    """A session for an auditor (staff pages) and one for an eligible researcher."""
    from allauth.mfa.models import Authenticator
    from django.contrib.auth.models import Group

    from portal.models import User
    from portal.onboarding.selectors import access_status_for
    from portal.roles import Role

    auditor, _ = User.objects.get_or_create(
        email="bench-auditor@example.org", defaults={"full_name": "Bench Auditor"}
    )
    auditor.groups.add(Group.objects.get(name=Role.AUDITOR))
    Authenticator.objects.get_or_create(
        user=auditor,
        type=Authenticator.Type.TOTP,
        defaults={"data": {"secret": "JBSWY3DPEHPK3PXP"}},
    )
    researcher = next(
        u
        for u in User.objects.filter(email__startswith="bench").order_by("pk")[:200]
        if u.groups.filter(name=Role.RESEARCHER).exists() and access_status_for(u).eligible
    )
    _notifications(researcher, NOTIFICATIONS)
    _applications(APPLICATIONS, researcher)
    from tests.benchmarks.review_data import fill_review

    review = fill_review()
    SCORED["pk"] = review["scored"]
    for user in (review["chair"], review["member"]):
        Authenticator.objects.get_or_create(
            user=user,
            type=Authenticator.Type.TOTP,
            defaults={"data": {"secret": "JBSWY3DPEHPK3PXP"}},
        )
    return {
        "staff": _session_cookie(auditor),
        "researcher": _session_cookie(researcher),
        "chair": _session_cookie(review["chair"]),
        "member": _session_cookie(review["member"]),
    }


SCORED: dict[str, int] = {}  # an application with three submitted sheets (review_data)


@dataclass(frozen=True)
class Page:
    label: str
    path: str
    who: str  # "staff", "researcher" or "" (anonymous)


DEEP = "{deep}"  # filled in with the cursor of the 1,000th page of 50 (people 49,951 on)
PAGES = [
    Page("staff dashboard (auditor)", "/dashboard/auditor/", "staff"),
    Page("researcher dashboard", "/dashboard/researcher/", "researcher"),
    Page("/access/", "/access/", "researcher"),
    Page("notifications", "/notifications/", "researcher"),
    Page("/access/people/ first page", "/access/people/", "staff"),
    Page("/access/people/ page 1000", f"/access/people/?after={DEEP}", "staff"),
    Page("/access/people/ last page", "/access/people/?page=last", "staff"),
    Page("/access/people/ search", "/access/people/?q=bench4242", "staff"),
    Page("/access/people/ search, common", "/access/people/?q=example.org", "staff"),
    Page("/access/people/ expiring, by expiry", "/access/people/?expiring=on&sort=expiry", "staff"),
    Page("applications (researcher's list)", "/applications/", "researcher"),
    Page("screening queue", "/applications/screening/", "staff"),
    Page("screening queue, search", "/applications/screening/?q=Study+1234", "staff"),
    Page("review: chair's queue, in review", "/review/?stage=in_review", "chair"),
    Page("review: chair's queue, decided", "/review/?stage=decided", "chair"),
    Page("review: chair's queue, decided, last", "/review/?stage=decided&page=last", "chair"),
    Page("review: member's assignments", "/review/assignments/", "member"),
    Page("review: scoring summary (chair)", "/review/applications/{scored}/scores/", "chair"),
]


def _deep_cursor(page: int) -> str:
    """The cursor a reader following "Next" reaches at page `page` of the people list (the
    rows before it read once here, with OFFSET, outside the measured runs)."""
    from portal.keyset import Cursor, encode_cursor
    from portal.models import User
    from portal.onboarding.selectors.people import (
        PEOPLE_PER_PAGE,
        PEOPLE_SORT_KEYS,
        onboarding_people_filtered,
    )

    viewer = User.objects.get(email="bench-auditor@example.org")
    keys = PEOPLE_SORT_KEYS["name"]
    position = (page - 1) * PEOPLE_PER_PAGE
    row = (
        onboarding_people_filtered(viewer=viewer)
        .annotate(**{k.name: k.expression for k in keys})
        .values_list(*[k.name for k in keys])[position - 1]
    )
    return encode_cursor(Cursor(position=position, values=tuple(row)))


def _serve(args: argparse.Namespace) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "portal.wsgi",
            "--workers",
            str(args.workers),
            "--bind",
            f"127.0.0.1:{args.port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=os.environ.copy(),
    )
    for _ in range(100):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{args.port}/bench/bare/") as r:
                if r.status == 200:
                    return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("gunicorn did not answer on /bench/bare/ within 20 s")


@dataclass(frozen=True)
class Load:
    rps: float
    p95_ms: float
    failures: int


def _load(args: argparse.Namespace, path: str, cookie: str) -> Load:
    with tempfile.TemporaryDirectory() as out:
        prefix = str(Path(out) / "run")
        subprocess.run(
            [
                str(BIN / "locust"),
                "-f",
                str(Path(__file__).with_name("locustfile.py")),
                "--headless",
                "--users",
                str(args.concurrency),
                "--spawn-rate",
                str(args.concurrency),
                "--run-time",
                f"{args.seconds}s",
                "--host",
                f"http://127.0.0.1:{args.port}",
                "--csv",
                prefix,
                "--only-summary",
                "--loglevel",
                "ERROR",
            ],
            env={**os.environ, "BENCH_PATH": path, "BENCH_COOKIE": cookie},
            check=False,
            capture_output=True,
        )
        with open(f"{prefix}_stats.csv", newline="") as stats:
            row = next(r for r in csv.DictReader(stats) if r["Name"] == "Aggregated")
    return Load(float(row["Requests/s"]), float(row["95%"]), int(row["Failure Count"]))


def _queries(path: str, cookie: str) -> int:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    if cookie:
        name, value = cookie.split("=", 1)
        client.cookies[name] = value
    client.get(path)  # warm: the session's once-a-minute renewal is not the page's cost
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    if response.status_code != 200:
        raise SystemExit(f"{path} answered {response.status_code}; check the session")
    return len(captured)


def main(argv: list[str] | None = None) -> None:
    args = _parse(argv)
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]  # rows as measured
    if args.session_save_every_request:
        os.environ["BENCH_SESSION_SAVE_EVERY_REQUEST"] = "1"
    _setup()
    _fill(args.users)
    cookies = _cookies()
    deep = _deep_cursor(1000)
    server = _serve(args)
    try:
        print(
            f"\n{args.concurrency} clients, {args.seconds} s a run, gunicorn {args.workers} "
            "workers; each page right after the bare view (SELECT 1) in the same minute\n"
        )
        print(
            f"{'page':<40} {'queries':>7} {'req/s':>8} {'share':>7} {'p95 ms':>8} "
            f"{'p95 ratio':>9} {'bare req/s':>10}"
        )
        for listed in [p for p in PAGES if args.only in p.label]:
            path = listed.path.replace(DEEP, deep).replace("{scored}", str(SCORED.get("pk")))
            page = Page(listed.label, path, listed.who)
            cookie = cookies.get(page.who, "")
            bare = _load(args, "/bench/bare/", "")
            load = _load(args, page.path, cookie)
            note = f"  ({load.failures} failed)" if load.failures else ""
            print(
                f"{page.label:<40} {_queries(page.path, cookie):>7} {load.rps:>8.1f} "
                f"{load.rps / bare.rps:>7.3f} {load.p95_ms:>8.0f} "
                f"{load.p95_ms / max(bare.p95_ms, 1):>8.1f}x {bare.rps:>10.1f}{note}"
            )
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
