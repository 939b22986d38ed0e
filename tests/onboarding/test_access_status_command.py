"""`manage.py access_status EMAIL` for the help desk: each requirement and the verdict.

Exit status: 0 eligible, 1 not eligible, 2 no such user.
"""

import io
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.core.management import call_command

from tests.factories import RequirementBypassFactory, make_eligible
from tests.helpers import FROZEN_TODAY as TODAY

pytestmark = pytest.mark.usefixtures("frozen_today")


def _run(email: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("access_status", email, stdout=out, stderr=err)
    except SystemExit as stopped:
        code = stopped.code
    else:
        code = 0
    return code, out.getvalue(), err.getvalue()  # type: ignore[return-value]


def test_an_eligible_person_exits_0_with_every_requirement_listed(researcher):
    make_eligible(researcher, today=TODAY - timedelta(days=10))

    code, out, _ = _run(researcher.email)

    assert code == 0
    lines = out.splitlines()
    assert lines[0] == (
        f"Access status of {researcher.full_name} <{researcher.email}> "
        "on 2026-11-22 (America/Chicago)"
    )
    assert len(lines) == 8
    coc = next(line for line in lines if "Code of Conduct" in line)
    assert "complete" in coc
    assert "last done 2026-11-12" in coc
    assert "expires on 2027-11-12 (355 days left)" in coc
    ct = next(line for line in lines if "Controlled Tier" in line)
    assert "last done -" in ct
    assert "expires on 2027-11-13" in ct
    assert lines[-1] == "Verdict: eligible"


def test_a_person_missing_requirements_exits_1_and_says_which(user_factory):
    person = user_factory(email="new.person@example.org")

    code, out, _ = _run("new.person@example.org")

    assert code == 1
    assert out.splitlines()[-1] == "Verdict: not eligible"
    two_factor = next(line for line in out.splitlines() if "Two-factor" in line)
    assert "incomplete" in two_factor
    assert person.full_name in out


def test_the_note_is_printed_for_a_lapsed_signature(researcher):
    make_eligible(researcher, today=TODAY - timedelta(days=10))
    researcher.full_name = "A Changed Name"
    researcher.save(update_fields=["full_name"])

    code, out, _ = _run(researcher.email)

    assert code == 1
    coc = next(line for line in out.splitlines() if "Code of Conduct" in line)
    assert "expired" in coc
    assert "a new signature under the current name is needed" in coc


def test_a_bypassed_requirement_is_shown_and_counts(user_factory):
    person = make_eligible(user_factory(), today=TODAY)
    person.consents.filter(kind="public_display").delete()
    RequirementBypassFactory(user=person, requirement="consent_public_display")

    code, out, _ = _run(person.email)

    assert code == 0
    line = next(line for line in out.splitlines() if "public display" in line)
    assert "bypassed" in line
    assert "Waived by a program admin." in line


def test_the_email_is_matched_in_any_case_and_by_a_secondary_address(user_factory):
    person = user_factory(email="main@example.org")
    EmailAddress.objects.create(user=person, email="other@example.org", verified=True)

    assert _run("MAIN@Example.org")[0] == 1
    code, out, _ = _run("other@example.org")
    assert code == 1
    assert "<main@example.org>" in out


def test_an_unknown_email_exits_2_and_says_so(db):
    code, out, err = _run("nobody@example.org")

    assert code == 2
    assert out == ""
    assert "No user has the email address nobody@example.org." in err
