"""PDF rendering with WeasyPrint, sealed off from the network and the file system.

Templates may reference static files only (fonts, logo, stylesheet), through
`{{ static_base }}` or a path relative to it. Any other URL, a remote one or a local path
outside the static files, is refused before anything is opened.
"""

import urllib.parse
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from urllib.request import DataHandler, Request

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils._os import safe_join
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse, URLFetchingError

STATIC_SCHEME = "portal-static"
STATIC_PREFIX = f"{STATIC_SCHEME}:/"

# urljoin resolves relative references (a stylesheet's url(../fonts/x.woff2), a template's
# href="css/pdf.css") only for schemes it knows to be hierarchical. Without this, such
# references come through unresolved and are refused, and the stylesheet silently does
# not apply.
if STATIC_SCHEME not in urllib.parse.uses_relative:
    urllib.parse.uses_relative.append(STATIC_SCHEME)

_MIME_TYPES = {
    ".css": "text/css",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".svg": "image/svg+xml",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
}


class StaticOnlyURLFetcher(URLFetcher):
    """Resolves `portal-static:/path` (what templates get from `{{ static_base }}`) to a
    static file, decodes inline `data:` URLs, and refuses every other URL (http, https,
    ftp, file …) without opening it."""

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme == "data":
            # Decoded here rather than through urllib's opener, which could also open the
            # network: a data: URL carries its content, nothing is fetched.
            response = DataHandler().data_open(Request(url))  # noqa: S310 - data: only
            return URLFetcherResponse(
                url,
                body=response.read(),
                headers={"Content-Type": response.headers.get("Content-Type", "text/plain")},
            )
        if scheme != STATIC_SCHEME or parts.netloc:
            raise URLFetchingError(f"PDF rendering may load static files only, not {url!r}.")
        path = _static_file(unquote(parts.path).lstrip("/"))
        return URLFetcherResponse(
            url,
            body=path.read_bytes(),
            headers={
                "Content-Type": _MIME_TYPES.get(path.suffix.lower(), "application/octet-stream")
            },
        )


def _static_file(relative: str) -> Path:
    """The file behind a static path, from the static finders or the collected files."""
    if not relative or ".." in Path(relative).parts or "\\" in relative:
        raise URLFetchingError(f"Refused static path {relative!r}.")
    found = finders.find(relative)
    if found:
        return Path(found if isinstance(found, str) else found[0])
    if settings.STATIC_ROOT:
        try:
            candidate = Path(safe_join(str(settings.STATIC_ROOT), relative))
        except ValueError as exc:
            raise URLFetchingError(f"Refused static path {relative!r}.") from exc
        if candidate.is_file():
            return candidate
    raise URLFetchingError(f"No static file {relative!r}.")


def render_pdf(template_name: str, context: dict[str, Any] | None = None) -> bytes:
    """Render a template under templates/pdf/ to PDF bytes.

    The template gets `static_base` to reference static files (`{{ static_base }}css/pdf.css`)
    and `portal_name`. Nothing outside the static files is loaded.
    """
    html = render_to_string(
        template_name,
        {"portal_name": settings.PORTAL_NAME, "static_base": STATIC_PREFIX, **(context or {})},
    )
    return _html_to_pdf(html, STATIC_PREFIX)


def _html_to_pdf(html: str, base_url: str) -> bytes:
    """WeasyPrint's step: lay out `html` and write the PDF, loading static files only.

    The one place WeasyPrint runs, so that the test suite can put a fast stand-in here
    (tests/conftest.py) for every caller of `render_pdf` at once.
    """
    document = HTML(string=html, base_url=base_url, url_fetcher=StaticOnlyURLFetcher())
    pdf: bytes = document.write_pdf()
    return pdf
