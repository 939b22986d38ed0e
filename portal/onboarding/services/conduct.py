"""The Biospecimen Access Code of Conduct: publishing versions and signing them.

A version is published once and never edited; its SHA-256 is taken over a canonical JSON of
its title, body and statements. A signature records that hash, so altering a version's
stored text afterwards makes every signature on it fail verification. Every signature is
kept: signing again adds a row, it never replaces one (DESIGN: Signatures; policy 1.1, 2.1).

Which version is to be signed, and which older ones still hold, is named in settings
(CODE_OF_CONDUCT_LATEST, CODE_OF_CONDUCT_ACCEPTED), not by publishing.
"""

import re
from collections.abc import Mapping, Sequence
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from portal.audit import audit_record, clean_ip_address
from portal.documents import document_store
from portal.errors import DomainError, PermissionRefused
from portal.models import CodeOfConductSignature, CodeOfConductVersion, User
from portal.notifications import notify
from portal.onboarding.helpers import (
    code_of_conduct_digest,
    initials_check,
    normalise_body,
    normalise_statements,
    same_name,
    signature_meaning,
)
from portal.onboarding.selectors import (
    code_of_conduct_version_digest,
    signature_holds_through,
    signed_copy_context,
)
from portal.onboarding.wordings import DEFAULT_VERSION, default_code_of_conduct_text
from portal.pdf import render_pdf
from portal.roles import Role

SIGNED_COPY_PURPOSE = "code_of_conduct_signature"
VERSION_LABEL = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._-]{0,19}$")
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
    clean_body = normalise_body(body)
    clean_statements = normalise_statements(statements)
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
    stored_initials, initials_problems = initials_check(
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
        ip_address=clean_ip_address(ip_address),
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
