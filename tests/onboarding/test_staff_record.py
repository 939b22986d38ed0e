"""Staff see researchers' access status: the list with verdicts and one person's record.

Program admins, auditors, the PRAB chair and biobank staff may look; anyone else gets 404.
Only program admins may grant or revoke a bypass from the record.
"""

from datetime import date, timedelta

import pytest
from django.urls import reverse

from portal.models import AuditEvent, RequirementBypass
from portal.onboarding.selectors import onboarding_people
from portal.onboarding.services.access import access_recheck_all
from portal.roles import Role
from tests.factories import RequirementBypassFactory, UserFactory, make_eligible
from tests.helpers import FROZEN_TODAY as TODAY
from tests.helpers import at_noon

pytestmark = pytest.mark.usefixtures("frozen_today")
VIEWERS = ["program_admin", "auditor", "prab_chair", "biobank_staff"]
NOT_VIEWERS = ["researcher", "authorized_user", "prab_member", "rab_member", "drc_staff"]
REASON = "Roster export delayed; CT access confirmed with the Workbench team."


def _people(count: int, *, eligible: bool) -> list:
    """`count` researchers with their verdicts recorded, as the nightly check records them."""
    people = UserFactory.create_batch(count, roles=[Role.RESEARCHER], two_factor=True)
    if eligible:
        for person in people:
            make_eligible(person, today=TODAY - timedelta(days=5))
    access_recheck_all(today=TODAY)
    return people


# The list


@pytest.mark.parametrize("role", VIEWERS)
def test_staff_see_researchers_and_authorized_users_with_their_verdict(db, client, request, role):
    eligible = make_eligible(
        UserFactory(full_name="Ada Eligible", roles=[Role.RESEARCHER], two_factor=True)
    )
    member = UserFactory(full_name="Ben Member", roles=[Role.AUTHORIZED_USER])
    UserFactory(full_name="Carl Reviewer", roles=[Role.PRAB_MEMBER], two_factor=True)
    access_recheck_all(today=TODAY)
    client.force_login(request.getfixturevalue(role))

    response = client.get(reverse("access-people"))

    assert response.status_code == 200
    page = response.content.decode()
    rows = {line.row.full_name: line for line in response.context["rows"]}
    assert set(rows) == {"Ada Eligible", "Ben Member"}
    assert rows["Ada Eligible"].row.eligible
    assert not rows["Ben Member"].row.eligible
    assert rows["Ben Member"].roles == "Authorized biospecimen user"
    assert f'data-person="{eligible.pk}"' in page
    assert f'data-person="{member.pk}"' in page
    assert "Carl Reviewer" not in page
    assert "Eligible</span>" in page
    assert "Not eligible</span>" in page


@pytest.mark.parametrize("role", NOT_VIEWERS)
def test_the_list_is_not_found_for_anyone_else(client, request, role):
    client.force_login(request.getfixturevalue(role))

    assert client.get(reverse("access-people")).status_code == 404


@pytest.mark.parametrize("role", VIEWERS)
def test_the_people_selector_lists_researchers_and_authorized_users_to_staff(db, request, role):
    researcher = UserFactory(full_name="Ada Researcher", roles=[Role.RESEARCHER])
    member = UserFactory(full_name="Ben Member", roles=[Role.AUTHORIZED_USER])
    UserFactory(full_name="Carl Reviewer", roles=[Role.PRAB_MEMBER])

    people = onboarding_people(viewer=request.getfixturevalue(role))

    assert list(people) == [researcher, member]


@pytest.mark.parametrize("role", NOT_VIEWERS)
def test_the_people_selector_lists_nobody_to_anyone_else(db, request, role):
    UserFactory(full_name="Ada Researcher", roles=[Role.RESEARCHER])
    UserFactory(full_name="Ben Member", roles=[Role.AUTHORIZED_USER])

    assert list(onboarding_people(viewer=request.getfixturevalue(role))) == []


