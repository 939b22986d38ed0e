"""The Biospecimen Access Code of Conduct: versions, signing, the signed PDF, verification."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core import mail
from django.db import connection
from django.urls import reverse

from portal.errors import DomainError, PermissionRefused
from portal.models import (
    AuditEvent,
    CodeOfConductSignature,
    CodeOfConductVersion,
    Document,
    Notification,
)
from portal.onboarding.eligibility import Requirement, State
from portal.onboarding.helpers import code_of_conduct_digest, initials_fit_name, signature_meaning
from portal.onboarding.selectors import (
    access_status_for,
    code_of_conduct_history_for,
    code_of_conduct_signature_verify,
    code_of_conduct_versions_overview,
    latest_code_of_conduct,
)
from portal.onboarding.services.conduct import (
    SIGNED_COPY_PURPOSE,
    CodeOfConductVersionExists,
    SignatureRefused,
    code_of_conduct_publish,
    code_of_conduct_sign,
    ensure_default_code_of_conduct,
)
from portal.roles import Role
from tests.factories import (
    TEST_PASSWORD,
    CodeOfConductSignatureFactory,
    UserFactory,
    set_current_code_of_conduct,
)
from tests.helpers import audit_actions, audit_events, frozen, pdf_text

NAME = "Jane Ann Smith"
SIGNED_MOMENT = datetime(2026, 3, 8, 8, 30, 15, tzinfo=UTC)  # spring DST switch in Chicago


@pytest.fixture
def published(db) -> CodeOfConductVersion:
    version = ensure_default_code_of_conduct()
    assert version is not None
    return version


@pytest.fixture
def signer(db):
    return UserFactory(roles=[Role.RESEARCHER], two_factor=True, full_name=NAME)


def _initials_for(version: CodeOfConductVersion, value: str = "JS") -> dict[int, str]:
    return {i: value for i, s in enumerate(version.statements) if s["initials"]}


def _sign(user, document: CodeOfConductVersion, **overrides):
    kwargs = {
        "user": user,
        "version": document.version,
        "printed_name": user.full_name,
        "initials": _initials_for(document),
        "password": TEST_PASSWORD,
        "ip_address": "192.0.2.7",
        **overrides,
    }
    return code_of_conduct_sign(**kwargs)


def _form_data(document: CodeOfConductVersion, **overrides) -> dict[str, str]:
    data = {
        "version": document.version,
        "has_read": "on",
        "printed_name": NAME,
        "password": TEST_PASSWORD,
        **{f"initials_{i}": "JS" for i in _initials_for(document)},
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _nothing_signed() -> None:
    assert not CodeOfConductSignature.objects.exists()
    assert not Document.objects.exists()
    assert not Notification.objects.exists()
    assert "code_of_conduct.sign" not in audit_actions()
    assert "document.upload" not in audit_actions()


# --- Publishing ---------------------------------------------------------------------------


def test_the_default_version_is_published_once_from_the_text_files(db):
    version = ensure_default_code_of_conduct()

    assert version is not None
    assert version.version == "2026.1"
    assert version.title == "Biospecimen Access Code of Conduct"
    assert "immortalized cell lines" in version.body
    assert "list of violators" in version.body
    assert len(version.statements) == 9
    assert [s["initials"] for s in version.statements].count(True) == 3
    assert version.sha256 == code_of_conduct_digest(
        title=version.title, body=version.body, statements=version.statements
    )
    assert version.published_by is None
    assert ensure_default_code_of_conduct() is None
    assert CodeOfConductVersion.objects.count() == 1
    # Seeding publishes the default text and makes it the current version, both audited.
    assert audit_actions() == ["code_of_conduct.publish", "code_of_conduct.make_current"]


def test_a_program_admin_publishes_a_new_version_with_its_hash_and_an_audit_event(
    program_admin, published
):
    statements = [
        {"text": "I will  use biospecimens only as approved.", "initials": False},
        {"text": "My use may be audited.", "initials": True},
    ]

    version = code_of_conduct_publish(
        version="2027.1",
        title="Biospecimen Access Code of Conduct",
        body="Line one.\r\n\r\nLine two.  \r\n",
        statements=statements,
        actor=program_admin,
    )

    version.refresh_from_db()
    assert version.body == "Line one.\n\nLine two."
    assert version.statements[0]["text"] == "I will use biospecimens only as approved."
    assert version.sha256 == code_of_conduct_digest(
        title=version.title, body=version.body, statements=version.statements
    )
    assert version.published_by == program_admin
    event = AuditEvent.objects.get(action="code_of_conduct.publish", actor=program_admin)
    assert event.after["version"] == "2027.1"
    assert event.after["sha256"] == version.sha256
    assert event.after["statements_with_initials"] == 1
    # Publishing does not make it the version to sign: making it current does.
    assert latest_code_of_conduct() == published


def test_publishing_is_refused_to_anyone_but_a_program_admin(researcher, published):
    with pytest.raises(PermissionRefused, match="Only a program admin"):
        code_of_conduct_publish(
            version="2027.1",
            title="T",
            body="B",
            statements=[{"text": "S", "initials": False}],
            actor=researcher,
        )

    assert list(CodeOfConductVersion.objects.values_list("version", flat=True)) == ["2026.1"]
    # Seeding publishes the default text and makes it the current version, both audited.
    assert audit_actions() == ["code_of_conduct.publish", "code_of_conduct.make_current"]


def test_publishing_a_version_label_already_used_is_refused_and_changes_nothing(
    program_admin, published
):
    with pytest.raises(CodeOfConductVersionExists, match="already published"):
        code_of_conduct_publish(
            version="2026.1",
            title="Replacement",
            body="Another text",
            statements=[{"text": "S", "initials": False}],
            actor=program_admin,
        )

    published_now = CodeOfConductVersion.objects.get()
    assert published_now.body == published.body
    assert published_now.sha256 == published.sha256
    # Seeding publishes the default text and makes it the current version, both audited.
    assert audit_actions() == ["code_of_conduct.publish", "code_of_conduct.make_current"]


def test_publishing_without_statements_is_refused(program_admin, db):
    with pytest.raises(DomainError, match="at least one statement"):
        code_of_conduct_publish(
            version="2027.1", title="T", body="B", statements=[], actor=program_admin
        )

    assert not CodeOfConductVersion.objects.exists()


def test_the_publish_page_is_not_found_for_a_researcher(client, researcher):
    client.force_login(researcher)

    assert client.get(reverse("access-code-of-conduct-publish")).status_code == 404
    assert client.post(reverse("access-code-of-conduct-publish"), {}).status_code == 404


PUBLISH_FORM = {
    "version": "2027.1",
    "title": "Biospecimen Access Code of Conduct",
    "body": "The whole text.\n\nIts second paragraph.",
    "statements": "I will use specimens as approved.\n\n[initials] My use may be audited.",
}


def test_the_publish_form_first_shows_the_text_as_signers_will_see_it_and_publishes_nothing(
    client, program_admin, published
):
    client.force_login(program_admin)

    response = client.post(reverse("access-code-of-conduct-publish"), PUBLISH_FORM)

    page = response.content.decode()
    assert response.status_code == 200
    assert "data-publish-preview" in page
    assert "Published text can never be changed." in page
    assert "<p>Its second paragraph.</p>" in page
    assert 'My use may be audited. <span class="badge text-bg-secondary">initials required' in page
    assert 'name="confirm"' in page
    assert not CodeOfConductVersion.objects.filter(version="2027.1").exists()
    assert (
        not AuditEvent.objects.filter(action="code_of_conduct.publish").exclude(actor=None).exists()
    )


def test_editing_from_the_preview_keeps_everything_typed(client, program_admin, published):
    client.force_login(program_admin)

    response = client.post(reverse("access-code-of-conduct-publish"), {**PUBLISH_FORM, "edit": "1"})

    page = response.content.decode()
    assert "data-publish-preview" not in page
    assert 'value="2027.1"' in page
    assert "Its second paragraph." in page
    assert "[initials] My use may be audited." in page
    assert not CodeOfConductVersion.objects.filter(version="2027.1").exists()


def test_the_publish_page_publishes_once_confirmed_and_says_publishing_does_not_make_it_latest(
    client, program_admin, published
):
    client.force_login(program_admin)

    response = client.post(
        reverse("access-code-of-conduct-publish"), {**PUBLISH_FORM, "confirm": "1"}, follow=True
    )

    page = response.content.decode()
    version = CodeOfConductVersion.objects.get(version="2027.1")
    assert version.statements == [
        {"text": "I will use specimens as approved.", "initials": False},
        {"text": "My use may be audited.", "initials": True},
    ]
    assert (
        AuditEvent.objects.filter(action="code_of_conduct.publish", actor=program_admin).count()
        == 1
    )
    assert "Version 2027.1 is published" in page
    assert "Publishing does not make a version the one researchers sign." in page
    assert 'data-version="2027.1"' in page
    assert 'data-version="2026.1"' in page
    assert "Current: signed now" in page


def test_the_publish_page_keeps_what_was_typed_when_the_label_is_taken(
    client, program_admin, published
):
    client.force_login(program_admin)

    response = client.post(
        reverse("access-code-of-conduct-publish"),
        {"version": "2026.1", "title": "My title", "body": "My long text", "statements": "One"},
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "Version 2026.1 is already published" in page
    assert "My long text" in page
    assert 'value="My title"' in page
    assert CodeOfConductVersion.objects.count() == 1


def test_the_versions_overview_is_one_query(published, signer, django_assert_num_queries):
    _sign(signer, published)

    with django_assert_num_queries(1):
        rows = code_of_conduct_versions_overview()

    assert [(r.version.version, r.signature_count, r.is_latest) for r in rows] == [
        ("2026.1", 1, True)
    ]


# --- Initials -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("initials", "name", "fits"),
    [
        ("JS", "Jane Smith", True),
        ("js", "Jane Smith", True),
        ("JAS", "Jane Ann Smith", True),
        ("JS", "Jane Ann Smith", True),
        ("JS", "Dr. Jane Smith", True),
        ("MJVD", "Mary-Jane van Dyke", True),
        ("EO", "Élodie O'Neil", True),
        ("S", "Suharto", True),
        ("SJ", "Jane Smith", False),
        ("J", "Jane Smith", False),
        ("AB", "Jane Smith", False),
        ("JSS", "Jane Smith", False),
    ],
)
def test_initials_fit_a_name_when_they_are_its_initials_in_order(initials, name, fits):
    assert initials_fit_name(initials, name) is fits


# --- Signing ------------------------------------------------------------------------------


def test_signing_records_the_meaning_hash_name_initials_and_utc_time(signer, published):
    with frozen(SIGNED_MOMENT):
        signature = _sign(signer, published, initials=_initials_for(published, "j.s."))

    signature.refresh_from_db()
    assert signature.user == signer
    assert signature.version == published
    assert signature.printed_name == NAME
    assert signature.initials == {"6": "JS", "7": "JS", "8": "JS"}
    assert signature.meaning == (
        "I have read, understood and agree to abide by the Biospecimen Access Code of Conduct "
        "version 2026.1"
    )
    assert signature.meaning == signature_meaning("2026.1")
    assert signature.document_sha256 == published.sha256
    assert signature.signed_at == SIGNED_MOMENT
    assert signature.ip_address == "192.0.2.7"
    assert signature.signed_copy.owner == signer
    assert signature.signed_copy.purpose == SIGNED_COPY_PURPOSE
    assert signature.signed_copy.content_type == "application/pdf"
    assert code_of_conduct_signature_verify(signature)
    [event] = audit_events("code_of_conduct.sign")
    assert event.actor == signer
    assert event.target_id == str(signature.pk)
    assert event.ip_address == "192.0.2.7"
    assert event.after["version"] == "2026.1"
    assert event.after["document_sha256"] == published.sha256
    # The copy is rendered after the signature commits, and recorded by its own event.
    [copy_event] = audit_events("code_of_conduct.signed_copy")
    assert copy_event.after["signed_copy"] == str(signature.signed_copy.pk)
    assert audit_actions().count("document.upload") == 1


def test_signing_makes_the_code_of_conduct_requirement_complete(signer, published):
    assert access_status_for(signer).get(Requirement.CODE_OF_CONDUCT).state == State.INCOMPLETE

    _sign(signer, published)

    status = access_status_for(signer).get(Requirement.CODE_OF_CONDUCT)
    assert status.state == State.COMPLETE


def test_signing_emails_the_signer_after_commit(
    signer, published, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        signature = _sign(signer, published)
        assert mail.outbox == []

    assert callbacks
    for callback in callbacks:
        callback()
    [message] = mail.outbox
    assert message.to == [signer.email]
    assert "Code of Conduct version 2026.1" in message.subject
    assert signature.document_sha256 in message.body
    assert reverse("access-code-of-conduct-history") in message.body
    notification = Notification.objects.get(user=signer)
    assert notification.template == "code_of_conduct_signed"
    assert notification.email_sent_at is not None


@pytest.mark.pdf
def test_the_signed_pdf_holds_the_full_text_printed_name_initials_version_hash_and_utc_time(
    signer, published
):
    with frozen(SIGNED_MOMENT):
        signature = _sign(signer, published)

    from portal.documents import document_open

    with document_open(document=signature.signed_copy) as stored:
        data = stored.read()
    text = " ".join(pdf_text(data).split())
    assert data.startswith(b"%PDF")
    assert NAME in text
    assert "Version 2026.1" in text
    assert published.sha256 in text
    assert "2026-03-08 08:30:15 UTC" in text
    assert "immortalized cell lines" in text
    assert signature_meaning("2026.1") in text
    assert "JS" in text


@pytest.mark.pdf
def test_the_signer_downloads_the_signed_pdf_as_an_attachment(client, signer, published):
    signature = _sign(signer, published)
    client.force_login(signer)

    history = client.get(reverse("access-code-of-conduct-history")).content.decode()
    link = reverse("document-download", args=[signature.signed_copy.pk])
    assert link in history
    response = client.get(link)

    data = b"".join(response.streaming_content)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["Content-Type"] == "application/pdf"
    assert data.startswith(b"%PDF")
    text = pdf_text(data)
    assert NAME in text
    assert "2026.1" in text


def test_another_researcher_cannot_download_someone_elses_signed_copy(client, signer, published):
    signature = _sign(signer, published)
    client.force_login(UserFactory(roles=[Role.RESEARCHER]))

    response = client.get(reverse("document-download", args=[signature.signed_copy.pk]))

    assert response.status_code == 404


def test_an_account_without_a_full_name_takes_the_typed_name(client, published):
    user = UserFactory(roles=[Role.RESEARCHER], full_name="")
    client.force_login(user)
    page = client.get(reverse("access-code-of-conduct")).content.decode()
    assert "Your account has no full name yet" in page

    signature = _sign(
        user, published, printed_name="  Rosa   Parks ", initials={6: "RP", 7: "RP", 8: "RP"}
    )

    user.refresh_from_db()
    assert user.full_name == "Rosa Parks"
    assert signature.printed_name == "Rosa Parks"
    event = AuditEvent.objects.get(action="code_of_conduct.sign")
    assert event.before == {"full_name": ""}
    assert event.after["full_name"] == "Rosa Parks"


def test_every_signature_is_kept_when_signing_again(client, signer, published):
    with frozen(SIGNED_MOMENT):
        first = _sign(signer, published)
    with frozen(SIGNED_MOMENT + timedelta(days=340)):
        second = _sign(signer, published)

    assert first.pk != second.pk
    first.refresh_from_db()
    assert first.signed_at == SIGNED_MOMENT
    assert first.signed_copy_id != second.signed_copy_id
    assert Document.objects.filter(owner=signer, purpose=SIGNED_COPY_PURPOSE).count() == 2
    assert audit_actions().count("code_of_conduct.sign") == 2
    rows = code_of_conduct_history_for(user=signer)
    assert [r.signature.pk for r in rows] == [second.pk, first.pk]
    client.force_login(signer)
    page = client.get(reverse("access-code-of-conduct-history")).content.decode()
    assert page.count("data-signature=") == 2
    assert page.count('data-verified="yes"') == 2


def test_the_history_is_read_in_one_query(signer, published, django_assert_num_queries):
    _sign(signer, published)
    _sign(signer, published)

    with django_assert_num_queries(1):
        rows = code_of_conduct_history_for(user=signer)

    assert len(rows) == 2
    assert all(r.verified for r in rows)


def test_a_name_accepted_at_signing_is_never_flagged_as_changed(published):
    user = UserFactory(roles=[Role.RESEARCHER], full_name="José Núñez")

    with pytest.raises(SignatureRefused):
        _sign(user, published, printed_name="Jose Nunez", initials=_initials_for(published, "JN"))
    _sign(user, published, printed_name="josé  NÚÑEZ", initials=_initials_for(published, "jn"))

    assert access_status_for(user).get(Requirement.CODE_OF_CONDUCT).state == State.COMPLETE


# --- Refusals: nothing is saved -----------------------------------------------------------


def test_signing_with_a_wrong_password_is_refused_and_saves_nothing(signer, published):
    with pytest.raises(SignatureRefused) as refused:
        _sign(signer, published, password="not-my-password")

    assert set(refused.value.problems) == {"password"}
    assert "password is not correct" in refused.value.message
    _nothing_signed()


def test_signing_with_initials_missing_is_refused_and_saves_nothing(signer, published):
    initials = _initials_for(published)
    del initials[7]

    with pytest.raises(SignatureRefused) as refused:
        _sign(signer, published, initials=initials)

    assert refused.value.problems == {"initials_7": "Enter your initials next to statement 8."}
    _nothing_signed()


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("XY", "do not fit the name you typed, Jane Ann Smith"),
        ("SJ", "do not fit the name you typed"),
        ("J5", "must be 1 to 4 letters"),
        ("JASMX", "must be 1 to 4 letters"),
    ],
)
def test_signing_with_initials_that_do_not_fit_is_refused_and_saves_nothing(
    signer, published, value, problem
):
    initials = _initials_for(published)
    initials[8] = value

    with pytest.raises(SignatureRefused) as refused:
        _sign(signer, published, initials=initials)

    assert set(refused.value.problems) == {"initials_8"}
    assert problem in refused.value.problems["initials_8"]
    _nothing_signed()


def test_signing_under_a_name_other_than_the_accounts_is_refused(signer, published):
    with pytest.raises(SignatureRefused) as refused:
        _sign(signer, published, printed_name="John Doe", initials=_initials_for(published, "JD"))

    # The initials are checked against the account's name too, so every problem is told
    # at once: "JD" does not fit Jane Ann Smith.
    assert "printed_name" in refused.value.problems
    assert all(
        "do not fit" in problem
        for field, problem in refused.value.problems.items()
        if field.startswith("initials_")
    )
    assert "is not the full name on your account, Jane Ann Smith" in refused.value.message
    signer.refresh_from_db()
    assert signer.full_name == NAME
    _nothing_signed()


@pytest.mark.parametrize("printed_name", ["", "Nia Newcommer"])
def test_initials_that_do_not_fit_are_refused_even_when_the_typed_name_is_wrong_too(
    user_factory, published, printed_name
):
    nia = user_factory(full_name="Nia Newcomer", roles=[Role.RESEARCHER])

    with pytest.raises(SignatureRefused) as refused:
        _sign(nia, published, printed_name=printed_name, initials=_initials_for(published, "XX"))

    initials_problems = [p for f, p in refused.value.problems.items() if f.startswith("initials_")]
    assert initials_problems
    assert all("XX, do not fit" in p and "(for example NN)" in p for p in initials_problems)
    _nothing_signed()


def test_signing_an_old_version_is_refused(signer, published, program_admin):
    code_of_conduct_publish(
        version="2027.1",
        title="Biospecimen Access Code of Conduct",
        body="New text.",
        statements=[{"text": "New statement.", "initials": True}],
        actor=program_admin,
    )
    set_current_code_of_conduct("2027.1", accepted={"2026.1": date(2027, 6, 30)})

    with pytest.raises(DomainError, match=r"Version 2026\.1 is no longer the one to sign"):
        _sign(signer, published)

    _nothing_signed()


def test_signing_a_version_that_does_not_exist_is_refused(signer, published):
    with pytest.raises(DomainError, match=r"There is no Code of Conduct version 1999\.1"):
        _sign(signer, published, version="1999.1")

    _nothing_signed()


def test_the_sign_page_keeps_what_was_typed_except_the_password_and_says_what_to_fix(
    client, signer, published
):
    client.force_login(signer)
    data = _form_data(published, password="wrong-password-typed", initials_7="")
    data["initials_6"] = "JAS"

    response = client.post(reverse("access-code-of-conduct"), data)

    page = response.content.decode()
    assert response.status_code == 200
    assert "Nothing was signed" in page
    assert "The password is not correct" in page
    assert "Enter your initials next to statement 8." in page
    assert f'value="{NAME}"' in page
    assert 'name="initials_6" id="id_initials_6" value="JAS"' in page
    assert 'name="initials_8" id="id_initials_8" value="JS"' in page
    assert "wrong-password-typed" not in page
    assert "checked" in page.split('name="has_read"')[1].split(">")[0]
    _nothing_signed()


def test_the_sign_page_asks_to_confirm_the_whole_text_was_read(client, signer, published):
    client.force_login(signer)

    response = client.post(reverse("access-code-of-conduct"), _form_data(published, has_read=None))

    assert "Read the whole text above, then tick this box" in response.content.decode()
    _nothing_signed()


def test_the_sign_page_explains_an_old_version_and_keeps_what_was_typed(
    client, signer, published, program_admin
):
    code_of_conduct_publish(
        version="2027.1",
        title="Biospecimen Access Code of Conduct",
        body="New text.",
        statements=[{"text": "New statement.", "initials": True}],
        actor=program_admin,
    )
    client.force_login(signer)
    set_current_code_of_conduct("2027.1")

    response = client.post(
        reverse("access-code-of-conduct"), _form_data(published, initials_0="JS", version="2026.1")
    )

    page = response.content.decode()
    assert "Version 2026.1 is no longer the one to sign; version 2027.1 is." in page
    assert f'value="{NAME}"' in page
    _nothing_signed()


# --- The signing page ---------------------------------------------------------------------


def test_the_sign_page_shows_the_latest_text_in_full_with_initials_boxes_where_asked(
    client, signer, published
):
    client.force_login(signer)

    response = client.get(reverse("access-code-of-conduct"))

    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="coc-text"' in page
    assert "overflow-auto" in page
    assert "3.4 No immortalized cell lines or other derivatives." in page
    assert [f'name="initials_{i}"' in page for i in range(9)] == [False] * 6 + [True] * 3
    assert 'name="has_read"' in page
    assert 'type="password"' in page
    assert signature_meaning("2026.1") in page
    assert "js/conduct.js" in page
    assert "<script>" not in page


def test_signing_through_the_page_returns_to_the_requirements_with_the_next_step(
    client, signer, published
):
    client.force_login(signer)

    response = client.post(reverse("access-code-of-conduct"), _form_data(published), follow=True)

    signature = CodeOfConductSignature.objects.get()
    page = response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("access-requirements")
    assert "You signed the Code of Conduct version 2026.1" in page
    assert "Your next step:" in page
    history = client.get(reverse("access-code-of-conduct-history")).content.decode()
    assert reverse("document-download", args=[signature.signed_copy_id]) in history
    assert "Verified" in history


def test_the_sign_page_says_when_nothing_is_published_yet(client, signer):
    client.force_login(signer)

    response = client.get(reverse("access-code-of-conduct"))

    assert "has not been published in the portal yet" in response.content.decode()


# --- Verification -------------------------------------------------------------------------


def test_altering_the_stored_text_afterwards_makes_the_signature_fail_verification(
    client, signer, published
):
    signature = _sign(signer, published)
    assert code_of_conduct_signature_verify(
        CodeOfConductSignature.objects.select_related("version").get(pk=signature.pk)
    )

    table = CodeOfConductVersion._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET body = %s WHERE id = %s",
            [published.body.replace("will not", "may"), published.pk],
        )

    reloaded = CodeOfConductSignature.objects.select_related("version").get(pk=signature.pk)
    assert not code_of_conduct_signature_verify(reloaded)
    client.force_login(signer)
    page = client.get(reverse("access-code-of-conduct-history")).content.decode()
    assert "Does not match the signed text" in page
    assert 'data-verified="no"' in page


def test_altering_a_statement_afterwards_makes_the_signature_fail_verification(signer, published):
    signature = _sign(signer, published)
    statements = [dict(s) for s in published.statements]
    statements[6]["initials"] = False
    CodeOfConductVersion.objects.filter(pk=published.pk).update(statements=statements)

    reloaded = CodeOfConductSignature.objects.select_related("version").get(pk=signature.pk)
    assert not code_of_conduct_signature_verify(reloaded)


def test_a_version_whose_stored_text_was_altered_cannot_be_signed(signer, published):
    CodeOfConductVersion.objects.filter(pk=published.pk).update(title="Something else")

    with pytest.raises(DomainError, match="no longer matches the text as published"):
        _sign(signer, published)

    _nothing_signed()


def test_factory_signatures_verify_against_the_same_canonical_hash(db):
    signature = CodeOfConductSignatureFactory()

    assert code_of_conduct_signature_verify(signature)


# --- A name changed after signing ---------------------------------------------------------


def test_a_name_changed_after_signing_is_flagged_for_re_signing(client, signer, published):
    _sign(signer, published)
    assert access_status_for(signer).get(Requirement.CODE_OF_CONDUCT).state == State.COMPLETE

    signer.full_name = "Jane Ann Jones"
    signer.save(update_fields=["full_name"])

    status = access_status_for(signer).get(Requirement.CODE_OF_CONDUCT)
    assert status.state == State.EXPIRED
    assert "name has changed since the signature" in status.note
    assert not access_status_for(signer).eligible
    client.force_login(signer)
    page = client.get(reverse("access-code-of-conduct")).content.decode()
    assert "data-name-changed" in page
    assert "Jane Ann Smith" in page
    assert "Jane Ann Jones" in page

    _sign(signer, published, printed_name="Jane Ann Jones", initials=_initials_for(published, "JJ"))

    assert access_status_for(signer).get(Requirement.CODE_OF_CONDUCT).state == State.COMPLETE
    assert CodeOfConductSignature.objects.filter(user=signer).count() == 2


def test_repeated_wrong_passwords_on_the_sign_page_are_throttled_per_user(
    client, signer, published
):
    client.force_login(signer)
    for _ in range(10):
        response = client.post(
            reverse("access-code-of-conduct"), _form_data(published, password="not-my-password")
        )
        assert "The password is not correct" in response.content.decode()

    # Even the right password is turned away until the minute has passed.
    response = client.post(reverse("access-code-of-conduct"), _form_data(published))

    assert "Too many signing attempts with a wrong password" in response.content.decode()
    _nothing_signed()
