"""The requirements page (/access/), the expiry banner on every page, and the dashboard
that sends a researcher whose access is not current back to renew (policy 2.1)."""

import re
from datetime import date, timedelta

import pytest
from allauth.mfa.models import Authenticator
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory, override_settings
from django.urls import reverse

from portal.facts import user_facts
from portal.models import (
    CodeOfConductSignature,
    Consent,
    EligibilitySnapshot,
    ProfileReview,
    ResearcherProfile,
    RosterEntry,
)
from portal.onboarding.context_processors import access_banner, remember_access_status
from portal.onboarding.eligibility import Requirement
from portal.onboarding.selectors import access_status_for
from portal.roles import Role
from tests.factories import (
    CodeOfConductSignatureFactory,
    RequirementBypassFactory,
    make_eligible,
    set_current_code_of_conduct,
)
from tests.helpers import at, at_noon, frozen

pytestmark = pytest.mark.django_db

ACCESS_URL = "/access/"
# Signed on 3 March 2026: the signature holds through 2 March 2027 and expires on 3 March 2027.
SIGNED_ON = date(2026, 3, 3)
EXPIRES_ON = date(2027, 3, 3)


def _rows(html: str) -> dict[str, str]:
    """Each requirement's table row, by requirement."""
    return {
        m.group(1): m.group(0)
        for m in re.finditer(r'<tr data-requirement="([a-z_]+)".*?</tr>', html, re.DOTALL)
    }


def _state(row: str) -> str:
    return re.search(r'data-state="([a-z_]+)"', row).group(1)


def _badge(row: str) -> str:
    return re.search(r'<span class="badge [^"]+">([^<]+)</span>', row).group(1)


def _next_steps(html: str) -> list[str]:
    return re.findall(r'data-next-step="([a-z_]+)"', html)


def _next_step_button(html: str) -> str:
    section = html[html.index("data-next-step=") :]
    return re.search(r'<a class="btn btn-primary" href="([^"]+)"', section).group(1)


def _get(client, user, url=ACCESS_URL):
    client.force_login(user)
    return client.get(url)


# --- every requirement, its state, last done and next due ----------------------------------


def test_a_new_researcher_sees_every_requirement_with_state_last_done_and_next_due(
    client, researcher
):
    response = _get(client, researcher)

    assert response.status_code == 200
    assert response.resolver_match.url_name == "access-requirements"
    html = response.content.decode()
    rows = _rows(html)
    assert list(rows) == [r.value for r in Requirement]
    for requirement in Requirement:
        row = rows[requirement]
        if requirement == Requirement.TWO_FACTOR:
            assert _state(row) == "complete"
            assert _badge(row) == "Complete"
            assert "Turned on" in row
            assert "No renewal needed" in row
        else:
            assert _state(row) == "incomplete"
            assert _badge(row) == "Incomplete"
            assert "Not yet" in row
            assert "<td>Now</td>" in row
    assert 'data-verdict="not-eligible"' in html


def test_each_requirement_links_to_its_page_except_the_roster_check(client, researcher):
    rows = _rows(_get(client, researcher).content.decode())

    assert "href=" not in rows[Requirement.CONTROLLED_TIER]
    assert 'href="/access/consents/"' in rows[Requirement.CONSENT_PUBLIC_DISPLAY]
    assert 'href="/access/consents/"' in rows[Requirement.CONSENT_VIOLATION_RELEASE]
    assert 'href="/access/code-of-conduct/"' in rows[Requirement.CODE_OF_CONDUCT]
    assert 'href="/access/profile/review/"' in rows[Requirement.PROFILE_REVIEW]
    assert f'href="{reverse("mfa_index")}"' in rows[Requirement.TWO_FACTOR]


