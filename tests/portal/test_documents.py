"""Private documents: storage outside the web root, content-checked uploads, server-made
names, and the permission-checked download."""

import hashlib
import io
import stat
import uuid
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.views.static import serve

import portal.settings as project_settings
from portal import documents
from portal.documents import DocumentRejected, document_store
from portal.errors import PermissionRefused
from portal.models import AuditEvent, Document
from tests.factories import UserFactory

PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
WINDOWS_EXE = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"
    + b"\x00" * 44
    + b"\x80\x00\x00\x00"
    + b"\x00" * 64
    + b"PE\x00\x00L\x01"
)
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00" + b"\x00" * 100
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("payload.txt", "hello")
    return buffer.getvalue()


def _docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
            'package/2006/content-types"/>',
        )
        archive.writestr("_rels/.rels", "<Relationships/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def _upload(name: str, content: bytes, content_type: str = "application/pdf"):
    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path) -> Path:
    root = tmp_path / "private-documents"
    settings.PRIVATE_DOCUMENT_ROOT = root
    return root


def _files_under(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def _is_within(path: Path, parent: Path) -> bool:
    return Path(path).resolve().is_relative_to(Path(parent).resolve())


# --- Storage outside the web root -------------------------------------------------------


@pytest.mark.parametrize(
    "config", [settings, project_settings], ids=["active settings", "project defaults"]
)
def test_private_storage_is_outside_every_static_and_media_directory(config):
    root = Path(config.PRIVATE_DOCUMENT_ROOT)
    served = [Path(config.STATIC_ROOT), Path(config.BASE_DIR) / "static"]
    for entry in config.STATICFILES_DIRS:
        served.append(Path(entry[1] if isinstance(entry, tuple) else entry))
    if getattr(config, "MEDIA_ROOT", ""):
        served.append(Path(config.MEDIA_ROOT))
    for directory in served:
        assert not _is_within(root, directory), directory
        assert not _is_within(directory, root), directory


def test_no_static_finder_can_reach_a_stored_document(researcher, private_root):
    document = document_store(
        upload=_upload("cv.pdf", PDF), owner=researcher, purpose="biosketch", actor=researcher
    )
    assert finders.find(document.stored_name) is None
    for location in finders.searched_locations:
        assert not _is_within(private_root, location)


def test_no_url_pattern_serves_files_from_disk():
    def callbacks(patterns):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from callbacks(pattern.url_patterns)
            elif isinstance(pattern, URLPattern):
                yield pattern.callback

    assert serve not in set(callbacks(get_resolver().url_patterns))
    assert not settings.MEDIA_URL or settings.MEDIA_URL == "/"


def test_a_stored_document_is_not_reachable_at_any_guessable_url(client, researcher):
    document = document_store(
        upload=_upload("cv.pdf", PDF), owner=researcher, purpose="biosketch", actor=researcher
    )
    client.force_login(researcher)
    for prefix in ("/", "/static/", "/media/", "/documents/", "/var/documents/"):
        response = client.get(prefix + document.stored_name)
        assert response.status_code == 404, prefix


# --- What is accepted -------------------------------------------------------------------


def test_a_pdf_is_stored_with_its_hash_type_size_and_an_audit_event(researcher, private_root):
    document = document_store(
        upload=_upload("IRB approval.pdf", PDF),
        owner=researcher,
        purpose="irb_approval",
        actor=researcher,
    )

    document.refresh_from_db()
    assert document.owner == researcher
    assert document.purpose == "irb_approval"
    assert document.content_type == "application/pdf"
    assert document.size == len(PDF)
    assert document.sha256 == hashlib.sha256(PDF).hexdigest()
    assert document.original_name == "IRB approval.pdf"
    stored = private_root / document.stored_name
    assert stored.read_bytes() == PDF
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600

    event = AuditEvent.objects.get(action="document.upload")
    assert event.actor == researcher
    assert event.target_type == "portal.document"
    assert event.target_id == str(document.pk)
    assert event.after["sha256"] == document.sha256
    assert event.after["content_type"] == "application/pdf"
    assert event.after["size"] == len(PDF)


def test_a_pdf_renamed_exe_is_accepted_as_pdf_and_downloads_as_pdf(researcher):
    document = document_store(
        upload=_upload("report.exe", PDF, content_type="application/x-msdownload"),
        owner=researcher,
        purpose="biosketch",
        actor=researcher,
    )
    assert document.content_type == "application/pdf"
    assert document.stored_name.endswith(".pdf")
    assert document.original_name == "report.pdf"


def test_a_word_document_is_accepted_by_its_content(researcher):
    document = document_store(
        upload=_upload("plan.docx", _docx(), content_type="application/octet-stream"),
        owner=researcher,
        purpose="research_plan",
        actor=researcher,
    )
    assert document.content_type == (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    assert document.stored_name.endswith(".docx")


# --- What is refused --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "reads_as"),
    [
        (WINDOWS_EXE, "a Windows program"),
        (ELF, "a program"),
        (HTML, "a web page (HTML)"),
        (_zip(), "a ZIP archive"),
    ],
    ids=["windows executable", "linux executable", "html", "zip"],
)
def test_a_file_named_pdf_whose_content_is_not_an_accepted_type_is_refused(
    researcher, private_root, content, reads_as
):
    with pytest.raises(DocumentRejected) as refused:
        document_store(
            upload=_upload("approval.pdf", content, content_type="application/pdf"),
            owner=researcher,
            purpose="irb_approval",
            actor=researcher,
        )

    message = refused.value.message
    assert f"its content reads as {reads_as} (" in message
    assert "whatever its name says" in message
    assert "PDF, Word (.docx), Excel (.xlsx), PNG, JPEG, CSV or plain text" in message
    assert not Document.objects.exists()
    assert not AuditEvent.objects.exists()
    assert _files_under(private_root) == []


def test_an_empty_file_is_refused(researcher, private_root):
    with pytest.raises(DocumentRejected, match="The file is empty"):
        document_store(
            upload=_upload("empty.pdf", b""), owner=researcher, purpose="x", actor=researcher
        )
    assert not Document.objects.exists()
    assert _files_under(private_root) == []


@override_settings(DOCUMENT_MAX_BYTES=len(PDF))
def test_a_file_over_the_size_limit_is_refused_and_one_at_the_limit_is_kept(
    researcher, private_root
):
    with pytest.raises(DocumentRejected) as refused:
        document_store(
            upload=_upload("big.pdf", PDF + b"\n"),
            owner=researcher,
            purpose="x",
            actor=researcher,
        )
    assert f"The file is {len(PDF) + 1} bytes; the limit is {len(PDF)} bytes." in (
        refused.value.message
    )
    assert not Document.objects.exists()
    assert _files_under(private_root) == []

    kept = document_store(
        upload=_upload("fits.pdf", PDF), owner=researcher, purpose="x", actor=researcher
    )
    assert kept.size == len(PDF)


def test_the_size_limit_message_speaks_in_megabytes_for_large_limits(researcher):
    big = PDF + b"0" * (2 * 1024 * 1024)
    with override_settings(DOCUMENT_MAX_BYTES=1024 * 1024), pytest.raises(DocumentRejected) as r:
        document_store(
            upload=_upload("big.pdf", big), owner=researcher, purpose="x", actor=researcher
        )
    assert "the limit is 1.0 MB" in r.value.message


def test_a_researcher_cannot_file_a_document_under_someone_elses_name(researcher, private_root):
    other = UserFactory()
    with pytest.raises(PermissionRefused):
        document_store(upload=_upload("cv.pdf", PDF), owner=other, purpose="x", actor=researcher)
    assert not Document.objects.exists()
    assert _files_under(private_root) == []


def test_a_failure_after_writing_the_file_removes_it(researcher, private_root, monkeypatch):
    def audit_down(**kwargs):
        raise RuntimeError("audit unavailable")

    monkeypatch.setattr(documents, "audit_record", audit_down)
    with pytest.raises(RuntimeError, match="audit unavailable"):
        document_store(
            upload=_upload("cv.pdf", PDF), owner=researcher, purpose="x", actor=researcher
        )

    assert not Document.objects.exists()
    assert _files_under(private_root) == []


# --- Server-made names ------------------------------------------------------------------


def test_the_stored_name_is_made_by_the_server_and_never_contains_the_uploaders(researcher):
    document = document_store(
        upload=_upload("Jane-Doe-confidential-biosketch.pdf", PDF),
        owner=researcher,
        purpose="biosketch",
        actor=researcher,
    )
    assert "Jane" not in document.stored_name
    assert "biosketch" not in document.stored_name
    stem = Path(document.stored_name).stem
    assert uuid.UUID(hex=stem).hex == stem


@pytest.mark.parametrize(
    "name",
    ["../../etc/passwd.pdf", "..\\..\\windows\\win.ini.pdf", "/etc/cron.d/evil.pdf"],
)
def test_a_path_traversal_file_name_is_harmless(researcher, private_root, tmp_path, name):
    document = document_store(
        upload=_upload(name, PDF), owner=researcher, purpose="x", actor=researcher
    )

    stored = private_root / document.stored_name
    assert stored.is_file()
    assert _is_within(stored, private_root)
    assert ".." not in document.stored_name
    assert "/" not in document.original_name
    assert "\\" not in document.original_name
    assert ".." not in document.original_name
    assert document.original_name.endswith(".pdf")
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == [stored]


def test_two_uploads_with_the_same_name_are_both_kept(researcher):
    first = document_store(
        upload=_upload("cv.pdf", PDF), owner=researcher, purpose="x", actor=researcher
    )
    second = document_store(
        upload=_upload("cv.pdf", PDF), owner=researcher, purpose="x", actor=researcher
    )
    assert first.stored_name != second.stored_name


# --- Download ---------------------------------------------------------------------------


@pytest.fixture
def owned_document(researcher):
    return document_store(
        upload=_upload("Ethics approval.pdf", PDF),
        owner=researcher,
        purpose="irb_approval",
        actor=researcher,
    )


def _download_url(document) -> str:
    return reverse("document-download", args=[document.pk])


def test_the_download_url_is_documents_uuid_download(owned_document):
    assert _download_url(owned_document) == f"/documents/{owned_document.pk}/download/"


def test_the_owner_downloads_their_document_as_an_attachment(client, researcher, owned_document):
    client.force_login(researcher)

    response = client.get(_download_url(owned_document))

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="Ethics approval.pdf"'
    assert response["Content-Type"] == "application/pdf"
    assert "no-store" in response["Cache-Control"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == PDF


@pytest.mark.parametrize("role", ["auditor", "program_admin"])
def test_auditors_and_program_admins_download_any_document(client, request, owned_document, role):
    client.force_login(request.getfixturevalue(role))

    response = client.get(_download_url(owned_document))

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment; filename=")
    assert b"".join(response.streaming_content) == PDF


def test_another_researcher_gets_404(client, owned_document):
    other = UserFactory(roles=["researcher"])
    client.force_login(other)

    response = client.get(_download_url(owned_document))

    assert response.status_code == 404
    assert PDF not in response.content


def test_an_unknown_document_gets_404(client, researcher):
    client.force_login(researcher)
    response = client.get(reverse("document-download", args=[uuid.uuid4()]))
    assert response.status_code == 404


def test_an_anonymous_visitor_is_sent_to_sign_in(client, owned_document):
    url = _download_url(owned_document)

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert url in response["Location"]


def test_the_document_admin_is_read_only_and_links_to_the_checked_download(client, owned_document):
    admin_user = UserFactory(is_staff=True, is_superuser=True, two_factor=True)
    client.force_login(admin_user)

    page = client.get(reverse("admin:portal_document_change", args=[owned_document.pk]))

    assert page.status_code == 200
    assert _download_url(owned_document) in page.content.decode()
    assert b'name="_save"' not in page.content
    assert client.get(reverse("admin:portal_document_add")).status_code == 403
    delete_url = reverse("admin:portal_document_delete", args=[owned_document.pk])
    assert client.post(delete_url, {"post": "yes"}).status_code == 403
    assert Document.objects.filter(pk=owned_document.pk).exists()