def test_the_list_needs_a_signed_in_user(client):
    response = client.get(reverse("access-people"))

    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_the_list_is_searched_by_name_or_email(client, auditor):
    UserFactory(full_name="Rosalind Franklin", email="rf@kings.example", roles=[Role.RESEARCHER])
    UserFactory(full_name="Maurice Wilkins", email="mw@kings.example", roles=[Role.RESEARCHER])
    client.force_login(auditor)

    by_name = client.get(reverse("access-people"), {"q": "rosalind"})
    by_email = client.get(reverse("access-people"), {"q": "MW@KINGS"})
    nobody = client.get(reverse("access-people"), {"q": "watson"})

    assert [r.row.full_name for r in by_name.context["rows"]] == ["Rosalind Franklin"]
    assert [r.row.full_name for r in by_email.context["rows"]] == ["Maurice Wilkins"]
    assert nobody.context["rows"] == []
    assert "Nobody matches “watson”" in nobody.content.decode()


def test_the_list_is_paginated_50_to_a_page(client, auditor):
    _people(51, eligible=False)
    client.force_login(auditor)

    first = client.get(reverse("access-people"))
    following = first.context["page"].next
    second = client.get(reverse("access-people"), {"after": following})
    last = client.get(reverse("access-people"), {"page": "last"})

    assert len(first.context["rows"]) == 50
    assert f'href="?after={following}"' in first.content.decode()
    assert "Showing people 1 to 50 of 51." in first.content.decode()
    assert len(second.context["rows"]) == 1
    assert "Showing people 51 to 51 of 51." in second.content.decode()
    # The last page is the last 50 people, ending with the one the second page shows.
    assert len(last.context["rows"]) == 50
    assert last.context["rows"][-1].row.pk == second.context["rows"][0].row.pk
    assert "Showing people 2 to 51 of 51." in last.content.decode()


@pytest.mark.parametrize("count", [10, 30])
def test_the_list_costs_the_same_number_of_queries_for_10_or_30_people(
    client, auditor, django_assert_max_num_queries, count
):
    _people(count, eligible=True)
    client.force_login(auditor)

    with django_assert_max_num_queries(12):
        response = client.get(reverse("access-people"))

    assert len(response.context["rows"]) == count
    assert all(line.row.eligible for line in response.context["rows"])


def test_the_list_issues_exactly_as_many_queries_for_30_people_as_for_10(client, auditor):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(auditor)
    counts, listed = [], []
    for batch in (10, 20):
        _people(batch, eligible=True)
        client.get(reverse("access-people"))  # renews the session, if it is due
        with CaptureQueriesContext(connection) as captured:
            response = client.get(reverse("access-people"))
        counts.append(len(captured))
        listed.append(response.content.decode().count("data-person="))

    assert counts[0] == counts[1]
    assert listed == [10, 30]


# One person's record


def test_the_record_shows_each_requirement_and_bypasses_with_reasons(client, auditor):
    person = make_eligible(
        UserFactory(roles=[Role.RESEARCHER], two_factor=True), today=TODAY - timedelta(days=340)
    )
    person.consents.filter(kind="public_display").delete()
    admin = UserFactory(full_name="Pat Admin", roles=[Role.PROGRAM_ADMIN], two_factor=True)
    RequirementBypassFactory(
        user=person, requirement="consent_public_display", reason=REASON, granted_by=admin
    )
    client.force_login(auditor)

    response = client.get(reverse("access-person", args=[person.pk]))

    assert response.status_code == 200
    page = response.content.decode()
    status = response.context["status"]
    assert status.eligible
    assert 'data-requirement="code_of_conduct"' in page
    coc = status.get("code_of_conduct")
    assert coc.state == "expiring_soon"
    assert f"Signed {coc.last_done:%-d %B %Y}" in page
    assert f"Expires on {coc.lapses_on:%-d %B %Y}" in page  # the day the researcher sees too
    assert "Expiring soon" in page
    assert "Bypassed" in page
    assert REASON in page
    assert "Granted by Pat Admin" in page
    assert "Waive a requirement" not in page  # auditors look, they do not waive
    assert "Revoke" not in page


def test_a_program_admin_sees_the_bypass_form_on_the_record(client, program_admin, researcher):
    client.force_login(program_admin)

    response = client.get(reverse("access-person", args=[researcher.pk]))

    page = response.content.decode()
    assert "Waive a requirement" in page
    assert 'name="reason"' in page


