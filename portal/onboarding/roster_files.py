"""The Controlled Tier roster: who the Researcher Workbench says is authorized (policy 2.1).

Controlled Tier authorization is never self-reported. A program admin imports the
Workbench's roster (a page, or `manage.py import_controlled_tier_roster`); a researcher
matches an entry by a verified email address (see `selectors.access_records_for_users`).
This module reads and checks a roster and writes nothing; `roster_import` and
`roster_refresh` in `portal.onboarding.services.roster` record it.

Where a roster comes from is a `RosterSource`. Today that is `CsvRosterSource`, a CSV file
exported from the Workbench. A live Workbench API would be a second implementation of the
same protocol, for example::

    class WorkbenchApiRosterSource:
        name = "Researcher Workbench API"

        def read(self) -> list[dict[str, str]]:
            # Fetch the Controlled Tier users and return one dict per user with the keys
            # "email", "workbench_username" and "access_expires_on" (YYYY-MM-DD).
            ...

Its rows go through the same validation as a file's lines, and `roster_import` stays as it
is. A scheduled refresh would call `roster_import(source=WorkbenchApiRosterSource(),
actor=None)` from `portal/onboarding/tasks.py`.

A roster with any bad line imports nothing: `roster_import` raises `RosterInvalid`, which
lists every bad line with its number and the reason, so the admin can fix the whole file
at once.
"""

import csv
import hashlib
import io
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from os import PathLike
from pathlib import Path
from typing import IO, Protocol, runtime_checkable

import magic
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import validate_email

from portal.errors import DomainError

COLUMNS = ("email", "workbench_username", "access_expires_on")
REQUIRED_COLUMNS = ("email", "access_expires_on")
EMAIL_MAX_LENGTH = 254
USERNAME_MAX_LENGTH = 150
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

# What a source hands back: the raw bytes of a CSV file, or rows already split into fields.
RosterContent = bytes | Sequence[Mapping[str, str]]


@runtime_checkable
class RosterSource(Protocol):
    """Where a roster comes from. `name` is recorded on the import; `read` gives its content."""

    name: str

    def read(self) -> RosterContent: ...


class CsvRosterSource:
    """A CSV file exported from the Researcher Workbench: a path, or an uploaded file."""

    def __init__(
        self, file: str | PathLike[str] | UploadedFile | IO[bytes], *, name: str | None = None
    ) -> None:
        self._file = file
        if name is None:
            if isinstance(file, str | PathLike):
                name = Path(file).name
            else:
                name = Path(getattr(file, "name", None) or "roster.csv").name
        self.name = name[:200]

    def read(self) -> bytes:
        if isinstance(self._file, str | PathLike):
            return Path(self._file).read_bytes()
        if hasattr(self._file, "seek"):
            self._file.seek(0)
        data = self._file.read()
        return data.encode() if isinstance(data, str) else bytes(data)


@dataclass(frozen=True)
class RosterRow:
    line: int
    email: str
    workbench_username: str
    access_expires_on: date


@dataclass(frozen=True)
class RosterProblem:
    """One bad line: its number (1 is the header) and every reason it is bad."""

    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


class RosterInvalid(DomainError):
    """The roster has bad lines; nothing was imported. `problems` lists every one."""

    def __init__(self, problems: Sequence[RosterProblem]) -> None:
        self.problems = list(problems)
        count = len(self.problems)
        super().__init__(
            f"Nothing was imported: the roster has {count} bad line{'s' if count != 1 else ''}. "
            "Correct every line listed and import the whole file again."
        )


# A cell a spreadsheet would run as a formula when the roster is opened there.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
NOT_TEXT_MESSAGE = (
    "the file is not a CSV text file (its content reads as {kind}); export the roster from "
    "the Researcher Workbench as CSV, UTF-8 encoded, and import that file"
)


