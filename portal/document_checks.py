"""Deeper checks for documents that review-board members will open: PDF and DOCX only, and
neither may carry something a reader would run.

`portal.documents.validate_upload` decides the type by content (libmagic). That is not
enough for a file the board opens: a PDF may run JavaScript or launch a program when
opened, carry other files inside it, or also parse as a web page (a PDF/HTML polyglot); a
Word file may carry macros or not be an Office Open XML package at all. The PDF is read with
pypdf, and its raw bytes are scanned as well, since objects can hide in streams the parser
does not visit; the DOCX is read as the ZIP package it must be, with bounds against zip bombs.
"""

import io
import re
import zipfile
from typing import IO, Any
from xml.etree import ElementTree

from pypdf import PdfReader
from pypdf.errors import PdfReadError
from pypdf.generic import DictionaryObject, IndirectObject

from portal.documents import DocumentRejected, validate_upload

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
BOARD_TYPES = frozenset({PDF, DOCX})
REPRINT = "Print it to a new PDF (File, Print, Save as PDF) and upload that copy."

# Names a PDF uses for actions and attachments, written plainly or with #xx escapes.
_PDF_RISKS = {
    "JavaScript": "runs JavaScript when opened",
    "JS": "runs JavaScript when opened",
    "Launch": "launches a program when opened",
    "EmbeddedFile": "carries other files inside it",
    "EmbeddedFiles": "carries other files inside it",
    "RichMedia": "carries embedded media that runs code",
    "XFA": "holds an XFA form, which runs scripts",
}
_NAME = re.compile(rb"/((?:[A-Za-z0-9]|#[0-9A-Fa-f]{2})+)")
# Markup a browser sniffing the bytes would render as a web page.
_HTML = re.compile(
    rb"<\s*(?:!doctype\s+html|html|head|body|script|iframe|object|embed|svg|img|meta|style|"
    rb"form)",
    re.IGNORECASE,
)
_HTML_SNIFF_BYTES = 1024 * 1024

# A DOCX is a ZIP package: bounds that no real document reaches.
_MAX_ENTRIES = 2000
_MAX_UNCOMPRESSED = 200 * 1024 * 1024
_MAX_RATIO = 200
_MACRO_PARTS = re.compile(r"(?i)(vbaProject\.bin|vbaData\.xml|\.bin$|activeX/)")
_DOCM_TYPES = ("macroEnabled", "vbaProject", "activeX")


def _unescaped(name: bytes) -> str:
    return re.sub(rb"#([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), name).decode(
        "latin-1"
    )


def _pdf_byte_risks(data: bytes) -> set[str]:
    return {_PDF_RISKS[n] for n in (_unescaped(m) for m in _NAME.findall(data)) if n in _PDF_RISKS}


def _entry_risks(name: str, value: str) -> set[str]:
    """Risks one dictionary entry names: a risky key, an action type, an attachment."""
    risks = {_PDF_RISKS[name]} if name in _PDF_RISKS else set()
    if name == "S" and value.lstrip("/") in _PDF_RISKS:
        risks.add(_PDF_RISKS[value.lstrip("/")])
    if name == "Subtype" and value == "/FileAttachment":
        risks.add(_PDF_RISKS["EmbeddedFile"])
    return risks


