"""Browser journeys: Playwright drives Debian's Chromium against pytest-django's live server.

Playwright's own browser download is not used; the tests skip (and CI fails) when
/usr/bin/chromium is missing.
"""

import io
import os
import re
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.test import override_settings
from playwright.sync_api import Browser, ConsoleMessage, Page, expect, sync_playwright

from portal.models import User
from portal.roles import Role
from portal.services.demo import DEMO_USERS, current_totp_code

ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"
DEMO_EMAILS = [demo.email for demo in DEMO_USERS]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Generous for a loaded two-core CI machine; a page that is really broken fails well before.
TIMEOUT_MS = 15_000
expect.set_options(timeout=TIMEOUT_MS)
# Screenshots of the journeys land here (the system's temporary directory by default).
SCREENSHOT_DIR = Path(os.environ.get("PORTAL_SCREENSHOT_DIR", tempfile.gettempdir()))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip(f"needs Debian's Chromium at {CHROMIUM} (apt-get install chromium)")
    # Playwright's synchronous API keeps an event loop running in this thread; Django would
    # otherwise refuse ORM calls from the test itself (seeding users, reading codes). Only
    # while the browser runs: subprocesses started by other tests must not inherit it.
    previous = os.environ.get(ASYNC_UNSAFE)
    os.environ[ASYNC_UNSAFE] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
            )
            try:
                yield browser
            finally:
                browser.close()
    finally:
        if previous is None:
            os.environ.pop(ASYNC_UNSAFE, None)
        else:
            os.environ[ASYNC_UNSAFE] = previous


@pytest.fixture
def page(browser: Browser, live_server) -> Iterator[Page]:
    """A fresh browser context (no cookies) opening pages on the live server."""
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def console_errors(page: Page) -> list[str]:
    """Errors the page logs to the console (a Content-Security-Policy violation among them)."""
    errors: list[str] = []

    def keep(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(message.text)

    page.on("console", keep)
    return errors


@pytest.fixture
def demo_users(transactional_db) -> dict[str, User]:
    """The demo data `make run` loads (`manage.py seed_demo`), in the test database."""
    # A live-server test ends by flushing every table, the role groups that the migrations
    # created among them, so put those back first. (Serialized rollback cannot do it here:
    # once Playwright's event loop runs, Django hands this thread another connection
    # object, without the serialized copy.)
    for role in Role:
        Group.objects.get_or_create(name=role.value)
    # Demo data is refused where DEBUG is off; the test database is a development copy.
    with override_settings(DEBUG=True):
        call_command("seed_demo", stdout=io.StringIO())
    return {user.email: user for user in User.objects.filter(email__in=DEMO_EMAILS)}


def fresh_totp_code(user: User) -> str:
    """The user's current code, waiting for the next 30-second step when this one is ending.

    allauth accepts the current step only, so a code read at second 29 could expire before
    the form is sent.
    """
    remaining = 30 - time.time() % 30
    if remaining < 5:
        time.sleep(remaining + 0.5)
    return current_totp_code(user)


def sign_in_as(page: Page, user: User) -> None:
    """Sign a demo user in through the pages: password, then the authenticator code."""
    page.goto("/accounts/login/")
    page.locator("input[name=login]").fill(user.email)
    page.locator("input[name=password]").fill(settings.DEMO_PASSWORD)
    page.locator("form button[type=submit]").first.click()
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/"))
    page.locator("input[name=code]").fill(fresh_totp_code(user))
    page.locator("form button[type=submit]").first.click()
    expect(page).not_to_have_url(re.compile(r"/accounts/"))
