"""A new researcher onboards in the browser until eligible, then is asked to renew (2.1)."""

import io
import re
import time
from datetime import timedelta

import pytest
import time_machine
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.contrib.auth.models import Group
from django.core import mail
from django.utils import timezone
from playwright.sync_api import Page, expect

from portal.models import User
from portal.onboarding.roster_files import CsvRosterSource
from portal.onboarding.selectors import program_today
from portal.onboarding.services.conduct import ensure_default_code_of_conduct
from portal.onboarding.services.roster import roster_import
from portal.roles import Role
from tests.browser.conftest import SCREENSHOT_DIR

EMAIL = "grace.hopper@university.example.edu"
PASSWORD = "a-long-and-unusual-pass-phrase-17"
FULL_NAME = "Grace Brewster Hopper"


@pytest.fixture
def published_code_of_conduct(transactional_db):
    # A live-server test flushes every table at its end, the role groups among them.
    for role in Role:
        Group.objects.get_or_create(name=role.value)
    return ensure_default_code_of_conduct()


def totp_code(secret: str) -> str:
    """The current code, never one about to expire: allauth accepts the current 30-second
    window only, so a code read in a window's last seconds would be refused on a busy
    machine by the time the page is submitted."""
    now = timezone.now().timestamp()
    if now % 30 > 25:
        time.sleep(30 - now % 30 + 0.5)
        now = timezone.now().timestamp()
    return format_hotp_value(hotp_value(secret, int(now) // 30))


def submit(page: Page, name: str | re.Pattern[str]) -> None:
    """Press a form's button and wait for the page the server answers with."""
    with page.expect_navigation():
        page.get_by_role("button", name=name).first.click()


def sign_in(page: Page, secret: str) -> None:
    page.goto("/accounts/login/")
    page.locator("input[name=login]").fill(EMAIL)
    page.locator("input[name=password]").fill(PASSWORD)
    submit(page, re.compile(r"^sign in$", re.IGNORECASE))
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/"))
    page.locator("input[name=code]").fill(totp_code(secret))
    submit(page, re.compile(r"^sign in$", re.IGNORECASE))


def requirement_row(page: Page, label: str):
    return page.locator("tr", has_text=label)


def sign_up_and_confirm_the_email(page: Page) -> None:
    page.goto("/accounts/signup/")
    page.locator("input[name=email]").fill(EMAIL)
    page.locator("input[name=full_name]").fill(FULL_NAME)
    page.locator("input[name=password1]").fill(PASSWORD)
    page.locator("input[name=password2]").fill(PASSWORD)
    submit(page, re.compile(r"create|sign up", re.IGNORECASE))
    expect(page).to_have_url(re.compile(r"/accounts/confirm-email/"))
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", mail.outbox[-1].body)
    assert link is not None
    page.goto("/accounts/confirm-email/" + link.group(0).split("/accounts/confirm-email/")[1])
    submit(page, re.compile(r"confirm", re.IGNORECASE))


def turn_on_two_factor(page: Page) -> str:
    """Turn on two-factor authentication (the password is asked again first); the secret."""
    page.goto("/accounts/2fa/totp/activate/")
    if "/accounts/reauthenticate/" in page.url:
        page.locator("input[name=password]").fill(PASSWORD)
        submit(page, re.compile(r"confirm|continue|re-?authenticate", re.IGNORECASE))
    secret = page.locator("code.totp-secret").inner_text().strip()
    page.locator("input[name=code]").fill(totp_code(secret))
    submit(page, re.compile(r"activate|turn on|confirm", re.IGNORECASE))
    expect(page).to_have_url(re.compile(r"/accounts/2fa/recovery-codes/"))
    return secret


def import_a_roster_listing_them() -> None:
    """The program imports the Workbench's Controlled Tier roster, which lists them."""
    roster = (
        "email,workbench_username,access_expires_on\n"
        f"{EMAIL},ghopper,{program_today() + timedelta(days=500)}\n"
    ).encode()
    roster_import(source=CsvRosterSource(io.BytesIO(roster), name="roster.csv"), actor=None)


def give_both_consents(page: Page) -> None:
    for _ in range(2):
        page.goto("/access/consents/")
        page.locator("input[name$=agree]").first.check()
        submit(page, re.compile(r"^Give this consent"))
        # Back on the requirements page, told what was done and what comes next.
        expect(page).to_have_url(re.compile(r"/access/$"))
        expect(page.locator(".messages")).to_contain_text("Consent recorded")
    page.goto("/access/consents/")
    expect(page.get_by_role("button", name=re.compile(r"^Give this consent"))).to_have_count(0)


def fill_in_the_profile_and_confirm_it(page: Page) -> None:
    page.goto("/access/profile/")
    page.locator("input[name=full_name]").fill(FULL_NAME)
    page.locator("input[name=institution]").fill("Yale University")
    page.locator("textarea[name=research_purposes]").fill(
        "Measuring inflammation markers in stored plasma to predict diabetes earlier."
    )
    page.locator("input[name=orcid]").fill("0000-0002-1825-0097")
    submit(page, re.compile(r"^save", re.IGNORECASE))
    page.goto("/access/profile/review/")
    page.locator("input[name=attest]").check()
    submit(page, "Confirm my profile")


def sign_the_code_of_conduct(page: Page) -> None:
    """Read the whole text, initial, type the name and re-enter the password."""
    page.goto("/access/code-of-conduct/")
    page.locator("#coc-text").evaluate("el => el.scrollTo(0, el.scrollHeight)")
    page.locator("#id_has_read").check()
    for box in page.locator("input[name^=initials_]").all():
        box.fill("GBH")
    page.locator("input[name=printed_name]").fill(FULL_NAME)
    page.locator("input[name=password]").fill(PASSWORD)
    submit(page, re.compile(r"^sign", re.IGNORECASE))


def download_the_signed_copy(page: Page) -> bytes:
    page.goto("/access/code-of-conduct/history/")
    expect(page.get_by_text("Verified", exact=True)).to_be_visible()
    with page.expect_download() as download_info:
        page.get_by_role("link", name=re.compile(r"download", re.IGNORECASE)).first.click()
    download = download_info.value
    assert download.suggested_filename.endswith(".pdf")
    with open(download.path(), "rb") as signed_copy:
        return signed_copy.read()


@pytest.mark.pdf
def test_new_researcher_onboards_until_eligible_and_is_asked_to_renew_a_year_later(
    page: Page, console_errors: list[str], published_code_of_conduct
):
    start = timezone.now()
    with time_machine.travel(start, tick=True) as clock:
        sign_up_and_confirm_the_email(page)

        # Until eligible, the requirements page is the researcher's home.
        page.goto("/dashboard/")
        expect(page).to_have_url(re.compile(r"/access/$"))
        expect(page.get_by_role("heading", level=1)).to_contain_text(
            re.compile("requirement", re.I)
        )

        secret = turn_on_two_factor(page)
        import_a_roster_listing_them()
        page.goto("/access/")
        expect(requirement_row(page, "Controlled Tier authorization")).to_contain_text("Complete")
        expect(requirement_row(page, "Two-factor authentication")).to_contain_text("Complete")

        # Both consents, each given separately; the profile, then the annual review.
        give_both_consents(page)
        fill_in_the_profile_and_confirm_it(page)
        sign_the_code_of_conduct(page)

        # The signed copy downloads as a PDF (rendered by WeasyPrint: marked `pdf`).
        assert download_the_signed_copy(page)[:5] == b"%PDF-"

        # Eligible now: the requirements page says so and the dashboard opens.
        page.goto("/access/")
        expect(
            page.get_by_text(re.compile(r"You are eligible", re.IGNORECASE)).first
        ).to_be_visible()
        page.screenshot(path=str(SCREENSHOT_DIR / "portal-onboarded.png"), full_page=True)
        page.goto("/dashboard/")
        expect(page.get_by_role("heading", level=1)).to_have_text("Researcher dashboard")
        user = User.objects.get(email=EMAIL)
        assert user.coc_signatures.count() == 1

        # 350 days later the session has long ended; after signing in, a banner asks them
        # to renew before the Code of Conduct signature and the profile review lapse.
        clock.move_to(start + timedelta(days=350))
        sign_in(page, secret)
        banner = page.locator(".access-banner, [data-access-banner]").first
        expect(banner).to_be_visible()
        expect(banner).to_contain_text(re.compile(r"renew", re.IGNORECASE))
        page.screenshot(path=str(SCREENSHOT_DIR / "portal-renew-banner.png"), full_page=True)
    assert console_errors == []
