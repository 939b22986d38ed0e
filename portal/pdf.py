"""PDF rendering with WeasyPrint, sealed off from the network and the file system.

Templates may reference static files only (fonts, logo, stylesheet). Any other URL, a
remote one or a local path outside the static files, is refused.
"""

from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse, URLFetchingError

STATIC_PREFIX = "portal-static:/"


class StaticOnlyURLFetcher(URLFetcher):
    """Resolves `portal-static:/path` (what templates get from `{{ static_base }}`) to a
    static file and refuses every other URL."""

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        parts = urlsplit(url)
        if parts.scheme == "data":
            return super().fetch(url, headers)
        if parts.scheme != "portal-static":
            raise URLFetchingError(f"PDF rendering may load static files only, not {url!r}.")
        relative = unquote(parts.path).lstrip("/")
        if ".." in Path(relative).parts:
            raise URLFetchingError(f"Refused path {relative!r}.")
        found = finders.find(relative)
        if not found:
            raise URLFetchingError(f"No static file {relative!r}.")
        path = Path(found if isinstance(found, str) else found[0])
        return URLFetcherResponse(
            url, body=path.read_bytes(), headers={"Content-Type": _mime(path)}
        )


def _mime(path: Path) -> str:
    return {
        ".css": "text/css",
        ".png": "image/png",
        ".jpg": "image/jpeg",
        ".svg": "image/svg+xml",
        ".woff2": "font/woff2",
        ".woff": "font/woff",
        ".ttf": "font/ttf",
    }.get(path.suffix.lower(), "application/octet-stream")


def render_pdf(template_name: str, context: dict[str, Any] | None = None) -> bytes:
    """Render a template under templates/pdf/ to PDF bytes."""
    html = render_to_string(
        template_name,
        {"portal_name": settings.PORTAL_NAME, "static_base": STATIC_PREFIX, **(context or {})},
    )
    document = HTML(string=html, base_url=STATIC_PREFIX, url_fetcher=StaticOnlyURLFetcher())
    return document.write_pdf()
