"""The Biospecimen Access Code of Conduct: publishing versions and signing them.

A version is published once and never edited; its SHA-256 is taken over a canonical JSON of
its title, body and statements. A signature records that hash, so altering a version's
stored text afterwards makes every signature on it fail verification. Every signature is
kept: signing again adds a row, it never replaces one (DESIGN: Signatures; policy 1.1, 2.1).

Which version is to be signed, and until when older ones still hold, is data on the
versions, set by a program admin through `code_of_conduct_make_current` and
`code_of_conduct_set_accepted_until` (audited), not by settings and not by publishing.

Signing validates through a pure function (`signature_problems`), then writes the signature,
its audit event and the notice in one short transaction. The signed PDF is rendered after
that transaction, outside any lock; if rendering fails the signature stands and its copy is
rendered on demand (`code_of_conduct_signed_copy_ensure`) when the signer asks for it.
"""

import logging
import re
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from portal.actions import PortalAction
from portal.agreements import (
    agreement_version_make_current,
    agreement_version_set_accepted_until,
)
from portal.audit import audit_record, clean_ip_address
from portal.clock import program_today
from portal.documents import document_store
from portal.errors import DomainError
from portal.models import CodeOfConductSignature, CodeOfConductVersion, Document, User
from portal.notifications import notify, reminder_send_once
from portal.onboarding.helpers import (
    code_of_conduct_digest,
    normalise_body,
    normalise_statements,
    signature_meaning,
    signature_problems,
)
from portal.onboarding.selectors import (
    code_of_conduct_version_digest,
    signature_holds_through,
    signed_copy_context,
)
from portal.onboarding.services.access import access_recheck_after_commit
from portal.onboarding.wordings import DEFAULT_VERSION, default_code_of_conduct_text
from portal.pdf import render_pdf
from portal.permissions import ensure_can

logger = logging.getLogger(__name__)

