"""Pure helpers for onboarding: no database, no clock, so each can be tested on plain values.

Hashing (consent wordings, Code of Conduct versions), what a signature means, comparing a
signed name with the account's name, checking initials, and describing how a profile changed
between two annual reviews.
"""

import hashlib
import json
import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

MAX_INITIALS = 4
WRONG_PASSWORD = "The password is not correct. Re-enter the password you sign in with."  # noqa: S105

# The researcher profile's fields a researcher keeps current, in the order a review shows
# them. The name lives on the user (it is what they sign with); these on the profile.
PROFILE_FIELDS = (
    "institution",
    "other_affiliations",
    "job_title",
    "phone",
    "postal_address",
    "orcid",
    "research_purposes",
)
# What the annual review needs before it can be confirmed, with how to name it to the user.
REVIEW_REQUIRED_FIELDS = {
    "institution": "your institution",
    "research_purposes": "a description of your research purposes",
}


# --- Hashes ---------------------------------------------------------------------------------


def wording_sha256(text: str) -> str:
    """The SHA-256 of a consent's exact wording, as stored with each consent given."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def code_of_conduct_digest(*, title: str, body: str, statements: Sequence[Any]) -> str:
    """SHA-256 over a canonical JSON of the title, body and statements (keys sorted)."""
    canonical = json.dumps(
        {"title": title, "body": body, "statements": list(statements)},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def normalise_body(body: str) -> str:
    """A Code of Conduct body as stored: Unix line ends, no trailing spaces, trimmed."""
    lines = body.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip()


def normalise_statements(statements: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Statements as stored: the text on one line, and whether it asks for initials."""
    return [
        {"text": " ".join(str(s.get("text", "")).split()), "initials": bool(s.get("initials"))}
        for s in statements
    ]


def signature_meaning(version: str) -> str:
    """What a signature on `version` means, as shown to the signer and kept on the record."""
    return (
        "I have read, understood and agree to abide by the Biospecimen Access Code of Conduct "
        f"version {version}"
    )


# --- Names and initials ---------------------------------------------------------------------


def _fold(text: str) -> str:
    """Case- and accent-insensitive form for comparing names and initials."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def same_name(a: str, b: str) -> bool:
    """Names match ignoring case and spacing (accents count).

    Signing accepts a printed name by this rule, and eligibility flags a name changed since
    signing by the same rule, so a name accepted at signing is never flagged afterwards.
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


def initials_check(
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


def signature_problems(
    *,
    statements: Sequence[Mapping[str, Any]],
    printed_name: str,
    account_name: str,
    initials: Mapping[int, str],
    password_correct: bool,
) -> tuple[str, dict[str, str], dict[str, str]]:
    """Check a Code of Conduct signature form: the name to sign with, the initials to
    store (by statement index) and every problem, keyed by form field. Pure.

    The printed name must match the account's name (capitals and spacing aside) unless the
    account has none yet; the initials must fit the printed name; the password must be the
    signer's (the caller checks it and says whether it was).
    """
    problems: dict[str, str] = {}
    name = " ".join(printed_name.split())
    if not name:
        problems["printed_name"] = "Type your full name."
    elif account_name and not same_name(name, account_name):
        problems["printed_name"] = (
            f"The name you typed, {name}, is not the full name on your account, "
            f"{account_name}. Type your name as it is on your account (capitals and spacing "
            "do not matter), or correct the name on your profile first."
        )
    # The initials are always checked: against the typed name, or, when that name is
    # refused, against the account's name (the one the signer must type). Checking them
    # only when the typed name passed let "XX" through for Nia Newcomer whenever the name
    # needed a second try, and the signer learnt of one problem per attempt.
    stored, initials_problems = initials_check(
        statements=statements,
        initials=initials,
        name=name if "printed_name" not in problems else account_name,
    )
    problems.update(initials_problems)
    if not password_correct:
        problems["password"] = WRONG_PASSWORD
    return name, stored, problems


# --- The profile and its reviews ------------------------------------------------------------


def review_missing(profile: Any) -> list[str]:
    """What the profile still needs before its annual review can be confirmed, in words.

    `profile` is a ResearcherProfile or None (the researcher has not saved one yet).
    """
    return [
        words
        for field, words in REVIEW_REQUIRED_FIELDS.items()
        if profile is None or not getattr(profile, field).strip()
    ]


SNAPSHOT_LABELS = {
    "full_name": "name",
    "email": "email address",
    "institution": "institution",
    "other_affiliations": "other affiliations",
    "job_title": "job title",
    "phone": "telephone",
    "postal_address": "postal address",
    "orcid": "ORCID iD",
    "research_purposes": "research purposes",
    "conflicts": "conflicts of interest",
}


def snapshot_changes(previous: Mapping[str, Any] | None, current: Mapping[str, Any]) -> list[str]:
    """The parts of the profile that differ between two review snapshots, in words."""
    if previous is None:
        return []
    return [
        label
        for key, label in SNAPSHOT_LABELS.items()
        if previous.get(key, "") != current.get(key, "")
    ]
