"""axe-core (from npm) finds no colour-contrast failure on the pages it flagged (unread
notification rows, the publish page's code samples), and a refused form moves the focus
to its error summary (the signing page first, whose form sits below the long text); the
notification list's cached rows mark a notice read through the page's one form."""

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import TIMEOUT_MS, sign_in_as

AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture
def axe_page(browser: Browser, live_server) -> Iterator[Page]:
    """A page that may inject axe-core: the portal's Content-Security-Policy (rightly)
    refuses inline scripts, so this test context bypasses it."""
    context = browser.new_context(base_url=live_server.url, bypass_csp=True)
    context.set_default_timeout(TIMEOUT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


def _contrast_failures(page: Page) -> list[dict]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {runOnly: ['color-contrast']})")
    return [
        {"target": node["target"], "summary": node["failureSummary"]}
        for violation in result["violations"]
        for node in violation["nodes"]
    ]


@pytest.mark.parametrize(
    ("email", "path", "shown"),
    [
        ("researcher@demo.example.org", "/notifications/", ".notification-unread"),
        ("admin@demo.example.org", "/access/code-of-conduct/publish/", "code"),
    ],
    ids=["unread-notifications", "publish-page-code-samples"],
)
def test_the_pages_axe_flagged_pass_colour_contrast(axe_page: Page, demo_users, email, path, shown):
    sign_in_as(axe_page, demo_users[email])
    axe_page.goto(path)
    expect(axe_page.locator(shown).first).to_be_visible()

    failures = _contrast_failures(axe_page)

    assert failures == [], json.dumps(failures, indent=1)


def test_a_refused_signature_moves_the_focus_to_the_error_summary(page: Page, demo_users):
    sign_in_as(page, demo_users["researcher@demo.example.org"])
    page.goto("/access/code-of-conduct/")
    page.locator("input[name=printed_name]").fill("Someone Else")
    page.locator("input[name=password]").fill("not-the-password")
    page.get_by_role("button", name=re.compile(r"^sign", re.IGNORECASE)).click()

    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Nothing was signed.")
    assert (
        page.evaluate("document.querySelector('[data-error-summary]').getBoundingClientRect().top")
        < 900
    )


def test_mark_as_read_in_the_list_submits_the_pages_one_form(page: Page, demo_users):
    """Each row's button submits the page's single form (#mark-read-form) to its own notice:
    the rows are cached fragments and carry no CSRF token of their own."""
    sign_in_as(page, demo_users["researcher@demo.example.org"])
    page.goto("/notifications/")
    unread = page.locator(".notification-unread")
    before = unread.count()
    assert before > 0
    first = unread.first
    notice = first.get_attribute("data-notification")

    first.get_by_role("button", name=re.compile("^Mark as read")).click()

    expect(page).to_have_url(re.compile(r"/notifications/$"))
    expect(page.locator(f'[data-notification="{notice}"]')).to_have_class(
        re.compile("notification-read")
    )
    expect(page.locator(".notification-unread")).to_have_count(before - 1)