SIGNED_COPY_PURPOSE = "code_of_conduct_signature"
VERSION_LABEL = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._-]{0,19}$")


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
    as stored. Publishing does not make the version the one to sign:
    `code_of_conduct_make_current` does. Audited as `code_of_conduct.publish`.
    """
    ensure_can(actor, "code_of_conduct.publish")
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
        action=PortalAction.CODE_OF_CONDUCT_PUBLISH,
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


@transaction.atomic
def ensure_default_code_of_conduct() -> CodeOfConductVersion | None:
    """Publish version 2026.1 from conduct_texts/ and make it current when no version exists.

    Who: the system (seeding a new installation). Returns the version it published, or None
    when some version already existed.
    """
    if CodeOfConductVersion.objects.exists():
        return None
    title, body, statements = default_code_of_conduct_text(DEFAULT_VERSION)
    try:
        published = code_of_conduct_publish(
            version=DEFAULT_VERSION, title=title, body=body, statements=statements, actor=None
        )
    except CodeOfConductVersionExists:
        return None
    return code_of_conduct_make_current(version=published, previous_accepted_until=None, actor=None)


def code_of_conduct_make_current(
    *,
    version: CodeOfConductVersion,
    previous_accepted_until: date | None,
    actor: User | None,
) -> CodeOfConductVersion:
    """Make `version` the one people sign; signatures on the version it replaces count
    until `previous_accepted_until` (None: retired at once).

    Who: a program admin (the system when it seeds the default text). Audited as
    `code_of_conduct.make_current`. See `portal.agreements.agreement_version_make_current`.
    After commit everyone is re-checked (a version retired at once lapses its signers, who
    are told), and everyone whose signature is on an older version that still counts is
    told at once, once, that the new version is there to sign.
    """
    with transaction.atomic():
        current = agreement_version_make_current(
            version=version,
            previous_accepted_until=previous_accepted_until,
            actor=actor,
            permission="code_of_conduct.make_current",
            audit_action=PortalAction.CODE_OF_CONDUCT_MAKE_CURRENT,
        )
        access_recheck_after_commit(user_ids=None)
        if previous_accepted_until is not None:
            version_id = current.pk

            def tell() -> None:
                from portal.onboarding.tasks import code_of_conduct_new_version_tell_task

                code_of_conduct_new_version_tell_task.delay(version_id)

            transaction.on_commit(tell, robust=True)
    return current


def code_of_conduct_new_version_tell(*, version_id: int, batch_size: int = 500) -> int:
    """Tell each signer of an older version that still counts that `version_id` is there to
    sign, and until when their signature holds. Once per signer and version (a keyed
    reminder), so a rerun tells nobody twice. Returns how many were told now.

    Who: the system, after a version is made current.
    """
    version = CodeOfConductVersion.objects.get(pk=version_id)
    if not version.is_current:
        return 0
    older = CodeOfConductVersion.objects.filter(
        is_current=False, accepted_until__gte=program_today()
    )
    accepted = {v.pk: v for v in older}
    told = 0
    latest_by_user: dict[int, CodeOfConductSignature] = {}
    for signature in (
        CodeOfConductSignature.objects.filter(version__in=accepted.values())
        .order_by("user_id", "-signed_at", "-id")
        .select_related("user")
        .iterator(chunk_size=batch_size)
    ):
        latest_by_user.setdefault(signature.user_id, signature)
    newer = set(
        CodeOfConductSignature.objects.filter(
            user_id__in=latest_by_user, version=version
        ).values_list("user_id", flat=True)
    )
    for user_id, signature in latest_by_user.items():
        if user_id in newer:
            continue
        old = accepted[signature.version_id]
        if old.accepted_until is None:  # filtered out above; keeps the type checker sure
            continue
        sent = reminder_send_once(
            key=f"coc-new-version:{user_id}:{version.version}",
            user=signature.user,
            template="code_of_conduct_new_version",
            context={
                "version": version,
                "old_version": old,
                # The lapse day, as every page names it: the day after the last day it counts.
                "lapses_on": old.accepted_until + timedelta(days=1),
            },
            url=reverse("access-code-of-conduct"),
        )
        told += sent is not None
    return told


def code_of_conduct_set_accepted_until(
    *, version: CodeOfConductVersion, accepted_until: date | None, actor: User
) -> CodeOfConductVersion:
    """Move or end an older version's grace period (None: signatures on it stop counting).

    Who: a program admin. Audited as `code_of_conduct.accepted_until_set`.
    """
    with transaction.atomic():
        changed = agreement_version_set_accepted_until(
            version=version,
            accepted_until=accepted_until,
            actor=actor,
            permission="code_of_conduct.make_current",
            audit_action=PortalAction.CODE_OF_CONDUCT_ACCEPTED_UNTIL_SET,
        )
        access_recheck_after_commit(user_ids=None)
    return changed


# --- Signing ------------------------------------------------------------------------------


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

    Preconditions: `version` exists, is the current version and its stored text still
    matches its hash; `password` is the user's password; `printed_name` matches the
    account's full name (an account without one takes the typed name); every statement
    that asks for initials has 1-4 letters that fit the printed name. Otherwise nothing is
    saved and SignatureRefused says what to fix, field by field.

    Writes a new signature (never replaces one), audits `code_of_conduct.sign` and notifies
    the signer (the email leaves after commit), in one transaction. Then, with no lock held,
    renders the signed PDF and stores it as a document the signer owns
    (`code_of_conduct_signed_copy_ensure`); a rendering failure is logged and leaves the
    signature without a copy, which is rendered again when the signer asks for it.
    """
    signature = _code_of_conduct_signature_record(
        user=user,
        version=version,
        printed_name=printed_name,
        initials=initials,
        password=password,
        ip_address=ip_address,
    )
    try:
        signature.signed_copy = code_of_conduct_signed_copy_ensure(signature=signature, actor=user)
    except Exception:
        logger.exception(
            "Rendering the signed copy of Code of Conduct signature %s failed; it will be "
            "rendered when the signer asks for it.",
            signature.pk,
        )
    return signature