@pytest.mark.parametrize("role", NOT_VIEWERS)
def test_the_record_is_not_found_for_anyone_else(client, request, role, user_factory):
    person = user_factory(roles=[Role.RESEARCHER])
    client.force_login(request.getfixturevalue(role))

    assert client.get(reverse("access-person", args=[person.pk])).status_code == 404


def test_a_researcher_cannot_see_even_their_own_record_here(client, researcher):
    client.force_login(researcher)

    assert client.get(reverse("access-person", args=[researcher.pk])).status_code == 404


def test_only_researchers_and_authorized_users_have_a_record(client, auditor, prab_member):
    client.force_login(auditor)

    assert client.get(reverse("access-person", args=[prab_member.pk])).status_code == 404


def test_the_record_shows_that_an_unverified_email_does_not_count(client, auditor, user_factory):
    from allauth.account.models import EmailAddress

    person = user_factory(roles=[Role.RESEARCHER])
    EmailAddress.objects.create(user=person, email="unverified@example.org", verified=False)
    client.force_login(auditor)

    page = client.get(reverse("access-person", args=[person.pk])).content.decode()

    assert "unverified@example.org — <strong>not verified</strong>" in page


def test_the_record_costs_a_fixed_number_of_queries(client, auditor, django_assert_max_num_queries):
    person = make_eligible(UserFactory(roles=[Role.RESEARCHER], two_factor=True))
    RequirementBypassFactory.create_batch(5, user=person, revoked_at="2026-11-01T00:00Z")
    client.force_login(auditor)

    # The same whatever the number of bypasses: the access status (1), the dates the
    # researcher's own page shows (3: consents, authenticator, roster import), the consent
    # history (1), the bypasses with their revocation reasons (1), and the page's frame.
    with django_assert_max_num_queries(17):
        response = client.get(reverse("access-person", args=[person.pk]))

    assert len(response.context["bypasses"]) == 5


# Granting and revoking from the record


def test_a_program_admin_grants_a_bypass_from_the_record(client, program_admin, researcher):
    client.force_login(program_admin)
    url = reverse("access-person", args=[researcher.pk])

    response = client.post(
        reverse("access-person-bypass-grant", args=[researcher.pk]),
        {"requirement": "controlled_tier", "reason": REASON, "expires_on": "2026-12-31"},
        follow=True,
    )

    assert response.redirect_chain == [(url, 302)]
    bypass = RequirementBypass.objects.get()
    assert bypass.user == researcher
    assert bypass.granted_by == program_admin
    assert bypass.expires_on == date(2026, 12, 31)
    assert AuditEvent.objects.get().action == "requirement_bypass.grant"
    page = response.content.decode()
    assert "Controlled Tier authorization is waived" in page
    assert REASON in page
    assert response.context["status"].get("controlled_tier").state == "bypassed"


