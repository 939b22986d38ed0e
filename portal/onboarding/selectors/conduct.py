"""Reads on the Code of Conduct: versions, signatures, their verification and the signed copy.

A signature records the SHA-256 of the version it signed, so altering a version's stored
text afterwards makes every signature on it fail verification.
"""

from dataclasses import dataclass
from datetime import UTC, date
from typing import Any

from django.db.models import Count, QuerySet

from portal.clock import program_date
from portal.models import CodeOfConductSignature, CodeOfConductVersion, User
from portal.onboarding.eligibility import ANNUAL_VALIDITY
from portal.onboarding.helpers import code_of_conduct_digest


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


def signature_holds_through(signature: CodeOfConductSignature) -> date:
    """The last program day a signature counts, unless its version is retired sooner."""
    return program_date(signature.signed_at) + ANNUAL_VALIDITY


# --- The signed copy ------------------------------------------------------------------------


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


# --- Versions and signatures ----------------------------------------------------------------


def latest_code_of_conduct() -> CodeOfConductVersion | None:
    """The version people are asked to sign now (a program admin makes it current)."""
    return CodeOfConductVersion.objects.filter(is_current=True).first()


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


def signatures_of(*, user: User) -> QuerySet[CodeOfConductSignature]:
    """The user's own Code of Conduct signatures (to scope a signature page to its signer)."""
    return CodeOfConductSignature.objects.filter(user=user).select_related("version", "user")


def latest_signature_of(*, user: User) -> CodeOfConductSignature | None:
    return (
        CodeOfConductSignature.objects.filter(user=user)
        .select_related("version")
        .order_by("-signed_at", "-id")
        .first()
    )


def has_signed_code_of_conduct(*, user: User) -> bool:
    """Whether the user has ever signed any version."""
    return CodeOfConductSignature.objects.filter(user=user).exists()


@dataclass(frozen=True)
class VersionRow:
    version: CodeOfConductVersion
    signature_count: int
    is_latest: bool
    accepted_until: date | None


def code_of_conduct_versions_overview() -> list[VersionRow]:
    """Every published version with its standing and how often it was signed. One query."""
    versions = (
        CodeOfConductVersion.objects.select_related("published_by")
        .annotate(signature_count=Count("signatures"))
        .order_by("-published_at", "-id")
    )
    return [
        VersionRow(
            version=v,
            signature_count=v.signature_count,
            is_latest=v.is_current,
            accepted_until=None if v.is_current else v.accepted_until,
        )
        for v in versions
    ]


def code_of_conduct_label_taken(label: str) -> bool:
    """Whether a version with this label is already published (labels are used once)."""
    return CodeOfConductVersion.objects.filter(version=label).exists()
