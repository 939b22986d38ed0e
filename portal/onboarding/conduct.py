"""The Biospecimen Access Code of Conduct: versions, signatures and their verification.

A version is published once and never edited; its SHA-256 is taken over a canonical JSON of
its title, body and statements. A signature records that hash, so altering a version's
stored text afterwards makes every signature on it fail verification. Every signature is
kept: signing again adds a row, it never replaces one (DESIGN: Signatures; policy 1.1, 2.1).

Which version is to be signed, and which older ones still hold, is named in settings
(CODE_OF_CONDUCT_LATEST, CODE_OF_CONDUCT_ACCEPTED), not by publishing.
"""

import hashlib
import ipaddress
import json
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from portal.audit import audit_record
from portal.documents import document_store
from portal.errors import DomainError, PermissionRefused
from portal.models import CodeOfConductSignature, CodeOfConductVersion, User
from portal.notifications import notify
from portal.onboarding.eligibility import ANNUAL_VALIDITY
from portal.onboarding.selectors import code_of_conduct_policy, program_date
from portal.pdf import render_pdf
from portal.roles import Role

DEFAULT_VERSION = "2026.1"
DEFAULT_TITLE = "Biospecimen Access Code of Conduct"
SIGNED_COPY_PURPOSE = "code_of_conduct_signature"
TEXTS_DIR = Path(__file__).resolve().parent / "conduct_texts"
VERSION_LABEL = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._-]{0,19}$")
MAX_INITIALS = 4
WRONG_PASSWORD = "The password is not correct. Re-enter the password you sign in with."  # noqa: S105


class CodeOfConductVersionExists(DomainError):
    """A version with this label is already published (versions are never replaced)."""


class SignatureRefused(DomainError):
    """The signature form has problems; `problems` maps each form field to what to fix."""

    def __init__(self, problems: Mapping[str, str]) -> None:
        self.problems = dict(problems)
        super().__init__(
            "Nothing was signed. " + " ".join(self.problems.values()) if problems else ""
        )


# --- Content and its hash ---------------------------------------------------------------


def signature_meaning(version: str) -> str:
    """What a signature on `version` means, as shown to the signer and kept on the record."""
    return (
        "I have read, understood and agree to abide by the Biospecimen Access Code of Conduct "
        f"version {version}"
    )


