"""Supplementary uploads (policy 2.3): clean PDF and DOCX only, named safely, listed with
who added them and when, replaced with their history kept."""

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from applications.demo import demo_pdf
from applications.models import ApplicationUpload
from applications.services.uploads import application_upload_add
from portal.documents import DocumentRejected
from portal.errors import DomainError
from portal.models import AuditEvent
from portal.roles import Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _private_root(settings, tmp_path):
    settings.PRIVATE_DOCUMENT_ROOT = tmp_path


def _add(application, name="cv.pdf", data=None, **kwargs):
    return application_upload_add(
        application=application,
        kind=kwargs.pop("kind", ApplicationUpload.Kind.CV),
        upload=ContentFile(data or demo_pdf("CV"), name=name),
        actor=application.applicant,
        **kwargs,
    )


@pytest.mark.parametrize(
    "name",
    [
        "../../etc/passwd.pdf",
        "<script>alert(1)</script>.pdf",
        "cv\x00.pdf",
        "a" * 500 + ".pdf",
        "\u202egnp.pdf",
    ],
)
def test_a_hostile_file_name_is_kept_only_as_a_clean_display_name(draft, name):
    added = _add(draft, name=name)
    document = added.document
    assert "/" not in document.original_name
    assert "<" not in document.original_name
    assert "\x00" not in document.original_name
    assert len(document.original_name) <= 200
    assert document.original_name.endswith(".pdf")
    assert name not in document.stored_name


def test_a_replaced_upload_keeps_its_history(draft):
    first = _add(draft, name="old-cv.pdf")
    second = _add(draft, name="new-cv.pdf", replaces=first)

    first.refresh_from_db()
    assert first.replaced_by == second
    assert draft.uploads.filter(replaced_by__isnull=True).get() == second
    assert AuditEvent.objects.filter(action="application_upload.add").count() == 2


def test_an_upload_that_is_not_what_it_claims_is_refused_and_nothing_is_kept(draft):
    with pytest.raises(DocumentRejected, match="web page"):
        _add(draft, data=b"<html><script>alert(1)</script></html>")
    assert not ApplicationUpload.objects.exists()


def test_a_cv_must_be_the_applicants_or_a_team_members(draft):
    stranger = UserFactory(roles=[Role.RESEARCHER])
    with pytest.raises(DomainError, match="team member"):
        _add(draft, person=stranger)


def test_the_uploads_page_lists_who_added_each_and_downloads_it_as_an_attachment(client, draft):
    added = _add(draft, name="Rosa CV.pdf")
    client.force_login(draft.applicant)
    page = client.get(reverse("applications:uploads", args=[draft.pk])).content.decode()
    assert "Rosa CV.pdf" in page
    assert str(draft.applicant) in page

    response = client.get(reverse("applications:upload-download", args=[draft.pk, added.pk]))
    assert response["Content-Disposition"].startswith("attachment")
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_a_rejected_upload_on_the_page_says_what_to_do(client, draft):
    client.force_login(draft.applicant)
    response = client.post(
        reverse("applications:uploads", args=[draft.pk]),
        {
            "kind": "other",
            "person": "",
            "file": ContentFile(b"<html><body>hi</body></html>", name="paper.pdf"),
        },
    )
    assert response.status_code == 400
    assert "web page" in response.content.decode()
    assert not ApplicationUpload.objects.exists()
