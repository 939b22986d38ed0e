"""The ORCID iD: ISO 7064 MOD 11-2 check digit, accepted in the forms people paste it."""

import pytest
from django.core.exceptions import ValidationError

from portal.onboarding.forms_profile import ProfileForm
from portal.onboarding.validators import normalise_orcid, orcid_check_digit, validate_orcid

VALID = ["0000-0002-1825-0097", "0000-0001-5109-3700", "0000-0002-1694-233X"]


@pytest.mark.parametrize("orcid", VALID)
def test_a_valid_orcid_id_is_accepted_as_it_is(orcid):
    assert normalise_orcid(orcid) == orcid
    validate_orcid(orcid)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("https://orcid.org/0000-0002-1825-0097", "0000-0002-1825-0097"),
        ("http://orcid.org/0000-0001-5109-3700", "0000-0001-5109-3700"),
        ("orcid.org/0000-0001-5109-3700", "0000-0001-5109-3700"),
        ("HTTPS://WWW.ORCID.ORG/0000-0002-1694-233X", "0000-0002-1694-233X"),
        ("0000-0002-1694-233x", "0000-0002-1694-233X"),
        ("000000021694233X", "0000-0002-1694-233X"),
        ("  0000-0002-1825-0097 \n", "0000-0002-1825-0097"),
    ],
)
def test_an_orcid_id_pasted_with_the_link_or_without_hyphens_is_stored_bare(typed, stored):
    assert normalise_orcid(typed) == stored


def test_the_check_digit_is_computed_with_iso_7064_mod_11_2():
    assert orcid_check_digit("000000021825009") == "7"
    assert orcid_check_digit("000000015109370") == "0"
    assert orcid_check_digit("000000021694233") == "X"


@pytest.mark.parametrize(
    "orcid", ["0000-0002-1825-0098", "0000-0001-5109-3701", "0000-0002-1694-2330"]
)
def test_an_orcid_id_with_a_wrong_check_digit_is_refused_with_a_clear_message(orcid):
    with pytest.raises(ValidationError) as refused:
        normalise_orcid(orcid)
    assert refused.value.code == "orcid_checksum"
    message = refused.value.messages[0]
    assert orcid in message
    assert "check digit" in message
    assert "orcid.org" in message


def test_two_swapped_digits_are_caught_by_the_check_digit():
    with pytest.raises(ValidationError):
        normalise_orcid("0000-0002-8125-0097")


@pytest.mark.parametrize(
    "typed",
    ["0000-0002-1825", "0000-0002-1825-00977", "abcd-0002-1825-0097", "https://example.org/x"],
)
def test_a_value_not_shaped_like_an_orcid_id_is_refused_with_an_example(typed):
    with pytest.raises(ValidationError) as refused:
        normalise_orcid(typed)
    assert refused.value.code == "orcid_format"
    assert "0000-0002-1825-0097" in refused.value.messages[0]


def test_an_empty_orcid_id_is_allowed_because_it_is_optional():
    assert normalise_orcid("") == ""
    assert normalise_orcid("   ") == ""


def _profile_data(**overrides):
    data = {
        "full_name": "Ada Lovelace",
        "institution": "University of Example",
        "research_purposes": "Pharmacogenomics of common medicines.",
    }
    return data | overrides


def test_the_profile_form_stores_a_pasted_orcid_link_as_the_bare_id():
    form = ProfileForm(_profile_data(orcid="https://orcid.org/0000-0002-1694-233x"))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["orcid"] == "0000-0002-1694-233X"


def test_the_profile_form_puts_a_bad_check_digit_message_on_the_orcid_field():
    form = ProfileForm(_profile_data(orcid="0000-0002-1825-0098"))
    assert not form.is_valid()
    assert list(form.errors) == ["orcid"]
    assert "check digit" in form.errors["orcid"][0]