def _walk(value: Any, seen: set[int], found: set[str], depth: int = 0) -> None:
    """Every dictionary reachable from `value`, looking for risky keys and action types."""
    if depth > 60:  # noqa: PLR2004  # deeper than any real document nests
        return
    if isinstance(value, IndirectObject):
        if value.idnum in seen:
            return
        seen.add(value.idnum)
        value = value.get_object()
    if isinstance(value, DictionaryObject):
        for key, item in value.items():
            found.update(_entry_risks(str(key).lstrip("/"), str(item)))
            _walk(item, seen, found, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _walk(item, seen, found, depth + 1)


def pdf_problems(data: bytes) -> list[str]:
    """What makes this PDF unsafe for the board to open, in the uploader's words."""
    found = _pdf_byte_risks(data)
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            return [
                "This PDF is protected by a password, so the board could not read it. Save a "
                "copy without the password and upload that."
            ]
        _walk(reader.trailer, set(), found)
        if not reader.pages:
            return ["This PDF has no pages. Upload the document itself."]
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return [
            "This file says it is a PDF but cannot be read as one: it may be damaged. " + REPRINT
        ]
    return [
        f"This PDF {risk}, which the board's readers must not run. {REPRINT}"
        for risk in sorted(found)
    ]


def html_problem(data: bytes) -> str | None:
    """A refusal if the bytes also read as a web page (a polyglot) a browser would render."""
    if _HTML.search(data[:_HTML_SNIFF_BYTES]):
        return (
            "This file also contains web-page markup (HTML), which a browser could run as a "
            "page. " + REPRINT
        )
    return None


def _package_types(package: zipfile.ZipFile, names: set[str]) -> bytes | None:
    """The package's content types, if it is a well-formed Word package; None otherwise."""
    if "[Content_Types].xml" not in names or "word/document.xml" not in names:
        return None
    try:
        types = package.read("[Content_Types].xml")
        document = package.read("word/document.xml")
        for part in (types, document):
            if b"<!DOCTYPE" in part or b"<!ENTITY" in part:
                return None
            ElementTree.fromstring(part)  # noqa: S314  # no DOCTYPE or entities, checked above
    except (ElementTree.ParseError, KeyError, zipfile.BadZipFile, OSError):
        return None
    return types


def docx_problems(data: bytes) -> list[str]:
    """What makes this Word file unsafe or unreadable, in the uploader's words."""
    not_docx = (
        "This file is not a Word document the portal can read (a .docx file). Open it in your "
        "word processor and save it again as a Word document (.docx), or as a PDF."
    )
    try:
        package = zipfile.ZipFile(io.BytesIO(data))
        entries = package.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return [not_docx]
    total = sum(entry.file_size for entry in entries)
    if (
        len(entries) > _MAX_ENTRIES
        or total > _MAX_UNCOMPRESSED
        or total > _MAX_RATIO * max(len(data), 1)
    ):
        return [
            "This file unpacks to far more than its size (it may be a ZIP bomb). Save the "
            "document again from your word processor, or as a PDF."
        ]
    names = {entry.filename for entry in entries}
    types = _package_types(package, names)
    if types is None:
        return [not_docx]
    if any(_MACRO_PARTS.search(name) for name in names) or any(
        marker.encode() in types for marker in _DOCM_TYPES
    ):
        return [
            "This Word file carries macros, which the board's computers must not run. Save it "
            "as a Word document without macros (.docx) or as a PDF, and upload that."
        ]
    return []


def board_document_problems(data: bytes, content_type: str) -> list[str]:
    """Every reason the board must not be given this file (empty: it is fine)."""
    if content_type not in BOARD_TYPES:
        return ["Upload a PDF or a Word (.docx) file."]
    problems = pdf_problems(data) if content_type == PDF else docx_problems(data)
    markup = html_problem(data) if content_type == PDF else None
    return problems + ([markup] if markup else [])


def validate_board_document(upload: IO[bytes], *, size: int) -> str:
    """The upload's content type if the board may be given it; otherwise DocumentRejected
    with every reason and what to do. Checks the type by content first (`validate_upload`),
    then allows only PDF and DOCX, then reads the whole file."""
    content_type = validate_upload(upload, size=size)
    if content_type not in BOARD_TYPES:
        raise DocumentRejected(
            "The board accepts PDF and Word (.docx) files only. Save the document as a PDF and "
            "upload that."
        )
    upload.seek(0)
    data = upload.read()
    upload.seek(0)
    problems = board_document_problems(data, content_type)
    if problems:
        raise DocumentRejected(" ".join(problems))
    return content_type
