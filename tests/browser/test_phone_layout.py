"""At 390 px (a phone) the requirements page and the people list show the verdict and the
next due date without sideways scrolling: cards, not tables."""

import re

from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import SCREENSHOT_DIR, TIMEOUT_MS, sign_in_as

PHONE = {"width": 390, "height": 844}


def _phone_page(browser: Browser, live_server) -> Page:
    context = browser.new_context(base_url=live_server.url, viewport=PHONE, is_mobile=True)
    context.set_default_timeout(TIMEOUT_MS)
    return context.new_page()


def _no_sideways_scrolling(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width}px wide at {PHONE['width']}px"


def test_the_requirements_page_fits_a_phone(browser, live_server, demo_users):
    page = _phone_page(browser, live_server)
    try:
        sign_in_as(page, demo_users["expiring.researcher@demo.example.org"])
        page.goto("/access/")

        cards = page.locator("[data-requirement-card]")
        expect(cards).to_have_count(6)
        coc = page.locator('[data-requirement-card="code_of_conduct"]')
        expect(coc.locator(".badge")).to_be_visible()
        expect(coc.locator("[data-due]")).to_have_text(re.compile(r"Expires on \d+ \w+ \d{4}"))
        expect(page.locator("table.requirements-table")).to_be_hidden()
        _no_sideways_scrolling(page)
        page.screenshot(path=str(SCREENSHOT_DIR / "portal-requirements-390.png"), full_page=True)
    finally:
        page.context.close()


def test_the_people_list_fits_a_phone(browser, live_server, demo_users):
    page = _phone_page(browser, live_server)
    try:
        sign_in_as(page, demo_users["auditor@demo.example.org"])
        page.goto("/access/people/")

        cards = page.locator("[data-person-card]")
        expect(cards.first).to_be_visible()
        expiring = page.locator("[data-person-card]", has_text="Eli Expiring")
        expect(expiring.locator(".badge")).to_have_text("Eligible")
        expect(expiring.locator("[data-next-expiry]")).to_have_text(
            re.compile(r"Next expiry: \d+ \w+ \d{4}")
        )
        expect(page.locator("table[data-people=list]")).to_be_hidden()
        _no_sideways_scrolling(page)
        page.screenshot(path=str(SCREENSHOT_DIR / "portal-people-390.png"), full_page=True)
    finally:
        page.context.close()