def _not_text(content: bytes) -> str | None:
    """What the content reads as when it is not text (an image, a workbook…), else None."""
    sample = content[:8192]
    if not sample:
        return None
    kind = str(magic.from_buffer(sample, mime=True))
    if b"\x00" in sample or not (kind.startswith("text/") or kind in _TEXT_KINDS):
        return kind
    return None


_TEXT_KINDS = frozenset({"application/csv", "application/x-empty", "inode/x-empty"})


def _decode(content: bytes) -> tuple[str, list[RosterProblem]]:
    """The text of the file; lines that are not UTF-8 are reported and blanked out.

    A file that is not text at all (a PNG renamed .csv, a spreadsheet) is refused with one
    message, not one per line.
    """
    kind = _not_text(content)
    if kind is not None:
        raise RosterInvalid([RosterProblem(1, NOT_TEXT_MESSAGE.format(kind=kind))])
    if content.startswith(b"\xef\xbb\xbf"):
        content = content[3:]
    try:
        return content.decode("utf-8"), []
    except UnicodeDecodeError:
        pass
    problems = []
    lines = []
    for number, raw in enumerate(content.split(b"\n"), start=1):
        try:
            lines.append(raw.decode("utf-8"))
        except UnicodeDecodeError:
            problems.append(
                RosterProblem(
                    number, "is not UTF-8 text (save the file as CSV, UTF-8 encoded, and retry)"
                )
            )
            lines.append("")  # already reported; left blank so line numbers still match
    return "\n".join(lines), problems


def _formula_reasons(fields: Mapping[str, str]) -> list[str]:
    return [
        f"{name} starts with '{value.strip()[:1]}', which a spreadsheet would run as a "
        "formula; remove it"
        for name, value in fields.items()
        if name in COLUMNS and value and value.lstrip(" ").startswith(FORMULA_PREFIXES)
    ]


def _check_fields(fields: Mapping[str, str], *, line: int) -> tuple[RosterRow | None, list[str]]:
    reasons = []
    email = (fields.get("email") or "").strip()
    username = (fields.get("workbench_username") or "").strip()
    expires_text = (fields.get("access_expires_on") or "").strip()
    if not email:
        reasons.append("email is missing")
    else:
        try:
            validate_email(email)
        except ValidationError:
            reasons.append(f"email '{email}' is not a valid email address")
        else:
            if len(email) > EMAIL_MAX_LENGTH:
                reasons.append(f"email is longer than {EMAIL_MAX_LENGTH} characters")
    if len(username) > USERNAME_MAX_LENGTH:
        reasons.append(f"workbench_username is longer than {USERNAME_MAX_LENGTH} characters")
    expires: date | None = None
    if not expires_text:
        reasons.append("access_expires_on is missing (use YYYY-MM-DD)")
    else:
        try:
            if not _ISO_DATE.fullmatch(expires_text):
                raise ValueError(expires_text)
            expires = date.fromisoformat(expires_text)
        except ValueError:
            reasons.append(f"access_expires_on '{expires_text}' is not a date (use YYYY-MM-DD)")
    if reasons or expires is None:
        return None, reasons
    return RosterRow(line, email.lower(), username, expires), []


def _check_rows(
    numbered: Sequence[tuple[int, Mapping[str, str]]], problems: list[RosterProblem]
) -> list[RosterRow]:
    rows: list[RosterRow] = []
    first_seen: dict[str, int] = {}
    for line, fields in numbered:
        formulas = _formula_reasons(fields)
        row, reasons = (None, formulas) if formulas else _check_fields(fields, line=line)
        email = (fields.get("email") or "").strip().lower()
        if email and email in first_seen:
            reasons.append(f"email '{email}' is listed again (first on line {first_seen[email]})")
        elif email:
            first_seen[email] = line
        if reasons:
            problems.append(RosterProblem(line, "; ".join(reasons)))
        elif row is not None:
            rows.append(row)
    return rows


def _is_blank(record: Sequence[str]) -> bool:
    return all(not field.strip() for field in record)


