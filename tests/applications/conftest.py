"""Fixtures for the application package: a draft, and a package complete enough to submit."""

import hashlib
import uuid
from decimal import Decimal

import pytest
from django.utils import timezone

from applications.models import Application, ApplicationUpload, TemplateVersion
from applications.sections import sections_from_data
from applications.services import (
    LineInput,
    application_details_save,
    application_section_save,
    application_start,
    ensure_first_template_version,
    specimen_line_add,
)
from portal.models import Document, User

COMPLETE_DETAILS = {
    "title": "Inflammation markers and sleep",
    "public_summary": "We study how sleep relates to markers of inflammation in blood.",
    "funding_source": Application.FundingSource.PUBLIC,
    "funding_status": Application.FundingStatus.SECURED,
    "recontact_requested": False,
    "derivatives_acknowledged": True,
    "fee_acknowledged": True,
}

PLASMA = LineInput(
    specimen_type="plasma",
    volume_per_aliquot=Decimal("0.5"),
    unit="ml",
    aliquots_per_participant=2,
    participants=400,
    justification="Two aliquots: one for the cytokine panel, one held for replication.",
)


def stored_document(owner: User, name: str = "cv.pdf") -> Document:
    """A document row as the storage writes it, without a file (the checks of the upload
    service have their own tests)."""
    return Document.objects.create(
        owner=owner,
        purpose="application:test",
        original_name=name,
        stored_name=f"test/{uuid.uuid4().hex}.pdf",
        content_type="application/pdf",
        size=1234,
        sha256=hashlib.sha256(name.encode()).hexdigest(),
    )


def add_upload(application: Application, kind: str, person: User | None = None) -> None:
    ApplicationUpload.objects.create(
        application=application,
        kind=kind,
        person=person,
        document=stored_document(application.applicant, f"{kind}.pdf"),
        uploaded_by=application.applicant,
        uploaded_at=timezone.now(),
    )


def complete(application: Application) -> Application:
    """Fill every required part of the package (the applicant must be eligible)."""
    actor = application.applicant
    application = application_details_save(
        application=application, changes=COMPLETE_DETAILS, actor=actor
    )
    for spec in sections_from_data(application.template_version.sections):
        if spec.shown_when is None:
            application_section_save(
                application=application,
                key=spec.key,
                text=f"Answer to {spec.title}.",
                base_revision=0,
                actor=actor,
            )
    specimen_line_add(application=application, line=PLASMA, actor=actor)
    add_upload(application, ApplicationUpload.Kind.FUNDING_PROOF)
    add_upload(application, ApplicationUpload.Kind.CV, person=actor)
    return Application.objects.get(pk=application.pk)


@pytest.fixture
def template_version(db) -> TemplateVersion:
    """Version 1, loaded by migration 0002 (and again after a flush: tests/conftest.py)."""
    return ensure_first_template_version()


@pytest.fixture
def draft(eligible_researcher, template_version) -> Application:
    return application_start(actor=eligible_researcher, title="Inflammation markers and sleep")


@pytest.fixture
def complete_draft(draft) -> Application:
    return complete(draft)
