"""The Controlled Tier roster: import through the service, the page and the command.

A roster with any bad line imports nothing and names every bad line; a good roster becomes
the current one and earlier imports stay as history; a person matches by verified email.
"""

import hashlib
import io
from datetime import date
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from portal.errors import PermissionRefused
from portal.models import AuditEvent, RosterEntry, RosterImport
from portal.onboarding.eligibility import Requirement, State
from portal.onboarding.roster_files import CsvRosterSource, RosterInvalid, RosterSource
from portal.onboarding.selectors import access_status_for
from portal.onboarding.services.roster import roster_import
from tests.factories import RosterImportFactory

FIXTURES = Path(__file__).parent / "fixtures"
GOOD = FIXTURES / "roster_good.csv"
BAD = FIXTURES / "roster_bad.csv"
BAD_LINES = [
    "line 3: email 'not-an-email' is not a valid email address",
    "line 5: email is missing",
    "line 6: access_expires_on is missing (use YYYY-MM-DD)",
    "line 7: access_expires_on '2026-13-01' is not a date (use YYYY-MM-DD)",
    "line 8: email 'grace@example.org' is listed again (first on line 4)",
    "line 9: access_expires_on '01/02/2027' is not a date (use YYYY-MM-DD)",
    "line 10: has 2 fields but the header has 3; check for a missing or extra comma",
]


def _csv(text: str, name: str = "roster.csv") -> CsvRosterSource:
    return CsvRosterSource(io.BytesIO(text.encode()), name=name)


def _problems(text: str | bytes) -> list[str]:
    content = text if isinstance(text, bytes) else text.encode()
    with pytest.raises(RosterInvalid) as caught:
        roster_import(source=CsvRosterSource(io.BytesIO(content), name="x.csv"), actor=None)
    return [str(p) for p in caught.value.problems]


class _Rows:
    """A stand-in for a live Workbench source that hands over rows, not a file."""

    name = "Researcher Workbench API"

    def __init__(self, rows: list[dict[str, str]]) -> None:
        self.rows = rows

    def read(self) -> list[dict[str, str]]:
        return self.rows


# The service


def test_a_good_roster_is_imported_and_becomes_current(program_admin):
    imported = roster_import(source=CsvRosterSource(GOOD), actor=program_admin)

    imported.refresh_from_db()
    assert imported.is_current
    assert imported.row_count == 3
    assert imported.imported_by == program_admin
    assert imported.source == "roster_good.csv"
    assert imported.sha256 == hashlib.sha256(GOOD.read_bytes()).hexdigest()
    entries = {e.email: e for e in imported.entries.all()}
    assert set(entries) == {"ada.lovelace@example.org", "grace@example.org", "rosalind@example.org"}
    assert entries["ada.lovelace@example.org"].workbench_username == "ada"
    assert entries["ada.lovelace@example.org"].access_expires_on == date(2027, 6, 30)
    assert entries["grace@example.org"].workbench_username == ""
    assert [e.action for e in AuditEvent.objects.order_by("id")] == [
        "roster.stage",
        "roster.import",
    ]
    event = AuditEvent.objects.get(action="roster.import")
    assert event.actor == program_admin
    assert event.target_id == str(imported.pk)
    assert event.after["row_count"] == 3
    assert event.before["current_import"] is None


def test_reimporting_makes_the_new_roster_current_and_keeps_the_old_one_as_history(
    program_admin,
):
    first = roster_import(source=CsvRosterSource(GOOD), actor=program_admin)

    second = roster_import(
        source=_csv("email,workbench_username,access_expires_on\nnew@example.org,,2027-01-01\n"),
        actor=None,
        drop_reason="The Workbench reissued its whole roster.",
    )

    first.refresh_from_db()
    assert not first.is_current
    assert first.entries.count() == 3
    assert second.is_current
    assert second.imported_by is None
    assert list(RosterImport.objects.filter(is_current=True)) == [second]
    assert RosterImport.objects.count() == 2
    last = AuditEvent.objects.filter(action="roster.import").order_by("-id").first()
    assert last.before == {"current_import": first.pk, "row_count": 3}
    assert last.after["current_import"] == second.pk
    assert last.after["drop_reason"] == "The Workbench reissued its whole roster."


