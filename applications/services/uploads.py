"""Supplementary uploads (policy 2.3): proof of funding, CVs or biosketches, a justification
document, other supporting documents. PDF and DOCX only, checked by content and for what a
board member's reader would run (`portal.document_checks`); a replaced upload keeps its
history."""

from django.core.files.base import File
from django.db import transaction
from django.utils import timezone

from applications.actions import ApplicationAction
from applications.models import Application, ApplicationUpload
from applications.services.drafting import _locked_editable
from portal.audit import audit_record
from portal.document_checks import validate_board_document
from portal.documents import document_store
from portal.errors import DomainError
from portal.models import User
from portal.permissions import ensure_can


@transaction.atomic
def application_upload_add(
    *,
    application: Application,
    kind: str,
    upload: "File[bytes]",
    actor: User,
    person: User | None = None,
    replaces: ApplicationUpload | None = None,
) -> ApplicationUpload:
    """The principal investigator or a team member adds a document to the package while it
    can be changed. A CV names whose it is (`person`: the applicant or a team member).
    `replaces` marks an earlier upload as replaced by this one; it stays listed in the
    history. Refused with a message that says what to send instead for anything but a clean
    PDF or DOCX. Audited as `application_upload.add` (the stored document's own
    `document.upload` event is written too)."""
    if (
        application.status == Application.Status.CONDITIONALLY_APPROVED
        and kind == ApplicationUpload.Kind.FUNDING_PROOF
    ):
        # Policy 2.3: approved on condition of funding; the proof comes after the decision
        # and staff accept it (review.services.decisions.funding_accept).
        application = Application.objects.select_for_update().get(pk=application.pk)
        ensure_can(actor, "application.upload", application)
        if application.status != Application.Status.CONDITIONALLY_APPROVED:
            raise DomainError("The application changed meanwhile: reload the page.")
    else:
        application = _locked_editable(application, actor=actor, action="application.upload")
    if kind not in ApplicationUpload.Kind.values:
        raise DomainError("Choose what the document is from the list.")
    if kind == ApplicationUpload.Kind.CV:
        person = person or actor
        on_team = application.team.filter(user=person, removed_at__isnull=True).exists()
        if person.pk != application.applicant_id and not on_team:
            raise DomainError("A CV or biosketch must be the applicant's or a team member's.")
    else:
        person = None
    size = upload.size if upload.size is not None else len(upload.read())
    validate_board_document(upload, size=size)
    if replaces is not None:
        replaces = ApplicationUpload.objects.select_for_update().get(
            pk=replaces.pk, application=application
        )
        if replaces.replaced_by_id is not None:
            raise DomainError("That document was already replaced; replace the newer one.")
    document = document_store(
        upload=upload, owner=actor, purpose=f"application:{kind}", actor=actor
    )
    added = ApplicationUpload.objects.create(
        application=application,
        kind=kind,
        person=person,
        document=document,
        uploaded_by=actor,
        uploaded_at=timezone.now(),
    )
    if replaces is not None:
        replaces.replaced_by = added
        replaces.save(update_fields=["replaced_by"])
    audit_record(
        actor=actor,
        action=ApplicationAction.UPLOAD_ADD,
        target=application,
        after={
            "upload": added.pk,
            "kind": kind,
            "person": person.pk if person else None,
            "sha256": document.sha256,
            "replaces": replaces.pk if replaces else None,
        },
    )
    return added
