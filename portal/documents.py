"""Private documents: content-checked uploads, server-made names, permission-checked reads.

Files live under PRIVATE_DOCUMENT_ROOT, which no URL maps to. The type is decided by
reading the file's first bytes (libmagic), never by its name or the browser's word.
"""

import hashlib
import re
import uuid
from pathlib import PurePath
from typing import IO

import magic
from django.conf import settings
from django.core.files.base import File
from django.core.files.storage import FileSystemStorage
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.functional import LazyObject

from portal.audit import audit_record
from portal.errors import DomainError
from portal.models import Document, User
from portal.roles import Role

# Content type -> extension used for the stored name. Office formats are zip containers and
# libmagic names them precisely; plain text and CSV are accepted for data dictionaries.
ALLOWED_TYPES: dict[str, str] = {
    "application/pdf": "pdf",
    "image/png": "png",
    "image/jpeg": "jpg",
    "text/plain": "txt",
    "text/csv": "csv",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
}
ALLOWED_DESCRIPTION = "PDF, Word (.docx), Excel (.xlsx), PNG, JPEG, CSV or plain text"
_SNIFF_BYTES = 8192


class DocumentRejected(DomainError):
    """The upload is not one the portal keeps; the message says what to send instead."""


class _PrivateStorage(LazyObject):
    def _setup(self) -> None:
        self._wrapped = FileSystemStorage(
            location=settings.PRIVATE_DOCUMENT_ROOT,
            base_url=None,
            file_permissions_mode=0o600,
            directory_permissions_mode=0o700,
        )


private_storage = _PrivateStorage()


def detect_content_type(head: bytes) -> str:
    """The MIME type of a file judged by its content alone."""
    return magic.from_buffer(head, mime=True)


def _clean_display_name(name: str) -> str:
    base = PurePath(name.replace("\\", "/")).name
    base = re.sub(r"[^\w.\- ()]+", "_", base).strip(" .") or "document"
    return base[:200]


def validate_upload(upload: IO[bytes], *, size: int) -> str:
    """Check size and content; return the detected type or raise DocumentRejected."""
    limit = settings.DOCUMENT_MAX_BYTES
    if size == 0:
        raise DocumentRejected("The file is empty. Choose the file again and re-upload it.")
    if size > limit:
        raise DocumentRejected(
            f"The file is {size / 1_048_576:.1f} MB; the limit is {limit / 1_048_576:.0f} MB. "
            "Compress it or split it into parts and upload each."
        )
    upload.seek(0)
    head = upload.read(_SNIFF_BYTES)
    upload.seek(0)
    content_type = detect_content_type(head)
    if content_type not in ALLOWED_TYPES:
        raise DocumentRejected(
            f"This file's content is not an accepted type (it reads as {content_type}). "
            f"Upload a {ALLOWED_DESCRIPTION} file."
        )
    return content_type


@transaction.atomic
def document_store(*, upload: File, owner: User, purpose: str, actor: User) -> Document:
    """Keep an uploaded file in private storage under a server-made name.

    Anyone signed in may upload their own supporting documents; the record and the audit
    event are written together. Raises DocumentRejected for a wrong type or size.
    """
    size = upload.size if upload.size is not None else len(upload.read())
    content_type = validate_upload(upload, size=size)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    stored_name = f"{timezone.now():%Y/%m}/{uuid.uuid4().hex}.{ALLOWED_TYPES[content_type]}"
    # A file whose transaction later rolls back stays on disk without a record; no view
    # can reach it, since downloads go through the Document row.
    saved_name = private_storage.save(stored_name, upload)
    document = Document.objects.create(
        owner=owner,
        purpose=purpose,
        original_name=_clean_display_name(upload.name or "document"),
        stored_name=saved_name,
        content_type=content_type,
        size=size,
        sha256=digest.hexdigest(),
    )
    audit_record(
        actor=actor,
        action="document.upload",
        target=document,
        after={
            "purpose": purpose,
            "content_type": content_type,
            "size": size,
            "sha256": document.sha256,
        },
    )
    return document


def documents_visible_to(*, user: User) -> QuerySet[Document]:
    """The documents `user` may download: their own; auditors and program admins see all.

    Later issues widen this for reviewers and staff on the records a document belongs to.
    """
    qs = Document.objects.all()
    if user.is_superuser or user.has_role(Role.AUDITOR, Role.PROGRAM_ADMIN):
        return qs
    return qs.filter(owner=user)


def document_open(*, document: Document) -> IO[bytes]:
    return private_storage.open(document.stored_name, "rb")
