"""PDF rendering: real PDFs from templates, with a URL fetcher that loads static files and
nothing else. Every test here renders with WeasyPrint (`pdf` marker), and one checks the
stand-in the other tests get instead."""

import base64
import io
import socket
import urllib.request
from pathlib import Path
from urllib.parse import urljoin

import pypdf
import pytest
from django.conf import settings
from weasyprint import HTML
from weasyprint.urls import URLFetchingError

from portal import pdf
from portal.pdf import STATIC_PREFIX, StaticOnlyURLFetcher, render_pdf
from tests.helpers import fake_html_to_pdf, pdf_text

pytestmark = pytest.mark.pdf

PDF_CSS = Path(settings.BASE_DIR) / "static" / "css" / "pdf.css"
# A 1x1 transparent PNG.
PIXEL = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)


def _context(**extra):
    return {
        "title": "Material Transfer Agreement",
        "reference": "APP-2026-0042",
        "prepared_for": "Ada O'Neil",
        "body": "Biospecimens are shipped only after both signatures.",
        **extra,
    }


@pytest.fixture
def fetched(monkeypatch) -> list[tuple[str, str]]:
    """Every URL WeasyPrint asked the fetcher for, with what the fetcher did."""
    calls: list[tuple[str, str]] = []
    real_fetch = StaticOnlyURLFetcher.fetch

    def recording_fetch(self, url, headers=None):
        try:
            response = real_fetch(self, url, headers)
        except URLFetchingError:
            calls.append((url, "refused"))
            raise
        calls.append((url, "loaded"))
        return response

    monkeypatch.setattr(StaticOnlyURLFetcher, "fetch", recording_fetch)
    return calls


@pytest.fixture
def no_network(monkeypatch):
    """Fail the test if anything opens a URL through urllib or a network socket."""
    attempts: list[str] = []

    def refuse_open(self, url, *args, **kwargs):
        attempts.append(getattr(url, "full_url", str(url)))
        pytest.fail(f"urllib tried to open {url!r}")

    def refuse_connect(self, address):
        attempts.append(str(address))
        pytest.fail(f"a socket tried to connect to {address!r}")

    monkeypatch.setattr(urllib.request.OpenerDirector, "open", refuse_open)
    monkeypatch.setattr(socket.socket, "connect", refuse_connect)
    return attempts


# --- Rendering --------------------------------------------------------------------------


def test_render_pdf_makes_a_pdf_whose_text_can_be_extracted(no_network):
    document = render_pdf("pdf/test_document.html", _context())

    assert document.startswith(b"%PDF")
    text = pdf_text(document)
    assert "Material Transfer Agreement" in text
    assert "APP-2026-0042" in text
    assert "Ada O'Neil" in text
    assert "Biospecimens are shipped only after both signatures." in text
    assert no_network == []


def test_the_print_stylesheet_is_loaded_from_static_files_and_applies(fetched, no_network):
    document = render_pdf("pdf/test_document.html", _context())

    assert (f"{STATIC_PREFIX}css/pdf.css", "loaded") in fetched
    text = pdf_text(document)
    # pdf.css hides .screen-only and puts "Page n of m" in the page footer.
    assert "for the screen only" not in text
    assert "Page 1 of 1" in text
    page = pypdf.PdfReader(io.BytesIO(document)).pages[0]
    assert round(float(page.mediabox.width)) == 595  # A4
    assert round(float(page.mediabox.height)) == 842


def test_remote_and_local_file_references_render_but_are_never_fetched(fetched, no_network):
    document = render_pdf(
        "pdf/test_document.html",
        _context(
            images=["http://example.com/x.png", "file:///etc/passwd", "https://example.com/y.png"],
            stylesheets=["https://example.com/evil.css", "file:///etc/passwd"],
        ),
    )

    assert document.startswith(b"%PDF")
    outcomes = dict(fetched)
    for url in (
        "http://example.com/x.png",
        "https://example.com/y.png",
        "https://example.com/evil.css",
        "file:///etc/passwd",
    ):
        assert outcomes[url] == "refused", url
    assert all(outcome == "loaded" for url, outcome in fetched if url.startswith(STATIC_PREFIX))
    assert "root:" not in pdf_text(document)
    assert no_network == []


