"""The application package in the browser (issue 9): a researcher drafts an application,
leaves a section mid-way and finds the text saved, adds a specimen line and a team member
(who accepts), uploads documents, submits and downloads the PDF; the PRAB chair returns it
with a comment; the researcher fixes it and resubmits; the chair accepts it into review."""

import re

from playwright.sync_api import Browser, Page, expect

from applications.demo import demo_pdf
from applications.models import Application
from applications.sections import sections_from_data
from applications.services import application_section_save
from tests.browser.conftest import (
    TIMEOUT_MS,
    assert_accessible,
    check_unchecked_pages,
    sign_in_as,
    track_pages,
)

TITLE = "Sleep and inflammation in shift workers"


def _new_page(browser: Browser, live_server) -> Page:
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900}, accept_downloads=True
    )
    context.set_default_timeout(TIMEOUT_MS)
    return track_pages(context.new_page())


def _press(page: Page, name: str | re.Pattern[str]) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name=name).first.click()


def _write_other_sections(application: Application) -> None:
    """Every required section but the abstract, as if written over earlier visits."""
    for spec in sections_from_data(application.template_version.sections):
        if spec.shown_when is None and spec.key != "abstract":
            application_section_save(
                application=application,
                key=spec.key,
                text=f"{spec.title}: written earlier.",
                base_revision=0,
                actor=application.applicant,
            )


def _draft(page: Page) -> Application:
    page.goto("/applications/")
    assert_accessible(page)
    page.get_by_label("Title").fill(TITLE)
    _press(page, "Start the application")
    expect(page.get_by_role("heading", level=1)).to_contain_text(TITLE)
    assert_accessible(page)
    application = Application.objects.get(title=TITLE)

    # A section typed and left before pressing Save is there when she comes back.
    page.get_by_role("link", name="Abstract", exact=True).click()
    assert_accessible(page)
    page.get_by_label("Your answer").fill("Night shifts disturb sleep; we ask what that does.")
    page.get_by_role("link", name="Back to the application").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(TITLE)
    page.get_by_role("link", name="Abstract", exact=True).click()
    expect(page.get_by_label("Your answer")).to_have_value(
        "Night shifts disturb sleep; we ask what that does."
    )
    _write_other_sections(application)

    page.goto(f"/applications/{application.pk}/details/")
    assert_accessible(page)
    page.get_by_label("Plain-language summary").fill("How night work changes sleep and blood.")
    page.get_by_label("Public", exact=True).check()
    page.get_by_label("Secured").check()
    page.locator("#id_recontact_requested_1").check()  # No
    page.get_by_label(re.compile("immortalized cell lines")).check()
    page.get_by_label(re.compile("processing fee schedule")).check()
    _press(page, "Save the details")
    return application


def _specimen_line(page: Page, application: Application) -> None:
    """A bad volume is refused with what was typed kept; then the line is added."""
    page.goto(f"/applications/{application.pk}/lines/")
    page.locator("#id_specimen_type").select_option("serum")
    page.locator("#id_volume_per_aliquot").fill("0")
    page.locator("#id_unit").select_option("ml")
    page.locator("#id_aliquots_per_participant").fill("2")
    page.locator("#id_participants").fill("300")
    page.locator("#id_justification").fill("Serum for the cytokine panel.")
    _press(page, "Add the line")
    expect(page.locator("[data-error-summary]")).to_contain_text("greater than zero")
    assert_accessible(page)
    expect(page.locator("#id_justification")).to_have_value("Serum for the cytokine panel.")
    page.locator("#id_volume_per_aliquot").fill("0.5")
    _press(page, "Add the line")
    expect(page.locator("[data-totals]")).to_contain_text("Serum: 300")
    assert_accessible(page)


def _team(page: Page, other: Page, application: Application, tomas) -> None:
    """Tomas is invited, and accepts in his own browser."""
    page.goto(f"/applications/{application.pk}/team/")
    page.get_by_label("Their sign-in email address").fill(tomas.email)
    _press(page, "Send the invitation")
    assert_accessible(page)
    sign_in_as(other, tomas)
    other.goto("/applications/")
    assert_accessible(other)
    _press(other, re.compile("^Accept"))
    expect(other.locator(".alert-success")).to_contain_text("You joined the team")


def _uploads(page: Page, application: Application, people: dict[str, int], folder) -> None:
    page.goto(f"/applications/{application.pk}/uploads/")
    for kind, person, name in [
        ("funding_proof", "", "award"),
        ("cv", str(people["rosa"]), "rosa-cv"),
        ("cv", str(people["tomas"]), "tomas-cv"),
    ]:
        path = folder / f"{name}.pdf"
        path.write_bytes(demo_pdf(name))
        page.get_by_label("What is it?").select_option(kind)
        page.get_by_label("Whose CV or biosketch").select_option(person)
        page.get_by_label("File").set_input_files(str(path))
        _press(page, "Upload")
    expect(page.locator("[data-upload]")).to_have_count(3)
    assert_accessible(page)


def _submit_and_download(page: Page, application: Application) -> None:
    page.goto(f"/applications/{application.pk}/")
    expect(page.locator("[data-problems]")).to_have_count(0)
    _press(page, f"Submit {application.reference}")
    expect(page.locator(".alert-success")).to_contain_text("was submitted")
    assert_accessible(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the whole package as a PDF").click()
    assert download.value.suggested_filename == f"{application.reference}.pdf"


def test_a_researcher_drafts_submits_and_the_chair_screens(
    page: Page, browser: Browser, live_server, demo_users, tmp_path
):
    rosa = demo_users["researcher@demo.example.org"]
    tomas = demo_users["teammember@demo.example.org"]
    chair = demo_users["prab.chair@demo.example.org"]
    sign_in_as(page, rosa)
    application = _draft(page)
    _specimen_line(page, application)
    other = _new_page(browser, live_server)
    _team(page, other, application, tomas)
    check_unchecked_pages(other)
    other.context.close()
    _uploads(page, application, {"rosa": rosa.pk, "tomas": tomas.pk}, tmp_path)
    _submit_and_download(page, application)

    # The chair returns it with a comment.
    staff = _new_page(browser, live_server)
    sign_in_as(staff, chair)
    staff.goto("/applications/screening/")
    assert_accessible(staff)
    staff.get_by_role("link", name=application.reference).click()
    _press(staff, "Start screening")
    assert_accessible(staff)
    staff.get_by_label("Comments").fill("Give the effect size in the power section.")
    _press(staff, "Return as incomplete")
    expect(staff.locator(".alert-success")).to_contain_text("returned")

    # The researcher sees why, fixes the section and resubmits.
    page.goto(f"/applications/{application.pk}/")
    expect(page.locator("#screening-comments")).to_contain_text("effect size")
    assert_accessible(page)
    page.get_by_role("link", name="Statistical power", exact=True).click()
    page.get_by_label("Your answer").fill("80% power for an effect size of 0.3.")
    _press(page, "Save")
    _press(page, f"Submit {application.reference}")
    expect(page.locator("[data-submission]")).to_have_count(2)

    # The chair accepts it into review.
    staff.goto(f"/applications/{application.pk}/")
    _press(staff, "Start screening")
    _press(staff, "Accept into review")
    application.refresh_from_db()
    assert application.status == Application.Status.IN_REVIEW
    check_unchecked_pages(staff)
    staff.context.close()
