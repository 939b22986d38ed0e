"""A researcher signs in through the login page with their second factor."""

import re

from django.conf import settings
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import SCREENSHOT_DIR, fresh_totp_code

RESEARCHER = "researcher@demo.example.org"


def sign_in_button(page: Page) -> Locator:
    return page.get_by_role("button", name=re.compile(r"^sign in$", re.IGNORECASE))


def test_researcher_signs_in_with_password_and_authenticator_code_and_sees_their_dashboard(
    page: Page, console_errors: list[str], demo_users
):
    # The demo researcher's access requirements (policy 2.1) are current; one who is not
    # eligible is sent to the requirements page instead of the dashboard.
    researcher = demo_users[RESEARCHER]

    page.goto("/")
    page.get_by_role("link", name="Sign in").first.click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))

    page.locator("input[name=login]").fill(RESEARCHER)
    page.locator("input[name=password]").fill(settings.DEMO_PASSWORD)
    sign_in_button(page).click()

    # Second step: the code from the authenticator app.
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/"))
    page.locator("input[name=code]").fill(fresh_totp_code(researcher))
    sign_in_button(page).click()

    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text("Researcher dashboard")
    expect(page.get_by_text("Successfully signed in as Rosa Researcher.")).to_be_visible()
    expect(page.get_by_role("link", name="Notifications")).to_be_visible()
    page.screenshot(path=str(SCREENSHOT_DIR / "portal-researcher-dashboard.png"), full_page=True)

    # Bootstrap's stylesheet arrived (served by the portal, allowed by its CSP): without it
    # the body falls back to the browser's serif font.
    font = page.evaluate("getComputedStyle(document.body).fontFamily")
    assert "system-ui" in font
    assert console_errors == []


def test_a_wrong_authenticator_code_keeps_the_researcher_out(page: Page, demo_users):
    page.goto("/accounts/login/")
    page.locator("input[name=login]").fill(RESEARCHER)
    page.locator("input[name=password]").fill(settings.DEMO_PASSWORD)
    sign_in_button(page).click()
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/"))

    right = fresh_totp_code(demo_users[RESEARCHER])
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    page.locator("input[name=code]").fill(wrong)
    sign_in_button(page).click()

    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/"))
    expect(page.locator("[data-error-summary]")).to_contain_text(re.compile("incorrect code", re.I))
    # The password alone opens nothing: the dashboard still asks for the code.
    page.goto("/dashboard/")
    expect(page).to_have_url(re.compile(r"/accounts/(login|2fa/authenticate)/"))
    expect(page.get_by_role("link", name="Notifications")).to_have_count(0)