def test_an_eligible_researcher_sees_when_each_requirement_was_done_and_is_next_due(
    client, researcher
):
    make_eligible(researcher, today=SIGNED_ON)
    with frozen(at_noon(SIGNED_ON + timedelta(days=10))):
        response = _get(client, researcher)

    html = response.content.decode()
    rows = _rows(html)
    assert {_state(row) for row in rows.values()} == {"complete"}
    assert "Signed 3 March 2026" in rows[Requirement.CODE_OF_CONDUCT]
    assert "Expires on 3 March 2027 (in 355 days)" in rows[Requirement.CODE_OF_CONDUCT]
    assert "Confirmed 3 March 2026" in rows[Requirement.PROFILE_REVIEW]
    assert "Expires on 3 March 2027" in rows[Requirement.PROFILE_REVIEW]
    assert "Given 3 March 2026" in rows[Requirement.CONSENT_PUBLIC_DISPLAY]
    assert "No renewal needed" in rows[Requirement.CONSENT_VIOLATION_RELEASE]
    assert "Listed on the roster imported" in rows[Requirement.CONTROLLED_TIER]
    assert "Expires on 4 March 2027" in rows[Requirement.CONTROLLED_TIER]
    assert 'data-verdict="eligible"' in html
    assert _next_steps(html) == ["none"]
    assert _next_step_button(html) == reverse("dashboard")


def test_a_requirement_within_30_days_of_expiry_shows_as_expiring_soon(client, researcher):
    make_eligible(researcher, today=SIGNED_ON)
    with frozen(at_noon(EXPIRES_ON - timedelta(days=10))):
        response = _get(client, researcher)

    html = response.content.decode()
    row = _rows(html)[Requirement.CODE_OF_CONDUCT]
    assert _state(row) == "expiring_soon"
    assert _badge(row) == "Expiring soon"
    assert "Expires on 3 March 2027 (in 10 days)" in row
    assert _next_steps(html) == ["code_of_conduct"]
    assert "Your signature expires on 3 March 2027" in html


def test_an_expired_requirement_shows_when_it_expired(client, researcher):
    make_eligible(researcher, today=SIGNED_ON)
    with frozen(at_noon(EXPIRES_ON)):
        response = _get(client, researcher)

    html = response.content.decode()
    row = _rows(html)[Requirement.CODE_OF_CONDUCT]
    assert _state(row) == "expired"
    assert _badge(row) == "Expired"
    assert "Now: it expired on 3 March 2027" in row
    assert "Signed 3 March 2026" in row
    assert _next_steps(html) == ["code_of_conduct"]


def test_a_bypassed_requirement_shows_as_bypassed_and_does_not_block(client, eligible_researcher):
    RosterEntry.objects.all().delete()
    RequirementBypassFactory(user=eligible_researcher, requirement=Requirement.CONTROLLED_TIER)

    html = _get(client, eligible_researcher).content.decode()

    row = _rows(html)[Requirement.CONTROLLED_TIER]
    assert _state(row) == "bypassed"
    assert _badge(row) == "Bypassed"
    assert "Waived by a program admin" in row
    assert 'data-verdict="eligible"' in html


# --- one next step ------------------------------------------------------------------------


def test_a_new_researcher_gets_one_next_step_they_can_do_now_not_the_controlled_tier(
    client, researcher
):
    html = _get(client, researcher).content.decode()

    assert _next_steps(html) == ["consent_public_display"]
    assert html.count("Your next step") == 1
    assert _next_step_button(html) == reverse("access-consents")


@override_settings(
    CONTROLLED_TIER_ACCESS_URL="https://workbench.example.org/controlled-tier",
    PORTAL_HELP_EMAIL="help@biobank.example.org",
)
def test_the_controlled_tier_step_says_what_it_is_where_to_get_it_and_whom_to_ask(
    client, eligible_researcher
):
    RosterEntry.objects.all().delete()

    html = _get(client, eligible_researcher).content.decode()

    assert _next_steps(html) == ["controlled_tier"]
    assert "Waiting for the roster" in html
    assert "The Controlled Tier holds the All of Us Research Program" in html
    assert "The program&#x27;s staff import" in html
    assert "every night" in html
    assert _next_step_button(html) == "https://workbench.example.org/controlled-tier"
    assert 'href="mailto:help@biobank.example.org"' in html
    assert reverse("account_email") in html