def test_a_roster_with_several_bad_lines_imports_nothing_and_names_every_bad_line(db):
    with pytest.raises(RosterInvalid) as caught:
        roster_import(source=CsvRosterSource(BAD), actor=None)

    assert [str(p) for p in caught.value.problems] == BAD_LINES
    assert "Nothing was imported" in caught.value.message
    assert RosterImport.objects.count() == 0
    assert RosterEntry.objects.count() == 0
    assert not AuditEvent.objects.exists()


def test_a_bad_roster_leaves_the_current_roster_in_place(program_admin):
    current = roster_import(source=CsvRosterSource(GOOD), actor=program_admin)

    with pytest.raises(RosterInvalid):
        roster_import(source=CsvRosterSource(BAD), actor=program_admin)

    current.refresh_from_db()
    assert current.is_current
    assert RosterImport.objects.count() == 1
    assert RosterEntry.objects.count() == 3
    assert AuditEvent.objects.filter(action="roster.import").count() == 1


def test_a_byte_order_mark_windows_line_endings_and_blank_trailing_lines_are_tolerated(db):
    imported = roster_import(
        source=CsvRosterSource(FIXTURES / "roster_bom_crlf_trailing_blank.csv"), actor=None
    )

    assert imported.row_count == 2
    assert set(imported.entries.values_list("email", flat=True)) == {
        "ada.lovelace@example.org",
        "grace@example.org",
    }


def test_columns_may_come_in_any_order_and_the_username_column_may_be_left_out(db):
    imported = roster_import(
        source=_csv("Access_Expires_On, Email\n2027-01-01,Someone@Example.org\n"), actor=None
    )

    entry = imported.entries.get()
    assert entry.email == "someone@example.org"
    assert entry.workbench_username == ""


def test_a_header_without_the_required_columns_is_reported_on_line_1(db):
    problems = _problems("mail,expiry\na@example.org,2027-01-01\n")

    assert problems == [
        "line 1: the header lacks the columns email, access_expires_on; the first line "
        "must be the header email,workbench_username,access_expires_on"
    ]


@pytest.mark.parametrize("content", ["", "\n\n", "\ufeff"])
def test_an_empty_file_is_refused(db, content):
    problems = _problems(content)

    assert len(problems) == 1
    assert problems[0].startswith("line 1: the file is empty")


def test_a_roster_that_lists_nobody_is_refused(db):
    assert _problems("email,workbench_username,access_expires_on\n\n") == [
        "line 2: the roster lists nobody; it must list at least one user"
    ]


def test_a_blank_line_between_entries_is_a_bad_line(db):
    problems = _problems(
        "email,workbench_username,access_expires_on\n"
        "a@example.org,,2027-01-01\n"
        "\n"
        "b@example.org,,2027-01-01\n"
    )

    assert problems == ["line 3: is blank; remove blank lines between entries"]


def test_every_reason_on_one_line_is_given_together(db):
    problems = _problems("email,workbench_username,access_expires_on\nnobody,bob,tomorrow\n")

    assert problems == [
        "line 2: email 'nobody' is not a valid email address; "
        "access_expires_on 'tomorrow' is not a date (use YYYY-MM-DD)"
    ]


def test_a_line_that_is_not_utf8_is_reported_with_the_other_bad_lines(db):
    content = (
        b"email,workbench_username,access_expires_on\n"
        b"caf\xe9@example.org,,2027-01-01\n"
        b"ok@example.org,,2027-01-01\n"
        b"bad@example.org,,2027-02-30\n"
    )

    problems = _problems(content)

    assert problems == [
        "line 2: is not UTF-8 text (save the file as CSV, UTF-8 encoded, and retry)",
        "line 4: access_expires_on '2027-02-30' is not a date (use YYYY-MM-DD)",
    ]
    assert RosterImport.objects.count() == 0


def test_a_quoted_field_with_a_comma_is_read_as_one_field(db):
    imported = roster_import(
        source=_csv('email,workbench_username,access_expires_on\nq@example.org,"a,b",2027-01-01\n'),
        actor=None,
    )

    assert imported.entries.get().workbench_username == "a,b"