def test_a_short_reason_is_refused_with_what_was_typed_kept(client, program_admin, researcher):
    client.force_login(program_admin)

    response = client.post(
        reverse("access-person-bypass-grant", args=[researcher.pk]),
        {"requirement": "code_of_conduct", "reason": "because", "expires_on": "2026-12-31"},
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert "at least 20 characters" in page
    assert ">\nbecause</textarea>" in page
    assert 'value="2026-12-31"' in page
    assert 'value="code_of_conduct" selected' in page
    assert not RequirementBypass.objects.exists()
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize("role", ["auditor", "prab_chair", "biobank_staff", "researcher"])
def test_only_a_program_admin_may_grant_or_revoke_from_the_record(
    client, request, role, user_factory
):
    person = user_factory(roles=[Role.RESEARCHER])
    bypass = RequirementBypassFactory(user=person)
    client.force_login(request.getfixturevalue(role))

    grant = client.post(
        reverse("access-person-bypass-grant", args=[person.pk]),
        {"requirement": "two_factor", "reason": REASON},
    )
    revoke = client.post(reverse("access-person-bypass-revoke", args=[person.pk, bypass.pk]))

    assert grant.status_code == 404
    assert revoke.status_code == 404
    bypass.refresh_from_db()
    assert bypass.revoked_at is None
    assert RequirementBypass.objects.count() == 1
    assert not AuditEvent.objects.exists()


def test_revoking_from_the_record_asks_for_a_reason_and_a_confirmation_first(
    client, program_admin, researcher
):
    bypass = RequirementBypassFactory(user=researcher, reason=REASON)
    client.force_login(program_admin)
    url = reverse("access-person-bypass-revoke", args=[researcher.pk, bypass.pk])

    record = client.get(reverse("access-person", args=[researcher.pk])).content.decode()
    page = client.get(url).content.decode()

    assert f'href="{url}"' in record
    assert "data-revoke-consequence" in page
    assert "Revoke the bypass of" in page
    assert "they are told at once" in page
    bypass.refresh_from_db()
    assert bypass.revoked_at is None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"confirm": "on"}, "Say why the bypass is revoked"),
        ({"reason": "Authenticator app is set up now."}, "Tick the box to confirm"),
        ({"reason": "short", "confirm": "on"}, "at least 10 characters"),
    ],
)
def test_revoking_without_a_reason_or_a_confirmation_changes_nothing(
    client, program_admin, researcher, data, message
):
    bypass = RequirementBypassFactory(user=researcher, reason=REASON)
    client.force_login(program_admin)

    response = client.post(
        reverse("access-person-bypass-revoke", args=[researcher.pk, bypass.pk]), data
    )

    assert response.status_code == 400
    assert message in response.content.decode()
    if "reason" in data:
        assert data["reason"] in response.content.decode()  # what was typed is kept
    bypass.refresh_from_db()
    assert bypass.revoked_at is None
    assert not AuditEvent.objects.exists()


def test_a_program_admin_revokes_a_bypass_from_the_record(client, program_admin, researcher):
    bypass = RequirementBypassFactory(user=researcher, reason=REASON)
    client.force_login(program_admin)

    response = client.post(
        reverse("access-person-bypass-revoke", args=[researcher.pk, bypass.pk]),
        {"reason": "Authenticator app is set up now.", "confirm": "on"},
        follow=True,
    )

    bypass.refresh_from_db()
    assert bypass.revoked_at is not None
    event = AuditEvent.objects.get()
    assert event.action == "requirement_bypass.revoke"
    assert event.after["reason"] == "Authenticator app is set up now."
    page = response.content.decode()
    assert "The bypass is revoked" in page
    assert "Revoked 22 Nov 2026" in page
    assert "because: Authenticator app is set up now." in page


def test_revoking_someone_elses_bypass_through_this_record_is_not_found(
    client, program_admin, user_factory
):
    person = user_factory(roles=[Role.RESEARCHER])
    other = user_factory(roles=[Role.RESEARCHER])
    bypass = RequirementBypassFactory(user=other)
    client.force_login(program_admin)

    response = client.post(reverse("access-person-bypass-revoke", args=[person.pk, bypass.pk]))

    assert response.status_code == 404
    bypass.refresh_from_db()
    assert bypass.revoked_at is None


def test_the_record_speaks_of_the_person_in_the_third_person_with_every_date_they_see(
    client, auditor, frozen_today
):
    person = make_eligible(
        UserFactory(full_name="Nia Newcomer", roles=[Role.RESEARCHER], two_factor=True),
        today=frozen_today - timedelta(days=20),
    )
    person.consents.filter(kind="violation_release").update(
        withdrawn_at=at_noon(frozen_today - timedelta(days=2))
    )
    client.force_login(auditor)

    page = client.get(reverse("access-person", args=[person.pk])).content.decode()

    given = f"{frozen_today - timedelta(days=20):%-d %B %Y}"
    withdrawn = f"{frozen_today - timedelta(days=2):%-d %B %Y}"
    assert "Nia Newcomer does not meet every requirement" in page
    assert "Nia Newcomer gave consent to public display of name" in page
    assert f"(wording 2026.1) on {given}." in page
    assert f"on {given} and withdrew it on {withdrawn}." in page
    assert "Nia Newcomer turned on two-factor authentication on" in page
    assert f"Signed {given}" in page
    assert f"Confirmed {given}" in page
    assert "Expires on" in page
    body = page[page.index("<main") :]
    assert " you " not in body.lower()
    assert "your " not in body.lower()
