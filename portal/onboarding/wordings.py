"""The texts researchers agree to: the two consents' wordings and the default Code of Conduct.

The exact text a researcher agrees to is kept here, per wording version. A consent row
stores the version and the SHA-256 of the text shown, so that an auditor can tell which
words were agreed to even after the wording changes. The Code of Conduct's default version
is kept as files in conduct_texts/ (`<version>.txt` is the body, `<version>.json` its title
and statements) and published from there when no version exists yet.
"""

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from portal.models import Consent

DEFAULT_VERSION = "2026.1"
DEFAULT_TITLE = "Biospecimen Access Code of Conduct"
TEXTS_DIR = Path(__file__).resolve().parent / "conduct_texts"

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
            "portal/onboarding/wordings.py or correct CONSENT_WORDING_VERSION."
        ) from missing


def default_code_of_conduct_text(
    version: str = DEFAULT_VERSION,
) -> tuple[str, str, list[dict[str, Any]]]:
    """Title, body and statements of a version kept in conduct_texts/ (`<version>.txt` is the
    body, `<version>.json` its title and statements)."""
    body = (TEXTS_DIR / f"{version}.txt").read_text(encoding="utf-8")
    meta = json.loads((TEXTS_DIR / f"{version}.json").read_text(encoding="utf-8"))
    return meta.get("title", DEFAULT_TITLE), body, meta["statements"]