def test_a_source_that_hands_over_rows_is_validated_the_same_way(db):
    source = _Rows(
        [
            {
                "email": "Row@Example.org",
                "workbench_username": "row",
                "access_expires_on": "2027-01-01",
            },
            {"email": "bad", "workbench_username": "", "access_expires_on": "2027-01-01"},
            {"email": "row@example.org", "workbench_username": "", "access_expires_on": "soon"},
        ]
    )
    assert isinstance(source, RosterSource)

    with pytest.raises(RosterInvalid) as caught:
        roster_import(source=source, actor=None)
    assert [str(p) for p in caught.value.problems] == [
        "line 2: email 'bad' is not a valid email address",
        "line 3: access_expires_on 'soon' is not a date (use YYYY-MM-DD); "
        "email 'row@example.org' is listed again (first on line 1)",
    ]
    assert RosterImport.objects.count() == 0

    source.rows = source.rows[:1]
    imported = roster_import(source=source, actor=None)
    assert imported.source == "Researcher Workbench API"
    assert imported.entries.get().email == "row@example.org"


def test_only_a_program_admin_may_import_a_roster(researcher, auditor):
    for actor in (researcher, auditor):
        with pytest.raises(PermissionRefused):
            roster_import(source=CsvRosterSource(GOOD), actor=actor)

    assert RosterImport.objects.count() == 0
    assert not AuditEvent.objects.exists()


# Matching: by verified email only


def _roster_with(email: str) -> None:
    roster_import(
        source=_csv(f"email,workbench_username,access_expires_on\n{email},,2027-06-30\n"),
        actor=None,
        drop_reason="Each test roster replaces the one before.",
    )


def test_a_researcher_matches_the_roster_by_a_verified_email_in_any_case(user_factory):
    person = user_factory(email="mixed.case@example.org")
    _roster_with("Mixed.Case@EXAMPLE.org")

    status = access_status_for(person, today=date(2026, 11, 22))

    assert status.get(Requirement.CONTROLLED_TIER).state == State.COMPLETE
    assert status.get(Requirement.CONTROLLED_TIER).expires_on == date(2027, 6, 30)


def test_an_unverified_email_on_the_roster_does_not_make_the_user_eligible(user_factory):
    person = user_factory(email="login@example.org")
    EmailAddress.objects.create(user=person, email="workbench@example.org", verified=False)
    _roster_with("workbench@example.org")

    before = access_status_for(person, today=date(2026, 11, 22))
    EmailAddress.objects.filter(email="workbench@example.org").update(verified=True)
    after = access_status_for(person, today=date(2026, 11, 22))

    assert before.get(Requirement.CONTROLLED_TIER).state == State.INCOMPLETE
    assert after.get(Requirement.CONTROLLED_TIER).state == State.COMPLETE


def test_an_unverified_login_email_on_the_roster_does_not_count(user_factory):
    person = user_factory(email="fresh@example.org", verified_email=False)
    EmailAddress.objects.create(user=person, email=person.email, verified=False, primary=True)
    _roster_with("fresh@example.org")

    status = access_status_for(person, today=date(2026, 11, 22))

    assert status.get(Requirement.CONTROLLED_TIER).state == State.INCOMPLETE


def test_only_the_current_roster_counts(user_factory):
    person = user_factory(email="dropped@example.org")
    _roster_with("dropped@example.org")
    _roster_with("someone.else@example.org")

    status = access_status_for(person, today=date(2026, 11, 22))

    assert status.get(Requirement.CONTROLLED_TIER).state == State.INCOMPLETE


# The page


def _upload(path: Path) -> SimpleUploadedFile:
    return SimpleUploadedFile(path.name, path.read_bytes(), content_type="text/csv")


def test_a_program_admin_uploads_a_roster_reviews_it_and_puts_it_in_force(
    client, program_admin, user_factory
):
    user_factory(full_name="Ada Lovelace", email="ada.lovelace@example.org")
    client.force_login(program_admin)
    url = reverse("access-roster")

    preview = client.post(url, {"roster": _upload(GOOD)}, follow=True)

    staged = RosterImport.objects.get()
    assert preview.redirect_chain == [(reverse("access-roster-import", args=[staged.pk]), 302)]
    assert not staged.is_current
    assert staged.awaiting_review
    page = preview.content.decode()
    assert "nothing has changed yet" in page
    assert 'data-roster="gains">3<' in page
    assert 'data-roster="losses">0<' in page
    assert "Ada Lovelace (ada.lovelace@example.org)" in page
    assert "grace@example.org (no portal account yet)" in page
    assert not AuditEvent.objects.filter(action="roster.import").exists()

    done = client.post(reverse("access-roster-confirm", args=[staged.pk]), follow=True)

    assert done.redirect_chain == [(url, 302)]
    staged.refresh_from_db()
    assert staged.is_current
    assert staged.imported_by == program_admin
    page = done.content.decode()
    assert "roster_good.csv is in force" in page
    assert 'data-roster="row-count">3<' in page
    assert AuditEvent.objects.filter(action="roster.import").count() == 1


