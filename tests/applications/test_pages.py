"""The package's pages as their users meet them: what they show, what bad input gets, and a
fixed number of queries whatever the number of applications."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from applications.models import Application, SectionAnswer
from applications.services import application_start, application_submit
from portal.roles import Role
from tests.applications.conftest import complete
from tests.factories import UserFactory, make_eligible

pytestmark = pytest.mark.django_db


def test_the_researcher_starts_an_application_from_the_list(client, eligible_researcher):
    client.force_login(eligible_researcher)
    response = client.post(reverse("applications:new"), {"title": "Sleep and inflammation"})

    application = Application.objects.get(applicant=eligible_researcher)
    assert response.url == reverse("applications:detail", args=[application.pk])
    page = client.get(response.url).content.decode()
    assert "Sleep and inflammation" in page
    assert "Write the section “Abstract”." in page


def test_a_blank_title_is_refused_with_the_form_shown_again(client, eligible_researcher):
    client.force_login(eligible_researcher)
    response = client.post(reverse("applications:new"), {"title": " "})
    assert response.status_code == 400
    assert "data-error-summary" in response.content.decode()
    assert not Application.objects.exists()


def test_the_section_page_saves_by_form_and_by_autosave(client, draft):
    client.force_login(draft.applicant)
    url = reverse("applications:section", args=[draft.pk, "aims"])

    saved = client.post(url, {"text": "Aim 1.", "base_revision": 0}, headers={"X-Autosave": "1"})
    assert saved.json()["revision"] == 1

    clash = client.post(url, {"text": "Aim A.", "base_revision": 0}, headers={"X-Autosave": "1"})
    assert clash.status_code == 409
    assert clash.json()["theirs"] == "Aim 1."

    page = client.post(url, {"text": "Aim A.", "base_revision": 0})
    html = page.content.decode()
    assert page.status_code == 409
    assert "Aim 1." in html  # theirs, shown
    assert "Aim A." in html  # yours, kept in the box
    assert 'name="base_revision" value="1"' in html
    assert SectionAnswer.objects.get(application=draft, key="aims").text == "Aim 1."


def test_someone_elses_application_is_404_for_every_page_and_forged_post(client, draft):
    other = make_eligible(UserFactory(roles=[Role.RESEARCHER], two_factor=True))
    client.force_login(other)
    for name, args in [
        ("applications:detail", [draft.pk]),
        ("applications:details", [draft.pk]),
        ("applications:section", [draft.pk, "aims"]),
        ("applications:lines", [draft.pk]),
        ("applications:team", [draft.pk]),
    ]:
        assert client.get(reverse(name, args=args)).status_code == 404
    forged = client.post(
        reverse("applications:section", args=[draft.pk, "aims"]),
        {"text": "Mine now", "base_revision": 0},
    )
    assert forged.status_code == 404
    assert client.post(reverse("applications:submit", args=[draft.pk])).status_code == 404
    assert not SectionAnswer.objects.filter(application=draft).exists()


def test_a_submitted_application_shows_read_only_pages_and_refuses_edits(client, complete_draft):
    application_submit(application=complete_draft, actor=complete_draft.applicant)
    client.force_login(complete_draft.applicant)
    url = reverse("applications:section", args=[complete_draft.pk, "aims"])

    page = client.get(url).content.decode()
    assert "read-only" in page
    assert "data-autosave" not in page
    response = client.post(url, {"text": "late change", "base_revision": 1})
    assert "can no longer be changed" in response.content.decode()
    assert SectionAnswer.objects.get(application=complete_draft, key="aims").text != "late change"


def test_a_bad_specimen_line_keeps_what_was_typed(client, draft):
    client.force_login(draft.applicant)
    response = client.post(
        reverse("applications:lines", args=[draft.pk]),
        {
            "specimen_type": "serum",
            "volume_per_aliquot": "0",
            "unit": "ml",
            "aliquots_per_participant": "2",
            "participants": "100",
            "justification": "Serum for the cytokine panel.",
            "qc_samples": "0",
        },
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "greater than zero" in html
    assert "Serum for the cytokine panel." in html


def test_inviting_an_address_with_no_account_says_to_invite_them_to_sign_up(client, draft):
    client.force_login(draft.applicant)
    response = client.post(
        reverse("applications:team", args=[draft.pk]), {"email": "new@example.org"}
    )
    assert response.status_code == 400
    assert "sign up" in response.content.decode()
    assert 'value="new@example.org"' in response.content.decode()


def test_submitting_an_incomplete_package_lists_every_problem_with_links(client, draft):
    client.force_login(draft.applicant)
    response = client.post(reverse("applications:submit", args=[draft.pk]), follow=True)
    html = response.content.decode()
    assert "cannot be submitted yet" in html
    assert reverse("applications:section", args=[draft.pk, "abstract"]) in html
    assert reverse("applications:lines", args=[draft.pk]) in html


def _applications(count: int, applicant) -> None:
    """`count` drafts shaped as `application_start` leaves them (written in bulk)."""
    first = application_start(actor=applicant, title="Study 0")
    Application.objects.bulk_create(
        Application(
            reference=f"BSA-TEST-{n:05d}",
            applicant=applicant,
            template_version=first.template_version,
            title=f"Study {n}",
        )
        for n in range(1, count)
    )


@pytest.mark.parametrize("many", [5, 500])
def test_the_researchers_list_costs_the_same_queries_for_few_and_many(
    client, eligible_researcher, many
):
    _applications(many, eligible_researcher)
    client.force_login(eligible_researcher)
    client.get(reverse("applications:list"))
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("applications:list"))
    assert response.content.decode().count("data-application=") == many
    assert len(queries) == LIST_QUERIES, [q["sql"][:120] for q in queries.captured_queries]


LIST_QUERIES = 3  # the session's user, the applications, the invitations


@pytest.mark.parametrize("many", [5, 500])
def test_the_screening_queue_costs_the_same_queries_for_few_and_many(
    client, eligible_researcher, prab_chair, many
):
    application = complete(application_start(actor=eligible_researcher, title="First"))
    application_submit(application=application, actor=eligible_researcher)
    application.refresh_from_db()
    # The rest are copies in the submitted state (the queue reads only the row).
    for n in range(many - 1):
        Application.objects.create(
            reference=f"BSA-TEST-{n:05d}",
            applicant=eligible_researcher,
            template_version=application.template_version,
            title=f"Copy {n}",
            status=Application.Status.SUBMITTED,
            submitted_at=application.submitted_at,
        )
    client.force_login(prab_chair)
    client.get(reverse("applications:queue"))
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("applications:queue"))
    assert response.content.decode().count("data-queue-row=") == min(many, 50)
    assert len(queries) == QUEUE_QUERIES


QUEUE_QUERIES = 2  # the session's user and the page (the bounded count is kept 30 s)


def test_the_chair_returns_an_application_with_comments_and_a_short_comment_is_kept(
    client, complete_draft, prab_chair
):
    application_submit(application=complete_draft, actor=complete_draft.applicant)
    client.force_login(prab_chair)
    client.post(reverse("applications:screen", args=[complete_draft.pk]))
    short = client.post(
        reverse("applications:return", args=[complete_draft.pk]), {"comments": "too"}
    )
    assert short.status_code == 400
    assert "too</textarea>" in short.content.decode()

    client.post(
        reverse("applications:return", args=[complete_draft.pk]),
        {"comments": "Please add the power analysis."},
    )
    complete_draft.refresh_from_db()
    assert complete_draft.status == Application.Status.RETURNED

    client.force_login(complete_draft.applicant)
    page = client.get(reverse("applications:detail", args=[complete_draft.pk])).content.decode()
    assert "Please add the power analysis." in page


def test_the_researcher_dashboard_lists_applications_with_status_and_next_action(client, draft):
    client.force_login(draft.applicant)
    html = client.get(reverse("role-dashboard", args=["researcher"])).content.decode()
    panel = html[html.index('data-panel="applications"') :]
    assert draft.reference in panel
    assert "Complete and submit" in panel


def test_the_chair_dashboard_counts_what_waits_for_screening(client, complete_draft, prab_chair):
    application_submit(application=complete_draft, actor=complete_draft.applicant)
    client.force_login(prab_chair)
    html = client.get(reverse("role-dashboard", args=["prab_chair"])).content.decode()
    assert "1 application waiting to be screened" in html
    assert reverse("applications:queue") in html


@pytest.mark.pdf
def test_the_package_pdf_holds_every_part_as_submitted_with_its_hash(client, complete_draft):
    import io

    from pypdf import PdfReader

    submission = application_submit(application=complete_draft, actor=complete_draft.applicant)
    client.force_login(complete_draft.applicant)
    response = client.get(reverse("applications:pdf", args=[complete_draft.pk]))

    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    flat = " ".join(text.split())
    assert complete_draft.reference in flat
    assert "Answer to Research aims." in flat
    assert "Requested biospecimens" in flat
    assert submission.sha256[:16] in flat.replace(" ", "")


def test_the_pdf_is_404_for_someone_not_on_the_application(client, complete_draft):
    other = UserFactory(roles=[Role.RESEARCHER], two_factor=True)
    client.force_login(other)
    assert client.get(reverse("applications:pdf", args=[complete_draft.pk])).status_code == 404


def test_the_list_and_invitations_are_compiled_once_and_read_what_the_orm_reads(draft, monkeypatch):
    from applications import selectors
    from applications.services import team_invite
    from portal.prepared import _CACHE, forget_prepared

    colleague = UserFactory(roles=[Role.RESEARCHER], two_factor=True)
    mine = application_start(actor=colleague, title="Colleague's own")
    team_invite(application=draft, email=colleague.email, role_on_project="", actor=draft.applicant)
    forget_prepared()

    prepared = (selectors.my_applications(colleague), selectors.invitations_for(colleague))
    assert _CACHE[("default", "my-applications")] is not None
    assert _CACHE[("default", "invitations")] is not None
    monkeypatch.setattr(
        selectors, "prepared_rows", lambda shape, build, values: list(build(values))
    )
    by_orm = (selectors.my_applications(colleague), selectors.invitations_for(colleague))

    assert prepared == by_orm
    assert {a.pk for a in prepared[0]} == {mine.pk, draft.pk}
    assert [i.reference for i in prepared[1]] == [draft.reference]


def test_the_list_queries_compile_for_sqlite_too(eligible_researcher, monkeypatch):
    """`make run` serves the portal on SQLite, which refuses an order inside a UNION's parts."""
    from django.db import connection as default
    from django.db.backends.sqlite3.base import DatabaseWrapper

    from applications import selectors

    sqlite = DatabaseWrapper(
        {**default.settings_dict, "ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"},
        alias="sqlite-check",
    )
    compiled: list[str] = []

    def compile_for_sqlite(shape, build, values):
        compiled.append(build(values).query.get_compiler(connection=sqlite).as_sql()[0])
        return list(build(values))

    monkeypatch.setattr(selectors, "prepared_rows", compile_for_sqlite)
    selectors.my_applications(eligible_researcher)
    selectors.invitations_for(eligible_researcher)
    assert len(compiled) == 2
    assert "UNION" in compiled[0]
