"""Every form with more than three fields shows, at its top, a summary of its errors that
links to each field, keeps what was typed, and limits free text in the portal's words."""

import re

import pytest
from django.urls import reverse

from portal.models import CodeOfConductVersion
from portal.onboarding.forms_profile import ProfileForm
from tests.factories import ResearcherProfileFactory, latest_code_of_conduct


def _summary(html: str) -> str:
    match = re.search(r'<div class="alert alert-danger error-summary".*?</div>', html, re.S)
    assert match, "no error summary on the page"
    return match.group(0)


def _links(summary: str) -> list[str]:
    return re.findall(r'<a class="alert-link" href="#([^"]+)">', summary)


def _assert_summary_first_and_linked(html: str, fields: list[str]) -> None:
    summary = _summary(html)
    # At the top: before the form's first field.
    assert html.index("data-error-summary") < html.index(f'id="{fields[0]}"')
    assert 'tabindex="-1"' in summary  # the script moves the focus here
    for field in fields:
        assert field in _links(summary), field
        assert f'id="{field}"' in html  # each link has a field to land on


def test_the_sign_up_form(client, db):
    response = client.post(
        reverse("account_signup"),
        {"email": "not-an-email", "full_name": "", "password1": "x", "password2": "y"},
    )

    html = response.content.decode()
    _assert_summary_first_and_linked(html, ["id_email", "id_full_name"])
    assert 'value="not-an-email"' in html


def test_the_signing_form_summary_sits_at_the_top_of_the_page(client, researcher):
    version = latest_code_of_conduct()
    client.force_login(researcher)

    response = client.post(
        reverse("access-code-of-conduct"),
        {
            "version": version.version,
            "has_read": "on",
            "printed_name": "Someone Else",
            "password": "wrong",
        },
    )

    html = response.content.decode()
    summary = _summary(html)
    assert "Nothing was signed." in summary
    assert html.index("data-error-summary") < html.index('id="coc-text"')
    assert {"id_printed_name", "id_password"} <= set(_links(summary))
    assert 'value="Someone Else"' in html


def test_the_profile_form(client, researcher):
    ResearcherProfileFactory(user=researcher)
    client.force_login(researcher)

    response = client.post(
        reverse("access-profile"),
        {
            "full_name": "Rosa Researcher",
            "institution": "",
            "phone": "call me",
            "postal_address": "1 Long Road\n" * 60,
            "research_purposes": "Plasma markers.",
        },
    )

    html = response.content.decode()
    _assert_summary_first_and_linked(html, ["id_phone", "id_postal_address", "id_institution"])
    summary = _summary(html)
    assert re.search(r"Keep this to 500 characters or fewer; it has \d+ now\.", summary)
    assert "Enter a telephone number that can be dialled" in summary
    assert "Plasma markers." in html


def test_the_publish_form(client, program_admin):
    latest_code_of_conduct()
    client.force_login(program_admin)

    response = client.post(
        reverse("access-code-of-conduct-publish"),
        {"version": "", "title": "A title", "body": "", "statements": ""},
    )

    html = response.content.decode()
    _assert_summary_first_and_linked(html, ["id_version", "id_body", "id_statements"])
    assert 'value="A title"' in html
    assert not CodeOfConductVersion.objects.filter(title="A title").exists()


def test_the_people_filters(client, auditor):
    client.force_login(auditor)

    response = client.get(reverse("access-people"), {"q": "x" * 201, "sort": "-name"})

    html = response.content.decode()
    summary = _summary(html)
    assert _links(summary) == ["id_q"]
    assert "Search with 200 characters or fewer." in summary


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("+1 301 555 0100", "+1 301-555-0100"),
        ("(301) 555-0100", "+1 301-555-0100"),
        ("+44 20 7946 0958", "+44 20 7946 0958"),
        ("", ""),
    ],
)
def test_a_dialable_phone_number_is_accepted_in_its_international_form(typed, stored):
    form = ProfileForm(
        {"full_name": "A B", "institution": "X", "research_purposes": "Y", "phone": typed}
    )

    assert form.is_valid(), form.errors
    assert form.cleaned_data["phone"] == stored


@pytest.mark.parametrize("typed", ["12345", "call me", "+1 555"])
def test_a_phone_number_that_cannot_be_dialled_is_refused(typed):
    form = ProfileForm(
        {"full_name": "A B", "institution": "X", "research_purposes": "Y", "phone": typed}
    )

    assert not form.is_valid()
    assert "Enter a telephone number that can be dialled" in form.errors["phone"][0]


def test_free_text_without_its_own_limit_gets_the_portals_limit_and_message():
    form = ProfileForm({"full_name": "A B", "institution": "X", "research_purposes": "Y" * 5001})

    assert not form.is_valid()
    assert form.errors["research_purposes"] == [
        "Keep this to 5000 characters or fewer; it has 5001 now."
    ]
