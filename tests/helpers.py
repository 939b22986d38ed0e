"""Helpers shared by every app's tests: the program clock, audit events and PDF text.

Dates are program calendar days (settings.TIME_ZONE). `at_noon(day)` turns a day into an
aware moment at noon in the program's zone, so a record made "on" a day lands on that day
whatever the daylight-saving offset; `frozen(moment)` stops the clock there.
"""

import io
import re
from datetime import date, datetime, time
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pypdf
import time_machine
from django.conf import settings
from django.db.models import Model
from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

from portal.actions import AuditAction
from portal.models import AuditEvent

# The program day the tests that need "a fixed today" share (`frozen_today` in conftest).
FROZEN_TODAY = date(2026, 11, 22)


# --- The clock ------------------------------------------------------------------------------


def program_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def at_noon(day: date) -> datetime:
    """Noon on `day` in the program's time zone, as an aware datetime."""
    return datetime.combine(day, time(12), tzinfo=program_zone())


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """`hour:minute` on `day` in the program's time zone, as an aware datetime."""
    return datetime.combine(day, time(hour, minute), tzinfo=program_zone())


def frozen(moment: datetime | date | str) -> time_machine.travel:
    """The clock stopped at `moment`: a context manager (or decorator).

    `with frozen(...) as clock:` gives time-machine's traveller; `clock.shift(seconds)` and
    `clock.move_to(moment)` move the stopped clock on. A bare date means midnight UTC:
    pass `at_noon(day)` for a program day.
    """
    return time_machine.travel(moment, tick=False)


# --- Audit events ---------------------------------------------------------------------------


def audit_events(action: str | AuditAction, *, target: Model | None = None) -> list[AuditEvent]:
    """The audit events of one action (on `target` only, if given), oldest first."""
    events = AuditEvent.objects.filter(action=action)
    if target is not None:
        events = events.filter(target_type=target._meta.label_lower, target_id=str(target.pk))
    return list(events.order_by("id"))


def audit_actions() -> list[str]:
    """Every audit event's action, oldest first."""
    return list(AuditEvent.objects.order_by("id").values_list("action", flat=True))


# --- PDFs -----------------------------------------------------------------------------------


def pdf_text(data: bytes) -> str:
    """The text of every page of a PDF, page after page."""
    reader = pypdf.PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


_BLOCK_TAGS = {
    "address", "article", "aside", "blockquote", "br", "caption", "dd", "div", "dl", "dt",
    "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "ol", "p",
    "pre", "section", "table", "tbody", "td", "tfoot", "th", "thead", "title", "tr", "ul",
}  # fmt: skip


class _VisibleText(HTMLParser):
    """The text a reader would see, one line per block element; no styles or scripts."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"style", "script"}:
            self._hidden += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in {"style", "script"}:
            self._hidden = max(0, self._hidden - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def html_text(html: str) -> list[str]:
    """The visible text of an HTML document, one whitespace-collapsed line per block."""
    parser = _VisibleText()
    parser.feed(html)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    return [line for line in lines if line]


def _pdf_string(line: str) -> bytes:
    raw = line.encode("cp1252", errors="replace")
    return b"(" + re.sub(rb"([\\()])", rb"\\\1", raw) + b")"


def text_pdf(lines: list[str]) -> bytes:
    """A valid one-page PDF (Helvetica, A4) holding `lines`, each as one line of text.

    Lines run past the page's edges when there are many or they are long: they stay in the
    page's text, which is what tests read back (`pdf_text`).
    """
    writer = pypdf.PdfWriter()
    page = writer.add_blank_page(width=595, height=842)
    font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
            NameObject("/Encoding"): NameObject("/WinAnsiEncoding"),
        }
    )
    page[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/Font"): DictionaryObject({NameObject("/F1"): font})}
    )
    content = DecodedStreamObject()
    content.set_data(
        b"BT /F1 9 Tf 11 TL 40 800 Td "
        + b"".join(_pdf_string(line) + b" Tj T* " for line in lines)
        + b"ET"
    )
    page.replace_contents(content)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def fake_html_to_pdf(html: str, base_url: str) -> bytes:
    """Stands in for WeasyPrint (`portal.pdf._html_to_pdf`): the HTML's visible text in a
    small, valid PDF, in milliseconds. No layout, no stylesheet, no page footer."""
    return text_pdf(html_text(html))