def test_the_page_lists_every_bad_line_and_imports_nothing(client, program_admin):
    client.force_login(program_admin)

    response = client.post(reverse("access-roster"), {"roster": _upload(BAD)})

    assert response.status_code == 200
    page = response.content.decode()
    assert "Nothing was imported: the roster has 7 bad lines" in page
    for line in BAD_LINES:
        assert f"<li>{line.replace("'", '&#x27;')}</li>" in page
    assert RosterImport.objects.count() == 0


def test_the_page_shows_the_current_import_and_the_history(client, program_admin):
    RosterImportFactory(source="older.csv", row_count=12)
    roster_import(source=CsvRosterSource(GOOD), actor=program_admin)
    client.force_login(program_admin)

    response = client.get(reverse("access-roster"))

    page = response.content.decode()
    assert 'data-roster="row-count">3<' in page
    assert "older.csv" in page
    assert "Superseded" in page
    assert page.count("<tr>") == 3  # header row and two imports


def test_the_page_asks_for_a_file_when_none_was_chosen(client, program_admin):
    client.force_login(program_admin)

    response = client.post(reverse("access-roster"), {})

    assert response.status_code == 200
    assert "This field is required" in response.content.decode()
    assert RosterImport.objects.count() == 0


@pytest.mark.parametrize("role", ["researcher", "biobank_staff", "prab_chair"])
def test_the_roster_page_is_not_found_for_anyone_but_a_program_admin_or_an_auditor(
    client, request, role
):
    client.force_login(request.getfixturevalue(role))

    assert client.get(reverse("access-roster")).status_code == 404
    assert client.post(reverse("access-roster"), {"roster": _upload(GOOD)}).status_code == 404
    assert RosterImport.objects.count() == 0


def test_an_auditor_reads_the_roster_page_but_cannot_upload(client, auditor):
    roster_import(source=CsvRosterSource(GOOD), actor=None)
    client.force_login(auditor)

    page = client.get(reverse("access-roster")).content.decode()
    upload = client.post(reverse("access-roster"), {"roster": _upload(GOOD)})

    assert 'data-roster="row-count">3<' in page
    assert "Upload and review" not in page
    assert upload.status_code == 404
    assert RosterImport.objects.count() == 1


# The command


def test_the_command_imports_a_good_file_and_prints_the_count(db):
    out = io.StringIO()

    call_command("import_controlled_tier_roster", str(GOOD), stdout=out)

    assert "Imported 3 roster entries from roster_good.csv" in out.getvalue()
    imported = RosterImport.objects.get(is_current=True)
    assert imported.imported_by is None
    assert AuditEvent.objects.get(action="roster.import").actor_label == "system"


def test_the_command_prints_every_bad_line_and_fails(db):
    err = io.StringIO()

    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command("import_controlled_tier_roster", str(BAD), stderr=err)

    assert err.getvalue().splitlines() == BAD_LINES
    assert RosterImport.objects.count() == 0


def test_the_command_says_so_when_the_file_does_not_exist(db, tmp_path):
    with pytest.raises(CommandError, match="No roster file at"):
        call_command("import_controlled_tier_roster", str(tmp_path / "missing.csv"))


def test_a_file_that_is_not_text_is_refused_with_one_message(db):
    png = (
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
        b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8"
        b"N\x00\x00\x00\x00IEND\xaeB`\x82\n" * 3
    )

    problems = _problems(png)

    assert problems == [
        "line 1: the file is not a CSV text file (its content reads as image/png); export the "
        "roster from the Researcher Workbench as CSV, UTF-8 encoded, and import that file"
    ]
    assert RosterImport.objects.count() == 0


@pytest.mark.parametrize("value", ['=HYPERLINK("x")', "+1", "-2", "@SUM(A1)"])
def test_a_value_a_spreadsheet_would_run_as_a_formula_is_refused(db, value):
    problems = _problems(
        f"email,workbench_username,access_expires_on\nok@example.org,{value},2027-01-31\n"
    )

    assert problems == [
        f"line 2: workbench_username starts with '{value[0]}', which a spreadsheet would run "
        "as a formula; remove it"
    ]
    assert RosterImport.objects.count() == 0
