"""Fixtures shared by every app's tests: one signed-up user per role, an eligible
researcher, a frozen program day, and PDFs made without WeasyPrint.

PDF rendering is replaced by a fast stand-in (`tests.helpers.fake_html_to_pdf`: the HTML's
text in a small valid PDF) except in tests marked `@pytest.mark.pdf`, whose subject is the
PDF itself.

In CI (CI=true or PORTAL_FORBID_SKIPS=1) a skipped test fails the run: tests that need
PostgreSQL, Redis or Chromium may skip on a laptop, never in CI.
"""

import os
from collections.abc import Iterator
from datetime import date

import pytest

from portal.roles import Role
from tests.factories import UserFactory, make_eligible
from tests.helpers import FROZEN_TODAY, at_noon, fake_html_to_pdf, frozen

FORBID_SKIPS = os.environ.get("CI", "").lower() in {"1", "true", "yes"} or bool(
    os.environ.get("PORTAL_FORBID_SKIPS")
)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if not FORBID_SKIPS or reporter is None:
        return
    skipped = reporter.stats.get("skipped", [])
    if skipped:
        reporter.write_line(
            f"{len(skipped)} test(s) skipped; skips are failures in CI "
            "(PostgreSQL, Redis and Chromium must be available).",
            red=True,
        )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def _user_with(*roles: str, two_factor: bool | None = None):
    needs_2fa = (
        two_factor
        if two_factor is not None
        else any(r not in {Role.RESEARCHER, Role.AUTHORIZED_USER} for r in roles)
    )
    return UserFactory(roles=list(roles), two_factor=needs_2fa)


@pytest.fixture
def researcher(db):
    return _user_with(Role.RESEARCHER, two_factor=True)


@pytest.fixture
def authorized_user(db):
    return _user_with(Role.AUTHORIZED_USER, two_factor=True)


@pytest.fixture
def prab_member(db):
    return _user_with(Role.PRAB_MEMBER)


@pytest.fixture
def prab_chair(db):
    return _user_with(Role.PRAB_MEMBER, Role.PRAB_CHAIR)


@pytest.fixture
def rab_member(db):
    return _user_with(Role.RAB_MEMBER)


@pytest.fixture
def biobank_staff(db):
    return _user_with(Role.BIOBANK_STAFF)


@pytest.fixture
def drc_staff(db):
    return _user_with(Role.DRC_STAFF)


@pytest.fixture
def auditor(db):
    return _user_with(Role.AUDITOR)


@pytest.fixture
def program_admin(db):
    return _user_with(Role.PROGRAM_ADMIN)


@pytest.fixture
def eligible_researcher(researcher):
    """A researcher who meets every access requirement, all done today."""
    return make_eligible(researcher)


@pytest.fixture
def user_factory(db):
    return UserFactory


@pytest.fixture
def frozen_today() -> Iterator[date]:
    """The clock stopped at noon (program time) on FROZEN_TODAY, 22 November 2026."""
    with frozen(at_noon(FROZEN_TODAY)):
        yield FROZEN_TODAY


@pytest.fixture(autouse=True)
def _fake_pdf_rendering(request) -> Iterator[None]:
    """WeasyPrint takes about a second a page: every test but those marked `pdf` gets a
    small valid PDF holding the HTML's text instead (libmagic still reads it as a PDF).

    Its own MonkeyPatch, so that a test calling `monkeypatch.undo()` keeps the stand-in.
    """
    if request.node.get_closest_marker("pdf") is not None:
        yield
        return
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("portal.pdf._html_to_pdf", fake_html_to_pdf)
        yield


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters and cached values live in the cache: start every test clean."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


_DB_FIXTURES = {"db", "transactional_db", "live_server", "django_db_reset_sequences"}


@pytest.fixture(autouse=True)
def _role_groups(request):
    """Make sure the role groups the migrations create exist before each database test.

    A transactional test (live server, real Celery worker, threads) ends by emptying every
    table, the role groups among them; the tests after it would find no roles.
    """
    if not (
        _DB_FIXTURES & set(request.fixturenames) or request.node.get_closest_marker("django_db")
    ):
        return
    request.getfixturevalue("django_db_setup")
    blocker = request.getfixturevalue("django_db_blocker")
    from django.contrib.auth.models import Group

    with blocker.unblock():
        existing = set(Group.objects.values_list("name", flat=True))
        Group.objects.bulk_create(
            [Group(name=role.value) for role in Role if role.value not in existing]
        )
        _first_template_version()


def _first_template_version() -> None:
    """Version 1 of the application template, as migration applications 0002 loads it (a
    flush empties it too); written directly, without the audit event publishing makes."""
    from django.utils import timezone

    from applications.models import ApplicationTemplate, TemplateVersion
    from applications.sections import (
        DEFAULT_FEE_SCHEDULE,
        DEFAULT_SECTIONS,
        sections_sha256,
        sections_to_data,
    )
    from applications.services.templates import FIRST_TEMPLATE_NAME

    if TemplateVersion.objects.filter(is_current=True).exists():
        return
    template, _ = ApplicationTemplate.objects.get_or_create(name=FIRST_TEMPLATE_NAME)
    TemplateVersion.objects.create(
        template=template,
        number=1,
        sections=sections_to_data(DEFAULT_SECTIONS),
        fee_schedule=list(DEFAULT_FEE_SCHEDULE),
        sha256=sections_sha256(DEFAULT_SECTIONS),
        published_at=timezone.now(),
        is_current=True,
    )