def _csv_records(text: str, problems: list[RosterProblem]) -> list[tuple[int, list[str]]]:
    """Each CSV record with the line it starts on; RosterInvalid at the first broken quote."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records: list[tuple[int, list[str]]] = []
    previous_end = 0
    try:
        for record in reader:
            records.append((previous_end + 1, record))
            previous_end = reader.line_num
    except csv.Error as error:
        problems.append(
            RosterProblem(
                previous_end + 1,
                f"cannot be read as CSV ({error}); check the quotation marks on this line",
            )
        )
        raise RosterInvalid(sorted(problems, key=lambda p: p.line)) from error
    return records


def _header_problem(columns: list[str], *, line: int) -> RosterProblem | None:
    """What is wrong with the header line, if anything: missing or repeated columns."""
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    repeated = sorted({c for c in columns if c and columns.count(c) > 1})
    if not (missing or repeated):
        return None
    reasons = []
    if missing:
        reasons.append(
            f"the header lacks the column{'s' if len(missing) > 1 else ''} " + ", ".join(missing)
        )
    if repeated:
        reasons.append("the header repeats the column " + ", ".join(repeated))
    reasons.append("the first line must be the header email,workbench_username,access_expires_on")
    return RosterProblem(line, "; ".join(reasons))


def parse_roster_csv(content: bytes) -> list[RosterRow]:
    """The rows of a roster CSV, or RosterInvalid listing every bad line.

    The first line is a header naming the columns email, workbench_username (optional)
    and access_expires_on, in any order; other columns are ignored. A byte-order mark and
    blank lines at the end are tolerated; a blank line between entries is an error.
    """
    text, problems = _decode(content)
    records = _csv_records(text, problems)
    reported = {p.line for p in problems}
    # Blank lines at the end are ignored.
    while records and _is_blank(records[-1][1]) and records[-1][0] not in reported:
        records.pop()
    if not records:
        raise RosterInvalid(
            problems
            or [
                RosterProblem(
                    1,
                    "the file is empty; the first line must be the header "
                    "email,workbench_username,access_expires_on",
                )
            ]
        )

    header_line, header = records[0]
    columns = [name.strip().lower() for name in header]
    header_problem = _header_problem(columns, line=header_line)
    if header_line not in reported and header_problem is not None:
        problems.append(header_problem)
        raise RosterInvalid(sorted(problems, key=lambda p: p.line))

    numbered: list[tuple[int, Mapping[str, str]]] = []
    for line, record in records[1:]:
        if line in reported:
            continue
        if _is_blank(record):
            problems.append(RosterProblem(line, "is blank; remove blank lines between entries"))
            continue
        if len(record) != len(columns):
            problems.append(
                RosterProblem(
                    line,
                    f"has {len(record)} field{'s' if len(record) != 1 else ''} but the header "
                    f"has {len(columns)}; check for a missing or extra comma",
                )
            )
            continue
        numbered.append((line, dict(zip(columns, record, strict=True))))
    rows = _check_rows(numbered, problems)
    if not problems and not rows:
        problems.append(
            RosterProblem(
                header_line + 1, "the roster lists nobody; it must list at least one user"
            )
        )
    if problems:
        raise RosterInvalid(sorted(problems, key=lambda p: p.line))
    return rows


def parse_roster_rows(records: Sequence[Mapping[str, str]]) -> list[RosterRow]:
    """Rows handed over already split (a live source); record N is reported as line N."""
    problems: list[RosterProblem] = []
    rows = _check_rows(list(enumerate(records, start=1)), problems)
    if not problems and not rows:
        problems.append(RosterProblem(1, "the roster lists nobody; it must list at least one user"))
    if problems:
        raise RosterInvalid(problems)
    return rows


def roster_digest(content: RosterContent) -> str:
    """SHA-256 of a roster's content: the bytes of a file, or a canonical JSON of rows."""
    if isinstance(content, bytes):
        return hashlib.sha256(content).hexdigest()
    canonical = json.dumps([dict(r) for r in content], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()
