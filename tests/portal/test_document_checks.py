"""Documents the board will open (portal.document_checks): PDF and DOCX only, and neither
may carry anything a reader would run. Every sample is built here; no binary is committed."""

import io
import zipfile

import pytest
from django.core.files.base import ContentFile
from django.test import override_settings
from pypdf import PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, TextStringObject

from applications.demo import demo_pdf
from portal.document_checks import board_document_problems, validate_board_document
from portal.documents import DocumentRejected

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.wordprocessingml.document.main+xml"/>'
    "</Types>"
)
RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="word/document.xml"/></Relationships>'
)
DOCUMENT = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
    "<w:body><w:p><w:r><w:t>Biosketch</w:t></w:r></w:p></w:body></w:document>"
)


def docx(*, types: str = CONTENT_TYPES, document: str = DOCUMENT, extra=()) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("[Content_Types].xml", types)
        package.writestr("_rels/.rels", RELS)
        package.writestr("word/document.xml", document)
        for name, data in extra:
            package.writestr(name, data)
    return out.getvalue()


def pdf_with(change) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    change(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _check(data: bytes, name: str = "file.pdf") -> str:
    upload = ContentFile(data, name=name)
    return validate_board_document(upload, size=len(data))


def test_a_plain_pdf_and_a_plain_docx_pass():
    assert _check(demo_pdf("CV")) == "application/pdf"
    assert (
        board_document_problems(
            docx(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        )
        == []
    )


def test_an_html_page_renamed_pdf_is_refused_by_its_content():
    with pytest.raises(DocumentRejected, match="web page"):
        _check(b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>")


def test_a_png_renamed_pdf_is_refused():
    png = (
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
        b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N"
        b"\x00\x00\x00\x00IEND\xaeB`\x82"
    )
    with pytest.raises(DocumentRejected, match="PDF and Word"):
        _check(png)


def test_a_pdf_with_document_level_javascript_is_refused():
    def name_tree(writer):
        action = DictionaryObject(
            {
                NameObject("/S"): NameObject("/JavaScript"),
                NameObject("/JS"): TextStringObject("app.alert('hello');"),
            }
        )
        scripts = DictionaryObject(
            {NameObject("/Names"): ArrayObject([TextStringObject("hello"), action])}
        )
        writer._root_object[NameObject("/Names")] = DictionaryObject(
            {NameObject("/JavaScript"): scripts}
        )

    data = pdf_with(name_tree)
    with pytest.raises(DocumentRejected, match="runs JavaScript"):
        _check(data)


def test_a_pdf_whose_open_action_runs_javascript_is_refused():
    def open_action(writer):
        writer._root_object[NameObject("/OpenAction")] = DictionaryObject(
            {
                NameObject("/S"): NameObject("/JavaScript"),
                NameObject("/JS"): TextStringObject("app.alert(1)"),
            }
        )

    with pytest.raises(DocumentRejected, match="runs JavaScript"):
        _check(pdf_with(open_action))


def test_a_pdf_with_a_launch_action_is_refused():
    def launch(writer):
        writer._root_object[NameObject("/OpenAction")] = DictionaryObject(
            {
                NameObject("/S"): NameObject("/Launch"),
                NameObject("/F"): TextStringObject("calc.exe"),
            }
        )

    with pytest.raises(DocumentRejected, match="launches a program"):
        _check(pdf_with(launch))


def test_a_pdf_with_an_embedded_file_is_refused():
    data = pdf_with(lambda w: w.add_attachment("payload.exe", b"MZ..."))
    with pytest.raises(DocumentRejected, match="carries other files"):
        _check(data)


def test_a_pdf_hiding_javascript_behind_escaped_names_is_refused():
    data = demo_pdf("x").replace(
        b"/Type /Catalog", b"/Type /Catalog /OpenAction << /S /J#61vaScript >>"
    )
    with pytest.raises(DocumentRejected, match="runs JavaScript"):
        _check(data)


def test_a_pdf_html_polyglot_is_refused():
    data = demo_pdf("CV") + b"\n<html><body><script>alert(document.cookie)</script></body></html>\n"
    with pytest.raises(DocumentRejected, match="web-page markup"):
        _check(data)


def test_a_damaged_pdf_is_refused():
    with pytest.raises(DocumentRejected, match="cannot be read"):
        _check(b"%PDF-1.7\n" + b"\x00garbage" * 200)


def test_a_password_protected_pdf_is_refused():
    data = pdf_with(lambda w: w.encrypt("secret"))
    with pytest.raises(DocumentRejected, match="password"):
        _check(data)


def test_a_macro_carrying_docx_is_refused():
    macro_types = CONTENT_TYPES.replace(
        "document.main+xml",
        'document.main+xml"/><Override PartName="/word/vbaProject.bin" '
        'ContentType="application/vnd.ms-office.vbaProject',
    )
    data = docx(types=macro_types, extra=[("word/vbaProject.bin", b"\xd0\xcf\x11\xe0macros")])
    problems = board_document_problems(
        data, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    assert any("macros" in p for p in problems)


@pytest.mark.parametrize(
    "data",
    [
        docx(document="<w:document><unclosed>"),
        docx(types='<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "boom">]><Types>&e;</Types>'),
        b"PK\x03\x04 not really a zip",
    ],
    ids=["broken XML", "entities", "not a ZIP"],
)
def test_a_malformed_docx_is_refused(data):
    problems = board_document_problems(
        data, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    assert any("not a Word document" in p for p in problems)


def test_a_zip_bomb_is_refused():
    data = docx(extra=[("word/media/big.bin", b"\x00" * (50 * 1024 * 1024))])
    problems = board_document_problems(
        data, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    assert any("ZIP bomb" in p for p in problems)


@override_settings(DOCUMENT_MAX_BYTES=1000)
def test_an_oversized_file_is_refused_with_the_limit():
    with pytest.raises(DocumentRejected, match="the limit is"):
        _check(demo_pdf("x" * 10) + b"%" * 2000)