def _without(user, requirement: Requirement) -> None:
    if requirement in (Requirement.CONSENT_PUBLIC_DISPLAY, Requirement.CONSENT_VIOLATION_RELEASE):
        Consent.objects.filter(user=user).delete()
    elif requirement == Requirement.CODE_OF_CONDUCT:
        CodeOfConductSignature.objects.filter(user=user).delete()
    elif requirement == Requirement.PROFILE_REVIEW:
        ProfileReview.objects.filter(user=user).delete()
    elif requirement == Requirement.TWO_FACTOR:
        Authenticator.objects.filter(user=user).delete()


@pytest.mark.parametrize(
    ("missing", "step", "url", "url_name"),
    [
        (
            Requirement.CONSENT_PUBLIC_DISPLAY,
            "consent_public_display",
            "/access/consents/",
            "access-consents",
        ),
        (
            Requirement.CODE_OF_CONDUCT,
            "code_of_conduct",
            "/access/code-of-conduct/",
            "access-code-of-conduct",
        ),
        (
            Requirement.PROFILE_REVIEW,
            "profile_review",
            "/access/profile/review/",
            "access-profile-review",
        ),
        (Requirement.TWO_FACTOR, "two_factor", "/accounts/2fa/totp/activate/", "mfa_activate_totp"),
    ],
)
def test_the_next_step_is_the_first_requirement_not_met_with_a_button_to_fix_it(
    client, eligible_researcher, missing, step, url, url_name
):
    _without(eligible_researcher, missing)

    html = _get(client, eligible_researcher).content.decode()

    assert _next_steps(html) == [step]
    assert _next_step_button(html) == url
    assert url == reverse(url_name)


def test_an_incomplete_profile_makes_the_review_the_next_step_even_after_confirming(
    client, eligible_researcher
):
    ResearcherProfile.objects.filter(user=eligible_researcher).update(research_purposes="")

    html = _get(client, eligible_researcher).content.decode()

    assert _state(_rows(html)[Requirement.PROFILE_REVIEW]) == "incomplete"
    assert _next_steps(html) == ["profile_review"]


def test_a_signature_under_an_old_name_asks_to_sign_again(client, eligible_researcher):
    eligible_researcher.full_name = "A Completely Different Name"
    eligible_researcher.save(update_fields=["full_name"])

    html = _get(client, eligible_researcher).content.decode()

    assert _next_steps(html) == ["code_of_conduct"]
    assert "a new signature under the current name is needed" in html


# --- the banner ---------------------------------------------------------------------------


def _banner(html: str) -> str:
    start = html.find("data-access-banner")
    if start == -1:
        return ""
    return html[start : html.index("</div>", start)]


def test_the_banner_appears_30_days_before_an_expiry(client, researcher):
    make_eligible(researcher, today=SIGNED_ON)
    with frozen(at_noon(EXPIRES_ON - timedelta(days=30))):
        banner = _banner(_get(client, researcher, reverse("notifications")).content.decode())

    assert "Your Code of Conduct signature expires on 3 March 2027" in banner
    assert 'href="/access/code-of-conduct/">renew now</a>' in banner
    assert "Your annual profile review expires on 3 March 2027" in banner
    assert "Controlled Tier" not in banner  # that one expires a day later


def test_the_banner_does_not_appear_31_days_before_an_expiry(client, researcher):
    make_eligible(researcher, today=SIGNED_ON)
    with frozen(at_noon(EXPIRES_ON - timedelta(days=31))):
        html = _get(client, researcher, reverse("notifications")).content.decode()

    assert _banner(html) == ""


def test_the_banner_holds_across_the_program_day_not_the_utc_day(client, researcher):
    make_eligible(researcher, today=SIGNED_ON)
    # 23:30 in Chicago on the 31st day before is already the next day in UTC.
    late = at(EXPIRES_ON - timedelta(days=31), 23, 30)
    with frozen(late):
        html = _get(client, researcher, reverse("notifications")).content.decode()

    assert _banner(html) == ""


