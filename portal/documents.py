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
from django.core.signals import setting_changed
from django.db import transaction
from django.db.models import QuerySet
from django.dispatch import receiver
from django.utils import timezone
from django.utils.functional import LazyObject, empty

from portal.actions import PortalAction
from portal.audit import audit_record
from portal.errors import DomainError
from portal.models import Document, User
from portal.permissions import can, ensure_can

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
# File-name extensions that may stay on the display name for each type; any other is
# replaced, so that a PDF uploaded as "report.exe" downloads as "report.pdf".
_DISPLAY_EXTENSIONS: dict[str, frozenset[str]] = {
    "image/jpeg": frozenset({"jpg", "jpeg"}),
    "text/plain": frozenset({"txt", "text", "csv", "tsv", "md"}),
    "text/csv": frozenset({"csv", "txt"}),
}
_SNIFF_BYTES = 8192
# Plain words for types people upload by mistake, for the refusal message.
_TYPE_WORDS: dict[str, str] = {
    "application/x-dosexec": "a Windows program",
    "application/vnd.microsoft.portable-executable": "a Windows program",
    "application/x-msdownload": "a Windows program",
    "application/x-executable": "a program",
    "application/x-pie-executable": "a program",
    "application/x-sharedlib": "a program library",
    "application/x-mach-binary": "a program",
    "text/x-shellscript": "a script",
    "text/html": "a web page (HTML)",
    "image/svg+xml": "an SVG image",
    "application/zip": "a ZIP archive",
    "application/x-7z-compressed": "a 7-Zip archive",
    "application/x-rar": "a RAR archive",
    "application/gzip": "a compressed archive",
    "application/msword": "an old-format Word document (.doc; save it as .docx)",
    "application/vnd.ms-excel": "an old-format Excel workbook (.xls; save it as .xlsx)",
}


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


@receiver(setting_changed)
def _private_root_changed(*, setting: str, **kwargs: object) -> None:
    # Tests point PRIVATE_DOCUMENT_ROOT at a temporary directory.
    if setting == "PRIVATE_DOCUMENT_ROOT":
        private_storage._wrapped = empty  # type: ignore[assignment]


def detect_content_type(head: bytes) -> str:
    """The MIME type of a file judged by its content alone."""
    return magic.from_buffer(head, mime=True)


def _clean_display_name(name: str, *, content_type: str) -> str:
    """The uploader's base name, without path or odd characters, ending in an extension
    that matches the content."""
    base = PurePath(name.replace("\\", "/")).name
    base = re.sub(r"[^\w.\- ()]+", "_", base).strip(" .") or "document"
    stem, dot, extension = base.rpartition(".")
    extension = extension.lower() if dot else ""
    canonical = ALLOWED_TYPES[content_type]
    if extension not in _DISPLAY_EXTENSIONS.get(content_type, frozenset({canonical})):
        stem = stem if dot and stem else base
        extension = canonical
    return f"{stem[:190]}.{extension}"


def _described(content_type: str) -> str:
    words = _TYPE_WORDS.get(content_type)
    return f"{words} ({content_type})" if words else content_type


_KB = 1024
_MB = 1024 * 1024


def _readable_size(size: int) -> str:
    if size < _KB:
        return f"{size} bytes"
    if size < _MB:
        return f"{size / _KB:.1f} KB"
    return f"{size / _MB:.1f} MB"


def validate_upload(upload: IO[bytes], *, size: int) -> str:
    """Check size and content; return the detected type or raise DocumentRejected."""
    limit = settings.DOCUMENT_MAX_BYTES
    if size == 0:
        raise DocumentRejected("The file is empty. Choose the file again and re-upload it.")
    if size > limit:
        raise DocumentRejected(
            f"The file is {_readable_size(size)}; the limit is {_readable_size(limit)}. "
            "Compress it or split it into parts and upload each."
        )
    upload.seek(0)
    head = upload.read(_SNIFF_BYTES)
    upload.seek(0)
    content_type = detect_content_type(head)
    if content_type not in ALLOWED_TYPES:
        raise DocumentRejected(
            f"This file is not a type the portal accepts: its content reads as "
            f"{_described(content_type)}, whatever its name says. "
            f"Upload a {ALLOWED_DESCRIPTION} file."
        )
    return content_type


@transaction.atomic
def document_store(*, upload: File, owner: User, purpose: str, actor: User) -> Document:
    """Keep an uploaded file in private storage under a server-made name.

    Anyone signed in may upload their own supporting documents; staff may also file one
    for someone else. The record and the audit event are written together. Raises
    DocumentRejected for a wrong type or size, PermissionRefused for someone else's file.
    """
    ensure_can(actor, "document.upload", owner)
    size = upload.size if upload.size is not None else len(upload.read())
    content_type = validate_upload(upload, size=size)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    stored_name = f"{timezone.now():%Y/%m}/{uuid.uuid4().hex}.{ALLOWED_TYPES[content_type]}"
    saved_name = private_storage.save(stored_name, upload)
    try:
        document = Document.objects.create(
            owner=owner,
            purpose=purpose,
            original_name=_clean_display_name(upload.name or "document", content_type=content_type),
            stored_name=saved_name,
            content_type=content_type,
            size=size,
            sha256=digest.hexdigest(),
        )
        audit_record(
            actor=actor,
            action=PortalAction.DOCUMENT_UPLOAD,
            target=document,
            after={
                "purpose": purpose,
                "original_name": document.original_name,
                "content_type": content_type,
                "size": size,
                "sha256": document.sha256,
            },
        )
    except BaseException:
        private_storage.delete(saved_name)
        raise
    # If the caller's transaction rolls back later, the file stays on disk without a
    # record; no view can reach it, since downloads go through the Document row.
    return document


def documents_visible_to(*, user: User) -> QuerySet[Document]:
    """The documents `user` may download: their own; auditors and program admins see all.

    Later issues widen this for reviewers and staff on the records a document belongs to.
    """
    qs = Document.objects.all()
    if can(user, "records.read_all"):
        return qs
    return qs.filter(owner=user)


def document_open(*, document: Document) -> IO[bytes]:
    return private_storage.open(document.stored_name, "rb")
