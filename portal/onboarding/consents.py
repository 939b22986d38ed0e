"""The two consents of policy 2.1, each recorded on its own with its wording's version.

The exact text a researcher agrees to is kept here, per wording version. A consent row
stores the version and the SHA-256 of the text shown, so that an auditor can tell which
words were agreed to even after the wording changes. Rows are never deleted: withdrawing
sets `withdrawn_at`, and giving a consent again afterwards adds a new row.
"""

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from portal.audit import audit_record
from portal.errors import PermissionRefused
from portal.models import Consent, User

# Wording version -> the exact text shown for each consent. A new version is added here (and
# named in settings.CONSENT_WORDING_VERSION); old versions stay so old rows can be checked.
CONSENT_WORDINGS: dict[str, dict[str, str]] = {
    "2026.1": {
        Consent.Kind.PUBLIC_DISPLAY: (
            "I consent to the public display of my name and my institutional affiliation(s) "
            "alongside a plain-language description of each research project for which I "
            "apply for or am granted access to the biobank's biospecimens, for example in the "
            "program's public directory of approved projects, so that participants and the "
            "public can see who uses the biospecimens and for what purpose. I understand that "
            "this consent is required to be eligible for biospecimen access (Biospecimen "
            "Access Policy, section 2.1), and that while it is withdrawn I may not apply, be "
            "named on a research team or receive biospecimens."
        ),
        Consent.Kind.VIOLATION_RELEASE: (
            "I consent to the public release of my name and my institutional affiliation if "
            "the program finds that I have violated its policies, including the Biospecimen "
            "Access Policy, the Biospecimen Access Code of Conduct and any Material Transfer "
            "Agreement I sign, for example on a publicly accessible list of violators. I "
            "understand that this consent is required to be eligible for biospecimen access "
            "(Biospecimen Access Policy, section 2.1), that while it is withdrawn I may not "
            "apply, be named on a research team or receive biospecimens, and that withdrawing "
            "it does not undo a release made for a violation found while it was given."
        ),
    },
}

CONSENT_TITLES: dict[str, str] = {
    Consent.Kind.PUBLIC_DISPLAY: "Public display of your name, affiliation and projects",
    Consent.Kind.VIOLATION_RELEASE: "Public release of your name if found in violation",
}


def consent_wording(kind: str, *, version: str | None = None) -> str:
    """The exact text of one consent in `version` (the current wording by default)."""
    wording_version = version or settings.CONSENT_WORDING_VERSION
    try:
        return CONSENT_WORDINGS[wording_version][Consent.Kind(kind)]
    except KeyError as missing:
        raise ImproperlyConfigured(
            f"No wording for consent {kind!r} in version {wording_version!r}; add it to "
            "portal/onboarding/consents.py or correct CONSENT_WORDING_VERSION."
        ) from missing


def wording_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ConsentState:
    """One consent as the consents page shows it: its wording and the user's records."""

    kind: str
    title: str
    wording: str
    wording_version: str
    current: Consent | None
    history: tuple[Consent, ...]

    @property
    def given(self) -> bool:
        return self.current is not None

    @property
    def current_on_older_wording(self) -> bool:
        return self.current is not None and self.current.wording_version != self.wording_version


def consent_states_for(*, user: User) -> list[ConsentState]:
    """Each consent kind with its current wording, the user's current consent and history.

    One query for all of the user's consent records.
    """
    records = list(Consent.objects.filter(user=user).order_by("-given_at", "-id"))
    states = []
    for kind in Consent.Kind:
        history = tuple(c for c in records if c.kind == kind)
        current = next((c for c in history if c.withdrawn_at is None), None)
        states.append(
            ConsentState(
                kind=kind.value,
                title=CONSENT_TITLES[kind],
                wording=consent_wording(kind),
                wording_version=settings.CONSENT_WORDING_VERSION,
                current=current,
                history=history,
            )
        )
    return states


def consents_of(*, user: User) -> QuerySet[Consent]:
    """The user's own consent records (to scope a withdrawal to its owner)."""
    return Consent.objects.filter(user=user)


def _ensure_self(*, user: User, actor: User) -> None:
    if actor.pk != user.pk:
        raise PermissionRefused(
            "Only the researcher themself can give or withdraw their consent. Ask them to "
            "sign in and do it on their consents page."
        )


@transaction.atomic
def consent_give(*, user: User, kind: str, actor: User) -> Consent:
    """The researcher gives one consent to the current wording.

    Only the user themself may consent. Stores the wording version and the SHA-256 of the
    exact text shown, timed now. Giving a consent that is already given (and not withdrawn)
    changes nothing and returns the existing record. Audited as `consent.give`.
    """
    _ensure_self(user=user, actor=actor)
    kind = Consent.Kind(kind)
    # The user row serialises two submissions of the same consent form.
    User.objects.select_for_update().filter(pk=user.pk).first()
    existing = Consent.objects.filter(user=user, kind=kind, withdrawn_at__isnull=True).first()
    if existing is not None:
        return existing
    version = settings.CONSENT_WORDING_VERSION
    text = consent_wording(kind, version=version)
    consent = Consent.objects.create(
        user=user,
        kind=kind,
        wording_version=version,
        wording_sha256=wording_sha256(text),
        given_at=timezone.now(),
    )
    audit_record(
        actor=actor,
        action="consent.give",
        target=consent,
        before={"given": False},
        after={
            "kind": consent.kind,
            "given": True,
            "wording_version": consent.wording_version,
            "wording_sha256": consent.wording_sha256,
            "given_at": consent.given_at,
        },
    )
    return consent


@transaction.atomic
def consent_withdraw(*, consent: Consent, actor: User) -> Consent:
    """The researcher withdraws a consent they gave.

    Only the consent's owner may withdraw it. The record is kept with `withdrawn_at` set;
    the researcher is no longer eligible until they consent again. Withdrawing a consent
    already withdrawn changes nothing. Audited as `consent.withdraw`.
    """
    consent = Consent.objects.select_for_update().select_related("user").get(pk=consent.pk)
    _ensure_self(user=consent.user, actor=actor)
    if consent.withdrawn_at is not None:
        return consent
    consent.withdrawn_at = timezone.now()
    consent.save(update_fields=["withdrawn_at"])
    audit_record(
        actor=actor,
        action="consent.withdraw",
        target=consent,
        before={"kind": consent.kind, "given": True, "withdrawn_at": None},
        after={"kind": consent.kind, "given": False, "withdrawn_at": consent.withdrawn_at},
    )
    return consent