def _signable_version(label: str) -> CodeOfConductVersion:
    current = CodeOfConductVersion.objects.filter(is_current=True).first()
    current_label = current.version if current else "(none published yet)"
    document = CodeOfConductVersion.objects.filter(version=label).first()
    if document is None:
        raise DomainError(
            f"There is no Code of Conduct version {label}. Reload the signing page and sign "
            f"version {current_label}."
        )
    if not document.is_current:
        raise DomainError(
            f"Version {document.version} is no longer the one to sign; version "
            f"{current_label} is. Nothing was signed. Reload the signing page, read version "
            f"{current_label} and sign it."
        )
    if code_of_conduct_version_digest(document) != document.sha256:
        raise DomainError(
            f"The stored text of version {document.version} no longer matches the text as "
            "published, so it cannot be signed. Nothing was signed; please tell the program "
            "admin."
        )
    return document


@transaction.atomic
def _code_of_conduct_signature_record(
    *,
    user: User,
    version: str,
    printed_name: str,
    initials: Mapping[int, str],
    password: str,
    ip_address: str | None,
) -> CodeOfConductSignature:
    """Validate (a pure function), then write the signature, its event and the notice."""
    ensure_can(user, "code_of_conduct.sign", user)
    user = User.objects.select_for_update().get(pk=user.pk)
    document = _signable_version(version)
    name, stored_initials, problems = signature_problems(
        statements=document.statements,
        printed_name=printed_name,
        account_name=user.full_name,
        initials=initials,
        password_correct=bool(password) and user.check_password(password),
    )
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
    audit_record(
        actor=user,
        action=PortalAction.CODE_OF_CONDUCT_SIGN,
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
    access_recheck_after_commit(user_ids=[user.pk])
    return signature


def code_of_conduct_signed_copy_ensure(
    *, signature: CodeOfConductSignature, actor: User | None
) -> Document:
    """The signature's signed PDF, rendered and stored now if it has none yet.

    Who: the signer (or the system). Renders with no lock held, then, under the signature's
    row lock, stores the PDF as a document the signer owns and audits
    `code_of_conduct.signed_copy`, unless a copy was attached meanwhile (that one is kept).
    """
    ensure_can(actor, "code_of_conduct.signed_copy.render", signature)
    if signature.signed_copy_id is not None:
        return Document.objects.get(pk=signature.signed_copy_id)
    signature = CodeOfConductSignature.objects.select_related("version", "user").get(
        pk=signature.pk
    )
    pdf = render_pdf("pdf/code_of_conduct_signed.html", signed_copy_context(signature))
    return _attach_signed_copy(signature=signature, pdf=pdf, actor=actor)


@transaction.atomic
def _attach_signed_copy(
    *, signature: CodeOfConductSignature, pdf: bytes, actor: User | None
) -> Document:
    locked = CodeOfConductSignature.objects.select_for_update().get(pk=signature.pk)
    if locked.signed_copy_id is not None:
        return Document.objects.get(pk=locked.signed_copy_id)
    owner = signature.user
    copy = document_store(
        upload=ContentFile(
            pdf,
            name=f"code-of-conduct-{signature.version.version}-signed-"
            f"{signature.signed_at:%Y%m%d-%H%M%S}.pdf",
        ),
        owner=owner,
        purpose=SIGNED_COPY_PURPOSE,
        actor=owner,
    )
    locked.signed_copy = copy
    locked.save(update_fields=["signed_copy"])
    signature.signed_copy = copy
    audit_record(
        actor=actor,
        action=PortalAction.CODE_OF_CONDUCT_SIGNED_COPY,
        target=locked,
        before={"signed_copy": None},
        after={"signed_copy": str(copy.pk), "signed_copy_sha256": copy.sha256},
    )
    return copy