def code_of_conduct_digest(*, title: str, body: str, statements: Sequence[Any]) -> str:
    """SHA-256 over a canonical JSON of the title, body and statements (keys sorted)."""
    canonical = json.dumps(
        {"title": title, "body": body, "statements": list(statements)},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def code_of_conduct_version_digest(version: CodeOfConductVersion) -> str:
    """The hash of a version's content as it is stored now."""
    return code_of_conduct_digest(
        title=version.title, body=version.body, statements=version.statements
    )


def code_of_conduct_signature_verify(signature: CodeOfConductSignature) -> bool:
    """True when the signed version's stored text still hashes to what was signed.

    Recomputes the hash from the version's title, body and statements as loaded with the
    signature, and compares it with both the signature's `document_sha256` and the version's
    published `sha256`. Any change to the stored text after signing makes this False.
    """
    version = signature.version
    current = code_of_conduct_version_digest(version)
    return current == signature.document_sha256 == version.sha256


def _normalise_body(body: str) -> str:
    lines = body.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip()


def _normalise_statements(statements: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [
        {"text": " ".join(str(s.get("text", "")).split()), "initials": bool(s.get("initials"))}
        for s in statements
    ]


def default_code_of_conduct_text(
    version: str = DEFAULT_VERSION,
) -> tuple[str, str, list[dict[str, Any]]]:
    """Title, body and statements of a version kept in conduct_texts/ (`<version>.txt` is the
    body, `<version>.json` its title and statements)."""
    body = (TEXTS_DIR / f"{version}.txt").read_text(encoding="utf-8")
    meta = json.loads((TEXTS_DIR / f"{version}.json").read_text(encoding="utf-8"))
    return meta.get("title", DEFAULT_TITLE), body, meta["statements"]


# --- Publishing ---------------------------------------------------------------------------


@transaction.atomic
def code_of_conduct_publish(
    *,
    version: str,
    title: str,
    body: str,
    statements: Sequence[Mapping[str, Any]],
    actor: User | None,
) -> CodeOfConductVersion:
    """A program admin publishes a new version of the Code of Conduct.

    `actor` None is the system (seeding the default text). Refuses a label already used:
    a published version is never changed. The hash covers the title, body and statements
    as stored. Publishing does not make the version the one to sign: settings
    CODE_OF_CONDUCT_LATEST does. Audited as `code_of_conduct.publish`.
    """
    if actor is not None and not (actor.is_superuser or actor.has_role(Role.PROGRAM_ADMIN)):
        raise PermissionRefused("Only a program admin can publish a Code of Conduct version.")
    label = version.strip()
    if not VERSION_LABEL.match(label):
        raise DomainError(
            "A version label is 1 to 20 letters, digits, dots, dashes or underscores, "
            "starting with a letter or digit, for example 2027.1."
        )
    clean_title = " ".join(title.split())
    clean_body = _normalise_body(body)
    clean_statements = _normalise_statements(statements)
    problems = []
    if not clean_title:
        problems.append("Give the version a title.")
    if not clean_body:
        problems.append("Paste the full text of the Code of Conduct.")
    if not clean_statements:
        problems.append("Add at least one statement for signers to acknowledge.")
    if any(not s["text"] for s in clean_statements):
        problems.append("Every statement needs its text; remove empty ones.")
    if problems:
        raise DomainError(" ".join(problems))

    exists_message = (
        f"Version {label} is already published, and a published version is never changed. "
        "Publish the new text under a new version label."
    )
    if CodeOfConductVersion.objects.select_for_update().filter(version=label).exists():
        raise CodeOfConductVersionExists(exists_message)
    try:
        with transaction.atomic():
            published = CodeOfConductVersion.objects.create(
                version=label,
                title=clean_title,
                body=clean_body,
                statements=clean_statements,
                sha256=code_of_conduct_digest(
                    title=clean_title, body=clean_body, statements=clean_statements
                ),
                published_by=actor,
            )
    except IntegrityError as clash:  # published by someone else a moment ago
        raise CodeOfConductVersionExists(exists_message) from clash
    audit_record(
        actor=actor,
        action="code_of_conduct.publish",
        target=published,
        before={},
        after={
            "version": published.version,
            "title": published.title,
            "sha256": published.sha256,
            "statements": len(clean_statements),
            "statements_with_initials": sum(1 for s in clean_statements if s["initials"]),
        },
    )
    return published


def ensure_default_code_of_conduct() -> CodeOfConductVersion | None:
    """Publish version 2026.1 from conduct_texts/ when no version exists yet.

    Returns the version it published, or None when some version already existed.
    """
    if CodeOfConductVersion.objects.exists():
        return None
    title, body, statements = default_code_of_conduct_text(DEFAULT_VERSION)
    try:
        return code_of_conduct_publish(
            version=DEFAULT_VERSION, title=title, body=body, statements=statements, actor=None
        )
    except CodeOfConductVersionExists:
        return None


# --- Names and initials -------------------------------------------------------------------


def _fold(text: str) -> str:
    """Case- and accent-insensitive form for comparing names and initials."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def same_name(a: str, b: str) -> bool:
    """Names match ignoring case and spacing (accents count).

    The same rule eligibility uses to flag a name changed since signing, so that a name
    accepted here is never flagged there.
    """
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def name_initials(name: str) -> str:
    """The first letter of each part of a name ("Mary-Jane van Dyke" -> "MJVD")."""
    letters = []
    for part in re.split("[\\s\\-\u2010\u2013]+", name):
        first = next((c for c in part if c.isalpha()), None)
        if first is not None:
            letters.append(first.upper())
    return "".join(letters)


def clean_initials(value: str) -> str:
    """Initials as typed, without spaces and dots, upper-case ("j. s." -> "JS")."""
    return re.sub(r"[\s.]", "", value).upper()


def initials_fit_name(initials: str, name: str) -> bool:
    """True when `initials` are some of the name's initials, in order.

    A middle name, a particle or a title may be left out ("JS" fits "Jane Ann Smith" and
    "Dr. Jane Smith"), but the letters must come from the name in the order they appear,
    and a name of two or more parts needs at least two letters.
    """
    wanted = _fold(initials)
    available = _fold(name_initials(name))
    if not wanted or len(wanted) < min(2, len(available)):
        return False
    position = 0
    for letter in wanted:
        position = available.find(letter, position)
        if position < 0:
            return False
        position += 1
    return True


def example_initials(name: str) -> str:
    """A suggestion to show the signer: first and last initials, or all if at most four."""
    letters = name_initials(name)
    if len(letters) <= MAX_INITIALS:
        return letters
    return letters[0] + letters[-1]


def _check_initials(
    *, statements: Sequence[Mapping[str, Any]], initials: Mapping[int, str], name: str
) -> tuple[dict[str, str], dict[str, str]]:
    """The initials to store (by statement index) and the problems, keyed by form field."""
    stored: dict[str, str] = {}
    problems: dict[str, str] = {}
    hint = f" (for example {example_initials(name)})" if name_initials(name) else ""
    for index, statement in enumerate(statements):
        if not statement.get("initials"):
            continue
        number = index + 1
        value = clean_initials(initials.get(index, "") or "")
        field = f"initials_{index}"
        if not value:
            problems[field] = f"Enter your initials next to statement {number}."
        elif not (1 <= len(value) <= MAX_INITIALS and value.isalpha()):
            problems[field] = (
                f"The initials next to statement {number} must be 1 to {MAX_INITIALS} letters"
                f"{hint}."
            )
        elif name and not initials_fit_name(value, name):
            problems[field] = (
                f"The initials next to statement {number}, {value}, do not fit the name you "
                f"typed, {name}. Use your own initials{hint}."
            )
        else:
            stored[str(index)] = value
    return stored, problems


def _clean_ip(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


# --- Signing ------------------------------------------------------------------------------


@transaction.atomic
def code_of_conduct_sign(
    *,
    user: User,
    version: str,
    printed_name: str,
    initials: Mapping[int, str],
    password: str,
    ip_address: str | None,
) -> CodeOfConductSignature:
    """The signed-in user signs `version` of the Code of Conduct for themself.

    Preconditions: `version` exists, is the latest (settings CODE_OF_CONDUCT_LATEST) and its
    stored text still matches its hash; `password` is the user's password; `printed_name`
    matches the account's full name (an account without one takes the typed name); every
    statement that asks for initials has 1-4 letters that fit the printed name. Otherwise
    nothing is saved and SignatureRefused says what to fix, field by field.

    Writes a new signature (never replaces one), renders and stores the signed PDF as a
    document the signer owns, audits `code_of_conduct.sign`, and notifies the signer (the
    email leaves after commit).
    """
    user = User.objects.select_for_update().get(pk=user.pk)
    document = CodeOfConductVersion.objects.filter(version=version).first()
    latest = settings.CODE_OF_CONDUCT_LATEST
    if document is None:
        raise DomainError(
            f"There is no Code of Conduct version {version}. Reload the signing page and sign "
            f"version {latest}."
        )
    if document.version != latest:
        raise DomainError(
            f"Version {document.version} is no longer the one to sign; version {latest} is. "
            f"Nothing was signed. Reload the signing page, read version {latest} and sign it."
        )
    if code_of_conduct_version_digest(document) != document.sha256:
        raise DomainError(
            f"The stored text of version {document.version} no longer matches the text as "
            "published, so it cannot be signed. Nothing was signed; please tell the program "
            "admin."
        )

    problems: dict[str, str] = {}
    name = " ".join(printed_name.split())
    if not name:
        problems["printed_name"] = "Type your full name."
    elif user.full_name and not same_name(name, user.full_name):
        problems["printed_name"] = (
            f"The name you typed, {name}, is not the full name on your account, "
            f"{user.full_name}. Type your name as it is on your account (capitals and spacing "
            "do not matter), or correct the name on your profile first."
        )
    stored_initials, initials_problems = _check_initials(
        statements=document.statements,
        initials=initials,
        name=name if "printed_name" not in problems else "",
    )
    problems.update(initials_problems)
    if not password or not user.check_password(password):
        problems["password"] = WRONG_PASSWORD
    if problems:
        raise SignatureRefused(problems)

    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    if not user.full_name:
        before["full_name"] = ""
        user.full_name = name
        user.save(update_fields=["full_name"])
        after["full_name"] = name
    signed_at = timezone.now()
    signature = CodeOfConductSignature.objects.create(
        user=user,
        version=document,
        printed_name=name,
        initials=stored_initials,
        meaning=signature_meaning(document.version),
        document_sha256=document.sha256,
        signed_at=signed_at,
        ip_address=_clean_ip(ip_address),
    )
    pdf = render_pdf("pdf/code_of_conduct_signed.html", signed_copy_context(signature))
    signature.signed_copy = document_store(
        upload=ContentFile(
            pdf, name=f"code-of-conduct-{document.version}-signed-{signed_at:%Y%m%d-%H%M%S}.pdf"
        ),
        owner=user,
        purpose=SIGNED_COPY_PURPOSE,
        actor=user,
    )
    signature.save(update_fields=["signed_copy"])
    audit_record(
        actor=user,
        action="code_of_conduct.sign",
        target=signature,
        before=before,
        after={
            **after,
            "version": document.version,
            "document_sha256": signature.document_sha256,
            "printed_name": signature.printed_name,
            "initials": stored_initials,
            "meaning": signature.meaning,
            "signed_at": signed_at,
            "signed_copy": str(signature.signed_copy.pk),
            "signed_copy_sha256": signature.signed_copy.sha256,
        },
        ip_address=signature.ip_address,
    )
    notify(
        user=user,
        template="code_of_conduct_signed",
        context={
            "signature": signature,
            "version": document,
            "holds_through": signature_holds_through(signature),
        },
        url=reverse("access-code-of-conduct-history"),
    )
    return signature


def signature_holds_through(signature: CodeOfConductSignature) -> date:
    """The last program day a signature counts, unless its version is retired sooner."""
    return program_date(signature.signed_at) + ANNUAL_VALIDITY


@dataclass(frozen=True)
class StatementRow:
    number: int
    text: str
    needs_initials: bool
    initials: str


def statement_rows(signature: CodeOfConductSignature) -> list[StatementRow]:
    initials = signature.initials or {}
    return [
        StatementRow(
            number=index + 1,
            text=statement.get("text", ""),
            needs_initials=bool(statement.get("initials")),
            initials=initials.get(str(index), ""),
        )
        for index, statement in enumerate(signature.version.statements)
    ]


def signed_copy_context(signature: CodeOfConductSignature) -> dict[str, Any]:
    """What the signed PDF shows: the full text, the statements with initials and the seal."""
    return {
        "signature": signature,
        "version": signature.version,
        "statements": statement_rows(signature),
        "signed_at_utc": signature.signed_at.astimezone(UTC),
        "signer_email": signature.user.email,
    }


# --- Reads --------------------------------------------------------------------------------


def latest_code_of_conduct() -> CodeOfConductVersion | None:
    """The version settings name as the one to sign, if it has been published."""
    return CodeOfConductVersion.objects.filter(version=settings.CODE_OF_CONDUCT_LATEST).first()


@dataclass(frozen=True)
class SignatureRow:
    signature: CodeOfConductSignature
    verified: bool
    holds_through: date


def code_of_conduct_history_for(*, user: User) -> list[SignatureRow]:
    """Every signature the user made, newest first, each verified against its version.

    One query, whatever the number of signatures.
    """
    signatures = (
        CodeOfConductSignature.objects.filter(user=user)
        .select_related("version", "signed_copy")
        .order_by("-signed_at", "-id")
    )
    return [
        SignatureRow(
            signature=s,
            verified=code_of_conduct_signature_verify(s),
            holds_through=signature_holds_through(s),
        )
        for s in signatures
    ]


def latest_signature_of(*, user: User) -> CodeOfConductSignature | None:
    return (
        CodeOfConductSignature.objects.filter(user=user)
        .select_related("version")
        .order_by("-signed_at", "-id")
        .first()
    )


@dataclass(frozen=True)
class VersionRow:
    version: CodeOfConductVersion
    signature_count: int
    is_latest: bool
    accepted_until: date | None


def code_of_conduct_versions_overview() -> list[VersionRow]:
    """Every published version with its standing in settings and how often it was signed."""
    policy = code_of_conduct_policy()
    versions = (
        CodeOfConductVersion.objects.select_related("published_by")
        .annotate(signature_count=Count("signatures"))
        .order_by("-published_at", "-id")
    )
    return [
        VersionRow(
            version=v,
            signature_count=v.signature_count,
            is_latest=v.version == policy.latest,
            accepted_until=policy.accepted.get(v.version),
        )
        for v in versions
    ]
