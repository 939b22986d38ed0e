"""Board review in the browser (issue 10), on the demo data `make run` loads:

1. The chair assigns three reviewers; each declares no conflict and scores; the chair sends
   a question to the RAB, a RAB member answers, the chair records approval at a meeting;
   the researcher sees the outcome.
2. The chair schedules a meeting and records a denial; the researcher appeals with a
   document; the RAB returns it for a new review.
3. The chair records a conditional approval of the AI/AN request at its ad hoc meeting; the
   researcher uploads the proof of funding; biobank staff accept it.
"""

import re

from playwright.sync_api import Browser, Page, expect

from applications.demo import demo_pdf
from applications.models import Application
from review.criteria import CRITERIA
from review.models import Assignment, Escalation, Meeting
from tests.browser.conftest import (
    TIMEOUT_MS,
    assert_accessible,
    check_unchecked_pages,
    sign_in_as,
    track_pages,
)

CHAIR = "prab.chair@demo.example.org"
RESEARCHER = "researcher@demo.example.org"
REVIEWERS = [
    "prab.member@demo.example.org",
    "prab.elsi@demo.example.org",
    "prab.participant@demo.example.org",
]


def _as(browser: Browser, live_server, user) -> Page:
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900}, accept_downloads=True
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = track_pages(context.new_page())
    sign_in_as(page, user)
    return page


def _done(page: Page) -> None:
    check_unchecked_pages(page)
    page.context.close()


def _press(page: Page, name: str | re.Pattern[str]) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name=name).first.click()


def _ok(page: Page, text: str) -> None:
    expect(page.locator(".alert-success")).to_contain_text(text)


def _assign(chair: Page, application: Application, users) -> None:
    chair.goto("/review/")
    assert_accessible(chair)
    expect(chair.locator(f'[data-queue-row="{application.pk}"]')).to_be_visible()
    chair.get_by_role("link", name=application.reference).click()
    assert_accessible(chair)
    chair.get_by_role("link", name="Assign reviewers").click()
    assert_accessible(chair)
    # One reviewer is not enough: the page says what is missing and keeps the choice.
    chair.get_by_label(str(users[REVIEWERS[0]])).check()
    _press(chair, "Assign")
    expect(chair.locator(".alert-danger").first).to_be_visible()
    expect(chair.get_by_label(str(users[REVIEWERS[0]]))).to_be_checked()
    assert_accessible(chair)
    for email in REVIEWERS[1:]:
        chair.get_by_label(str(users[email])).check()
    _press(chair, "Assign")
    _ok(chair, "3 reviewers assigned")


def _review(browser: Browser, live_server, users, application: Application) -> None:
    for number, email in enumerate(REVIEWERS):
        page = _as(browser, live_server, users[email])
        page.goto("/review/assignments/")
        assert_accessible(page)
        page.locator("[data-assignment]", has_text=application.reference).get_by_role(
            "link", name="Declare any conflict of interest"
        ).click()
        expect(page.get_by_role("heading", level=1)).to_contain_text(application.reference)
        assert_accessible(page)
        page.get_by_label("No, I have no conflict").check()
        _press(page, "Record my declaration")
        assert_accessible(page)
        for criterion in CRITERIA:
            page.locator(f"#id_score_{criterion.key}").select_option(str(2 + number))
            page.locator(f"#id_comment_{criterion.key}").fill(f"{criterion.title}: sound.")
        page.locator("#id_overall").select_option(str(2 + number))
        page.locator("#id_recommendation").select_option("approve")
        page.locator("#id_comments_for_applicant").fill(f"Reviewer {number + 1}: well argued.")
        page.locator("#id_confidential_comments").fill("Confidential: known lab.")
        _press(page, "Submit score sheet")
        _ok(page, "Score sheet submitted")
        expect(page.locator("[data-score-summary]")).to_be_visible()  # now they see the others
        assert_accessible(page)
        _done(page)


def _meeting_decision(
    chair: Page, meeting: Meeting, application: Application, outcome: str, votes: int, **text
) -> None:
    chair.goto(f"/review/meetings/{meeting.pk}/")
    assert_accessible(chair)
    chair.get_by_label("Application").select_option(str(application.pk))
    _press(chair, "Add to the agenda")
    chair.locator(f'[data-agenda-item="{application.pk}"]').get_by_role(
        "link", name="Record the board's decision"
    ).click()
    assert_accessible(chair)
    chair.get_by_label(outcome, exact=True).check()
    chair.get_by_label("Votes for").fill(str(votes))
    chair.get_by_label("Against").fill("0")
    chair.get_by_label("Abstentions").fill("0")
    for label, value in text.items():
        chair.get_by_label(label).fill(value)
    _press(chair, "Record the decision")
    _ok(chair, "The applicant is told")