def test_the_banner_shows_on_every_page_including_the_requirements_page(client, researcher):
    make_eligible(researcher, today=SIGNED_ON)
    with frozen(at_noon(EXPIRES_ON - timedelta(days=3))):
        client.force_login(researcher)
        pages = [ACCESS_URL, reverse("access-profile"), reverse("notifications")]
        banners = [_banner(client.get(url).content.decode()) for url in pages]

    for banner in banners:
        assert "Your Code of Conduct signature expires on 3 March 2027" in banner


def test_the_banner_says_when_a_requirement_has_expired(client, researcher):
    make_eligible(researcher, today=SIGNED_ON)
    CodeOfConductSignatureFactory(user=researcher, signed_at=at_noon(date(2026, 12, 1)))
    with frozen(at_noon(EXPIRES_ON + timedelta(days=1))):
        banner = _banner(_get(client, researcher, reverse("notifications")).content.decode())

    assert "Your annual profile review expired on 3 March 2027" in banner
    assert "to regain access" in banner
    assert "Code of Conduct" not in banner


def test_no_banner_for_a_user_who_does_not_onboard(client, prab_member):
    make_eligible(prab_member, today=SIGNED_ON)
    with frozen(at_noon(EXPIRES_ON - timedelta(days=3))):
        html = _get(client, prab_member, reverse("notifications")).content.decode()

    assert _banner(html) == ""


def test_no_banner_for_a_researcher_with_nothing_expiring(client, eligible_researcher):
    html = _get(client, eligible_researcher, reverse("notifications")).content.decode()

    assert _banner(html) == ""


# --- sent to renew --------------------------------------------------------------------------


def test_a_researcher_who_is_not_eligible_is_sent_from_the_dashboard_to_the_requirements(
    client, researcher
):
    client.force_login(researcher)

    response = client.get(reverse("role-dashboard", args=[Role.RESEARCHER]))

    assert response.status_code == 302
    assert response["Location"] == ACCESS_URL
    followed = client.get(response["Location"])
    assert b"Complete the requirements below to use your dashboard" in followed.content


def test_signing_in_lands_a_new_researcher_on_the_requirements_page(client, researcher):
    client.force_login(researcher)

    response = client.get(reverse("dashboard"), follow=True)

    assert response.redirect_chain[-1][0] == ACCESS_URL
    assert b"Access requirements" in response.content


def test_an_eligible_researcher_opens_the_dashboard(client, eligible_researcher):
    client.force_login(eligible_researcher)

    response = client.get(reverse("role-dashboard", args=[Role.RESEARCHER]))

    assert response.status_code == 200
    assert b"Researcher dashboard" in response.content


def test_a_researcher_whose_access_lapsed_is_sent_to_renew(client, researcher):
    make_eligible(researcher, today=SIGNED_ON)
    EligibilitySnapshot.objects.create(
        user=researcher, eligible=True, earliest_expiry=EXPIRES_ON, computed_at=at_noon(SIGNED_ON)
    )
    with frozen(at_noon(EXPIRES_ON + timedelta(days=1))):
        client.force_login(researcher)
        response = client.get(reverse("role-dashboard", args=[Role.RESEARCHER]), follow=True)

    assert response.redirect_chain == [(ACCESS_URL, 302)]
    content = response.content.decode()
    assert "Your access has lapsed" in content
    assert "Biospecimen Access Code of Conduct signature" in content


def test_another_role_dashboard_stays_open_while_researcher_access_is_incomplete(
    client, user_factory
):
    user = user_factory(roles=[Role.RESEARCHER, Role.PRAB_MEMBER], two_factor=True)
    client.force_login(user)

    response = client.get(reverse("role-dashboard", args=[Role.PRAB_MEMBER]))

    assert response.status_code == 200
    assert "<h1>PRAB reviewer dashboard</h1>" in response.content.decode()


# --- team members onboard the same way (point 9) ------------------------------------------