def test_relative_references_resolve_against_the_static_base(fetched, no_network):
    html = (
        '<link rel="stylesheet" href="css/pdf.css">'
        '<p class="screen-only">hidden by the stylesheet</p><p>shown</p>'
    )

    document = HTML(string=html, base_url=STATIC_PREFIX, url_fetcher=StaticOnlyURLFetcher())
    text = pdf_text(document.write_pdf())

    assert (f"{STATIC_PREFIX}css/pdf.css", "loaded") in fetched
    assert "shown" in text
    assert "hidden by the stylesheet" not in text
    assert urljoin(f"{STATIC_PREFIX}css/pdf.css", "../fonts/a.woff2") == (
        f"{STATIC_PREFIX}fonts/a.woff2"
    )
    # Climbing above the static base stays inside it, where there is no such file.
    climbed = urljoin(f"{STATIC_PREFIX}css/pdf.css", "../../../etc/passwd")
    with pytest.raises(URLFetchingError):
        StaticOnlyURLFetcher().fetch(climbed)


def test_an_inline_data_image_renders_without_the_network(fetched, no_network):
    data_url = "data:image/png;base64," + base64.b64encode(PIXEL).decode()

    document = render_pdf("pdf/test_document.html", _context(images=[data_url]))

    assert document.startswith(b"%PDF")
    assert (data_url, "loaded") in fetched
    assert no_network == []


# --- The fetcher on its own -------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/x.png",
        "https://example.com/x.png",
        "ftp://example.com/x.png",
        "file:///etc/passwd",
        f"file://{PDF_CSS}",
        "portal-static:/../../etc/passwd",
        "portal-static:/css/../../../../etc/passwd",
        "portal-static:/%2e%2e/%2e%2e/etc/passwd",
        "portal-static:/..%5C..%5Cetc%5Cpasswd",
        "portal-static://example.com/css/pdf.css",
        "portal-static:/css/no-such-file.css",
        "portal-static:/",
        "css/pdf.css",
        "/etc/passwd",
    ],
)
def test_the_fetcher_refuses_everything_but_static_files(url, no_network):
    with pytest.raises(URLFetchingError):
        StaticOnlyURLFetcher().fetch(url)
    assert no_network == []


def test_the_fetcher_refuses_files_outside_static_even_if_they_exist(tmp_path, no_network):
    secret = tmp_path / "secret.css"
    secret.write_text("body { color: red }")
    relative = Path("..") / secret.relative_to("/")
    with pytest.raises(URLFetchingError):
        StaticOnlyURLFetcher().fetch(f"{STATIC_PREFIX}{relative}")
    with pytest.raises(URLFetchingError):
        StaticOnlyURLFetcher().fetch(secret.as_uri())


def test_the_fetcher_serves_a_static_file_with_its_type(no_network):
    response = StaticOnlyURLFetcher().fetch(f"{STATIC_PREFIX}css/pdf.css")
    try:
        assert response.content_type == "text/css"
        assert response.read() == PDF_CSS.read_bytes()
    finally:
        response.close()


def test_the_fetcher_falls_back_to_collected_static_files(settings, tmp_path, no_network):
    settings.STATIC_ROOT = tmp_path
    (tmp_path / "img").mkdir()
    (tmp_path / "img" / "collected-only.png").write_bytes(PIXEL)

    response = StaticOnlyURLFetcher().fetch(f"{STATIC_PREFIX}img/collected-only.png")

    assert response.content_type == "image/png"
    assert response.read() == PIXEL
    with pytest.raises(URLFetchingError):
        StaticOnlyURLFetcher().fetch(f"{STATIC_PREFIX}img/../../outside.png")


def test_templates_get_the_static_base(monkeypatch):
    seen = {}
    real = pdf.render_to_string

    def spy(template_name, context=None, *args, **kwargs):
        seen.update(context or {})
        return real(template_name, context, *args, **kwargs)

    monkeypatch.setattr(pdf, "render_to_string", spy)
    render_pdf("pdf/test_document.html", _context())

    assert seen["static_base"] == STATIC_PREFIX
    assert seen["portal_name"] == settings.PORTAL_NAME


# --- The stand-in the other tests get ---------------------------------------------------


def test_the_stand_in_makes_a_pdf_the_document_store_accepts_holding_the_pages_text():
    from django.core.files.base import ContentFile

    from portal.documents import validate_upload

    html = (
        "<html><head><style>p { color: red }</style></head><body>"
        "<h1>Material Transfer Agreement</h1><p>For <strong>Ada O'Neil</strong> (APP-1)</p>"
        "<table><tr><td>José Núñez</td><td>JN</td></tr></table></body></html>"
    )

    document = fake_html_to_pdf(html, STATIC_PREFIX)

    assert document.startswith(b"%PDF-")
    upload = ContentFile(document, name="signed.pdf")
    assert validate_upload(upload, size=len(document)) == "application/pdf"
    assert len(pypdf.PdfReader(io.BytesIO(document)).pages) == 1
    lines = pdf_text(document).splitlines()
    assert lines == [
        "Material Transfer Agreement",
        "For Ada O'Neil (APP-1)",
        "José Núñez",
        "JN",
    ]