def test_reviewers_score_the_rab_answers_and_the_board_approves(
    page: Page, browser: Browser, live_server, demo_users
):
    users = demo_users
    application = Application.objects.get(title="Sleep apnea and circulating microRNA")
    sign_in_as(page, users[CHAIR])
    _assign(page, application, users)
    _review(browser, live_server, users, application)

    # The chair reads the scores and asks the RAB a question.
    page.goto(f"/review/applications/{application.pk}/scores/")
    expect(page.locator("[data-score-summary]")).to_contain_text("Overall impact")
    assert_accessible(page)
    page.goto(f"/review/applications/{application.pk}/")
    expect(page.locator("[data-stage]")).to_have_text("Ready for decision")
    page.get_by_label("Question for the RAB").fill("Does the sequencing vendor need RAB review?")
    _press(page, "Send to the RAB")
    _ok(page, "went to the RAB")

    rab = _as(browser, live_server, users["rab.member@demo.example.org"])
    rab.goto("/review/rab/")
    assert_accessible(rab)
    rab.get_by_role("link", name=re.compile(application.reference)).click()
    assert_accessible(rab)
    rab.get_by_label("The RAB's determination").fill("No: the vendor receives no specimens.")
    _press(rab, "Record the determination")
    _ok(rab, "determination is recorded")
    _done(rab)
    assert not Escalation.objects.filter(application=application, answered_at__isnull=True).exists()

    meeting = Meeting.objects.get(title="PRAB regular meeting, November")
    _meeting_decision(
        page,
        meeting,
        application,
        "Approved",
        5,
        **{"Comments for the applicant": "Congratulations."},
    )
    application.refresh_from_db()
    assert application.status == Application.Status.APPROVED
    with page.expect_download() as download:
        page.goto(f"/review/meetings/{meeting.pk}/")
        page.get_by_role("link", name="Download the minutes (PDF)").click()
    assert download.value.suggested_filename.endswith(".pdf")

    # The board's other pages: the discussion, the members, the volumes, what changed.
    page.goto(f"/review/applications/{application.pk}/discussion/")
    page.get_by_label("Your message").fill("Approved unanimously; thank you all.")
    _press(page, "Post")
    expect(page.locator("[data-discussion]")).to_contain_text("Approved unanimously")
    assert_accessible(page)
    for path in (
        "/review/board/",
        "/review/stock/",
        f"/review/applications/{application.pk}/changes/",
    ):
        page.goto(path)
        assert_accessible(page)

    researcher = _as(browser, live_server, users[RESEARCHER])
    researcher.goto(f"/applications/{application.pk}/")
    outcome = researcher.locator("[data-board-outcome]")
    expect(outcome).to_contain_text("Approved")
    expect(outcome).to_contain_text("Congratulations.")
    expect(outcome).to_contain_text("Reviewer 1: well argued.")
    expect(outcome).not_to_contain_text("Confidential")
    assert_accessible(researcher)
    _done(researcher)


