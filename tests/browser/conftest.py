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
from typing import Any

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


AXE_SOURCE = (Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js").read_text()
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# Pages a journey passes through without their own state to check (downloads have none).
NOT_PAGES = re.compile(r"/(pdf|download)/?$|^about:blank$")


def assert_accessible(page: Page) -> None:
    """axe-core (from npm) finds no WCAG 2 A or AA violation on the page as it is now.

    The script is evaluated through the browser's debugging protocol, which the portal's
    Content-Security-Policy (rightly strict on inline scripts) does not govern, so the
    journeys keep checking that policy too.
    """
    page.wait_for_load_state("domcontentloaded")
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SOURCE + "\n;void 0")
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})",
        AXE_TAGS,
    )
    _checked_paths(page).add(_path(page.url))
    failures = [
        f"{v['id']} ({v['impact']}): {v['help']} at "
        + ", ".join(" ".join(node["target"]) for node in v["nodes"][:5])
        for v in result["violations"]
    ]
    assert not failures, f"axe on {page.url}:\n" + "\n".join(failures)


def _path(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url).split("?")[0].split("#")[0]


def _checked_paths(page: Page) -> set[str]:
    return page.context.__dict__.setdefault("_axe_checked", set())


def _visited_paths(page: Page) -> list[str]:
    return page.context.__dict__.setdefault("_axe_visited", [])


def track_pages(page: Page) -> Page:
    """Record every page the main frame shows, so that the journey's end can check with axe
    each one the journey did not check itself."""

    def visited(frame: Any) -> None:
        if frame == page.main_frame and not NOT_PAGES.search(_path(frame.url)):
            _visited_paths(page).append(_path(frame.url))

    page.on("framenavigated", visited)
    return page


def check_unchecked_pages(page: Page) -> None:
    """Open again each page the journey saw but did not check, and check it with axe."""
    seen = list(dict.fromkeys(_visited_paths(page)))
    for path in seen:
        if path in _checked_paths(page):
            continue
        page.goto(path)
        assert_accessible(page)


@pytest.fixture
def page(browser: Browser, live_server) -> Iterator[Page]:
    """A fresh browser context (no cookies) opening pages on the live server. Every page it
    shows passes axe: those the journey checks itself (`assert_accessible`), and at the end
    every other one it visited, opened again."""
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    try:
        opened = track_pages(context.new_page())
        yield opened
        if not opened.is_closed():
            check_unchecked_pages(opened)
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
