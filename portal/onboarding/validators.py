"""Validators for what researchers type into their profile.

An ORCID iD is sixteen characters in four groups of four; the last character is a check
digit (ISO 7064 MOD 11-2) over the first fifteen digits, and may be "X" for ten. People
paste it in several forms (with the https://orcid.org/ prefix, without hyphens, with a
lower-case x); all are accepted and stored as 0000-0000-0000-000X.
"""

import re

from django.core.exceptions import ValidationError

_ORCID_PREFIX = re.compile(r"^(?:https?://)?(?:www\.)?orcid\.org/", re.IGNORECASE)
_ORCID_SHAPE = re.compile(r"^(\d{4})-?(\d{4})-?(\d{4})-?(\d{3}[\dX])$")

ORCID_FORMAT_MESSAGE = (
    "Enter your ORCID iD as sixteen characters in four groups, like 0000-0002-1825-0097. "
    "You may paste the whole https://orcid.org/ link."
)


# MOD 11-2 yields 0 to 10; ten is written as the letter X.
_CHECK_TEN = 10


def orcid_check_digit(base_digits: str) -> str:
    """The ISO 7064 MOD 11-2 check character for the first fifteen digits of an ORCID iD."""
    total = 0
    for digit in base_digits:
        total = (total + int(digit)) * 2
    result = (12 - total % 11) % 11
    return "X" if result == _CHECK_TEN else str(result)


def normalise_orcid(value: str) -> str:
    """The iD as 0000-0000-0000-000X, or "" for an empty value.

    Raises ValidationError with a message for the person who typed it when the value is not
    shaped like an ORCID iD or its check digit does not match.
    """
    text = "".join(value.split())
    if not text:
        return ""
    text = _ORCID_PREFIX.sub("", text).upper()
    match = _ORCID_SHAPE.match(text)
    if match is None:
        raise ValidationError(ORCID_FORMAT_MESSAGE, code="orcid_format")
    normalised = "-".join(match.groups())
    digits = normalised.replace("-", "")
    if orcid_check_digit(digits[:15]) != digits[15]:
        raise ValidationError(
            "%(orcid)s is not a valid ORCID iD: its last character (the check digit) does not "
            "match the other fifteen, so one of them is probably mistyped. Copy your iD from "
            "your record at orcid.org and paste it here.",
            code="orcid_checksum",
            params={"orcid": normalised},
        )
    return normalised


def validate_orcid(value: str) -> None:
    """Field validator: accept any form `normalise_orcid` accepts."""
    normalise_orcid(value)


PHONE_MESSAGE = (
    "Enter a telephone number that can be dialled, with its country code if it is outside "
    "the {region}: for example +1 301 555 0100 or (301) 555-0100."
)


def normalise_phone(value: str, *, region: str) -> str:
    """A work telephone number, checked with Google's libphonenumber and stored in its
    international form ("+1 301-555-0100"); "" stays "". A number without a country code
    is read as a number of `region` (settings.PHONE_DEFAULT_REGION)."""
    import phonenumbers

    value = value.strip()
    if not value:
        return ""
    message = PHONE_MESSAGE.format(region=_REGION_NAMES.get(region, region))
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException as error:
        raise ValidationError(message, code="phone") from error
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(message, code="phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


_REGION_NAMES = {"US": "United States"}