def test_a_denial_is_appealed_and_the_rab_returns_it_for_a_new_review(
    page: Page, browser: Browser, live_server, demo_users, tmp_path
):
    users = demo_users
    application = Application.objects.get(title="Serum lipids and cognitive decline")
    sign_in_as(page, users[CHAIR])
    page.goto("/review/meetings/")
    assert_accessible(page)
    page.get_by_label("Title").fill("PRAB regular meeting, December")
    page.get_by_label("Regular").check()
    page.get_by_label("Starts at").fill("2026-12-10T14:00")
    _press(page, "Schedule")
    _ok(page, "scheduled")
    meeting = Meeting.objects.get(title="PRAB regular meeting, December")
    for email in [CHAIR, *REVIEWERS]:
        page.get_by_label(str(users[email]), exact=True).check()
    _press(page, "Record attendance")
    _ok(page, "Attendance recorded: 4 present")
    _meeting_decision(
        page,
        meeting,
        application,
        "Denied",
        3,
        **{
            "Reasons for a denial": "The cognitive outcome measure is not validated in this cohort."
        },
    )

    researcher = _as(browser, live_server, users[RESEARCHER])
    researcher.goto(f"/applications/{application.pk}/")
    expect(researcher.locator("[data-board-outcome]")).to_contain_text("not validated")
    researcher.get_by_role("link", name="Appeal the denial").click()
    assert_accessible(researcher)
    letter = tmp_path / "validation.pdf"
    letter.write_bytes(demo_pdf("Validation study"))
    researcher.get_by_label("Grounds for your appeal").fill(
        "The measure was validated in this cohort in 2025; the study is attached."
    )
    researcher.get_by_label("Supporting documents").set_input_files(str(letter))
    _press(researcher, "Submit the appeal")
    _ok(researcher, "went to the Resource Access Board")

    rab = _as(browser, live_server, users["rab.member@demo.example.org"])
    rab.goto("/review/rab/")
    rab.get_by_role("link", name=re.compile(application.reference)).click()
    assert_accessible(rab)
    expect(rab.get_by_role("link", name="validation.pdf")).to_be_visible()
    rab.get_by_label(re.compile("Return to the PRAB")).check()
    rab.get_by_label("Reasons").fill("The validation study answers the board's concern.")
    _press(rab, "Record the RAB's determination")
    _ok(rab, "determination is recorded")
    _done(rab)
    application.refresh_from_db()
    assert application.status == Application.Status.IN_REVIEW

    researcher.goto(f"/applications/{application.pk}/")
    expect(researcher.locator("[data-appeal-state]")).to_contain_text("returned to the prab")
    _done(researcher)
    page.goto("/review/?stage=awaiting_assignment")
    expect(page.locator(f'[data-queue-row="{application.pk}"]')).to_be_visible()
    page.goto(f"/review/applications/{application.pk}/assign/")
    expect(page.locator(f'[data-candidate="{users[REVIEWERS[0]].pk}"]')).to_contain_text(
        "Reviewed before the appeal"
    )
    assert_accessible(page)


def test_a_conditional_approval_becomes_approval_when_the_proof_of_funding_is_accepted(
    page: Page, browser: Browser, live_server, demo_users, tmp_path
):
    users = demo_users
    application = Application.objects.get(includes_ai_an=True, status="in_review")
    meeting = Meeting.objects.get(ai_an_review=True)
    sign_in_as(page, users[CHAIR])
    page.goto(f"/review/meetings/{meeting.pk}/")
    for email in [CHAIR, *REVIEWERS, "prab.community@demo.example.org"]:
        page.get_by_label(str(users[email]), exact=True).check()
    _press(page, "Record attendance")
    page.locator(f'[data-agenda-item="{application.pk}"]').get_by_role(
        "link", name="Record the board's decision"
    ).click()
    page.get_by_label("Approved on condition of funding", exact=True).check()
    page.get_by_label("Votes for").fill("4")
    page.get_by_label("Against").fill("0")
    page.get_by_label("Abstentions").fill("1")
    _press(page, "Record the decision")
    _ok(page, "approved on condition of funding")
    assert_accessible(page)

    researcher = _as(browser, live_server, users[RESEARCHER])
    researcher.goto(f"/applications/{application.pk}/")
    expect(researcher.locator("[data-board-outcome]")).to_contain_text("proof of funding")
    researcher.get_by_role("link", name="Upload the proof of funding").click()
    award = tmp_path / "award.pdf"
    award.write_bytes(demo_pdf("Award letter"))
    researcher.get_by_label("What is it?").select_option("funding_proof")
    researcher.get_by_label("File").set_input_files(str(award))
    _press(researcher, "Upload")
    assert_accessible(researcher)

    staff = _as(browser, live_server, users["biobank@demo.example.org"])
    staff.goto("/review/stock/")
    staff.get_by_label("Specimen type").select_option("serum")
    staff.locator("#id_volume").fill("-2")
    _press(staff, "Record")
    expect(staff.locator("[data-error-summary]")).to_contain_text("cannot be negative")
    assert_accessible(staff)
    staff.locator("#id_volume").fill("250")
    _press(staff, "Record")
    _ok(staff, "Available volume recorded")
    staff.goto(f"/applications/{application.pk}/")
    assert_accessible(staff)
    _press(staff, "Accept the proof of funding")
    _ok(staff, "is approved")
    _done(staff)
    application.refresh_from_db()
    assert application.status == Application.Status.APPROVED
    researcher.goto(f"/applications/{application.pk}/")
    expect(researcher.locator("[data-board-outcome]")).to_contain_text("Proof of funding accepted")
    _done(researcher)
    assert Assignment.objects.filter(round__application=application).count() == 3