def test_a_team_member_sees_the_same_requirements_and_next_step(client, authorized_user):
    html = _get(client, authorized_user).content.decode()

    assert list(_rows(html)) == [r.value for r in Requirement]
    assert _next_steps(html) == ["consent_public_display"]


def test_a_team_member_who_is_not_eligible_is_sent_from_the_dashboard_to_renew(
    client, authorized_user
):
    client.force_login(authorized_user)

    response = client.get(reverse("role-dashboard", args=[Role.AUTHORIZED_USER]))

    assert response.status_code == 302
    assert response["Location"] == ACCESS_URL


def test_an_eligible_team_member_opens_the_dashboard(client, authorized_user):
    make_eligible(authorized_user)
    client.force_login(authorized_user)

    response = client.get(reverse("role-dashboard", args=[Role.AUTHORIZED_USER]))

    assert response.status_code == 200
    page = response.content.decode()
    assert "<h1>Team member dashboard</h1>" in page
    assert "Projects you are named on" in page


def test_a_team_member_sees_the_banner_30_days_before_an_expiry(client, authorized_user):
    make_eligible(authorized_user, today=SIGNED_ON)
    with frozen(at_noon(EXPIRES_ON - timedelta(days=30))):
        html = _get(client, authorized_user, reverse("notifications")).content.decode()

    assert "Your Code of Conduct signature expires on 3 March 2027" in _banner(html)


# --- queries ------------------------------------------------------------------------------

# The user only: the session, roles, notification counts, access status and last-done dates
# come from the cache (portal.facts). No session save: the session is renewed at most once a
# minute (the warm-up request did it). After a change to the user's records the page reads
# their facts again: roles, notification counts, access status and last-done dates (three).
ACCESS_PAGE_QUERIES = 1
FACTS_QUERIES = 6


def test_the_requirements_page_makes_a_fixed_number_of_queries(
    client, researcher, django_assert_num_queries
):
    client.force_login(researcher)
    client.get(ACCESS_URL)
    with django_assert_num_queries(ACCESS_PAGE_QUERIES):
        client.get(ACCESS_URL)

    make_eligible(researcher)
    CodeOfConductSignatureFactory(user=researcher)
    with django_assert_num_queries(ACCESS_PAGE_QUERIES + FACTS_QUERIES):
        client.get(ACCESS_URL)
    with django_assert_num_queries(ACCESS_PAGE_QUERIES):
        client.get(ACCESS_URL)


def _request(user):
    request = RequestFactory().get("/notifications/")
    request.user = user
    return request


def test_the_banner_context_processor_reads_the_cached_facts_for_a_researcher(
    researcher, django_assert_num_queries
):
    make_eligible(researcher, today=SIGNED_ON)
    with frozen(at_noon(EXPIRES_ON - timedelta(days=3))):
        user_facts(researcher)  # read by the middleware before any page renders
        with django_assert_num_queries(0):
            context = access_banner(_request(researcher))

    # Soonest first: the roster authorization runs one day longer than the other two.
    assert [item.requirement for item in context["access_banner"]] == [
        Requirement.CODE_OF_CONDUCT,
        Requirement.PROFILE_REVIEW,
        Requirement.CONTROLLED_TIER,
    ]


def test_the_banner_context_processor_makes_no_query_for_others(
    prab_member, django_assert_num_queries
):
    prab_member.role_names  # noqa: B018
    with django_assert_num_queries(0):
        assert access_banner(_request(prab_member)) == {}
        assert access_banner(_request(AnonymousUser())) == {}


def test_the_banner_reuses_an_access_status_the_page_already_computed(
    researcher, django_assert_num_queries
):
    researcher.role_names  # noqa: B018
    request = _request(researcher)
    remember_access_status(request, access_status_for(researcher))

    with django_assert_num_queries(0):
        assert access_banner(request) == {"access_banner": []}


# --- the banner follows the full access status -------------------------------------------


def test_the_banner_follows_a_retired_code_of_conduct_version(eligible_researcher):
    set_current_code_of_conduct("2099.1")

    [item] = access_banner(_request(eligible_researcher))["access_banner"]
    assert "has been retired" in item.text
