"""Navigation and dashboards: each role sees its own dashboards and nothing else."""

import re

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from portal.navigation import ROLE_DASHBOARDS
from portal.roles import Role
from tests.factories import make_eligible

pytestmark = pytest.mark.django_db

# fixture name -> the dashboards (role slugs) that user holds, in navigation order
ROLE_FIXTURES: dict[str, list[str]] = {
    "researcher": [Role.RESEARCHER],
    "authorized_user": [Role.AUTHORIZED_USER],
    "prab_member": [Role.PRAB_MEMBER],
    "prab_chair": [Role.PRAB_MEMBER, Role.PRAB_CHAIR],
    "rab_member": [Role.RAB_MEMBER],
    "biobank_staff": [Role.BIOBANK_STAFF],
    "drc_staff": [Role.DRC_STAFF],
    "auditor": [Role.AUDITOR],
    "program_admin": [Role.PROGRAM_ADMIN],
}

# fixture name -> the panels its own dashboard shows in their empty state
DASHBOARD_PANELS: dict[str, tuple[str, list[str]]] = {
    "researcher": (
        Role.RESEARCHER,
        ["Access requirements", "Applications", "Approved projects", "Reports due"],
    ),
    "authorized_user": (
        Role.AUTHORIZED_USER,
        ["Access requirements", "Projects you are named on"],
    ),
    "prab_member": (Role.PRAB_MEMBER, ["Assigned reviews", "Meetings"]),
    "prab_chair": (
        Role.PRAB_CHAIR,
        ["Screening", "Board review", "Meetings", "Researchers' access"],
    ),
    "rab_member": (
        Role.RAB_MEMBER,
        ["Escalations and appeals", "Violations", "Incident reports"],
    ),
    "biobank_staff": (
        Role.BIOBANK_STAFF,
        [
            "Available volumes",
            "Shipments to prepare",
            "Shipments awaiting second approval",
            "Status reports received",
            "Participant withdrawals",
            "Researchers' access",
        ],
    ),
    "drc_staff": (Role.DRC_STAFF, ["Data returns", "Embargoes"]),
    "auditor": (
        Role.AUDITOR,
        ["Audit log integrity", "Audits", "Recent activity", "Researchers' access"],
    ),
    "program_admin": (
        Role.PROGRAM_ADMIN,
        [
            "Screening",
            "Users and roles",
            "Application templates",
            "Controlled Tier roster",
            "Researchers' access",
            "Agreement versions",
            "Fees",
            "Meetings",
        ],
    ),
}

# Queries for one dashboard page once the user's facts are cached (portal.facts): the user's
# row, nothing else; the session is read from the cache and not written. The first page after
# a change to those facts reads them again: the roles, two-factor, the notification counts
# and, for researchers and team members, the access status (one read, policy 2.1) and the
# dates each requirement was last done (three, of which one also says whether two-factor
# is on). The first page after
# signing in also renews the session's idle timeout (savepoint, update, release), as the
# first page of every minute does.
DASHBOARD_QUERIES = 1
# Panels the apps fill in (portal.panels): a researcher's applications and team invitations;
# the screening queue's length for the PRAB chair and program admins; the board's stage
# counts and next meetings (kept until the next change on the board, or a minute: read on
# the first view only); a
# member's open assignments; the RAB's open questions and appeals.
PANEL_QUERIES = {
    "researcher": 2,
    "prab_chair": 1 + 2,
    "program_admin": 1 + 1,
    "prab_member": 1 + 1,
    "rab_member": 2,
}
PANEL_QUERIES_WARM = {"prab_chair": 1, "program_admin": 1, "prab_member": 0}
SESSION_RENEWAL_QUERIES = 3
FACTS_QUERIES = {"researcher": 6, "authorized_user": 6}
STAFF_FACTS_QUERIES = 3


def sign_in_as(client, request, fixture: str):
    """Sign in the fixture's user; researchers and team members have met every access
    requirement, or their dashboard would send them to the requirements page."""
    user = request.getfixturevalue(fixture)
    if user.has_role(Role.RESEARCHER, Role.AUTHORIZED_USER):
        make_eligible(user)
    client.force_login(user)
    return user


def nav_dashboard_slugs(html: str) -> list[str]:
    """The role dashboards linked from the main navigation, in order."""
    start = html.index('data-nav="dashboards"')
    nav = html[start : html.index("</ul>", start)]
    return re.findall(r'href="/dashboard/([\w-]+)/"', nav)


def test_roles_exist_as_groups_after_migration():
    assert set(Group.objects.values_list("name", flat=True)) >= {r.value for r in Role}


def test_every_role_has_a_dashboard():
    assert set(ROLE_DASHBOARDS) == {r.value for r in Role}


@pytest.mark.parametrize("fixture", ROLE_FIXTURES)
def test_each_role_sees_exactly_its_own_dashboard_links(client, request, fixture):
    sign_in_as(client, request, fixture)
    response = client.get(reverse("role-dashboard", args=[ROLE_FIXTURES[fixture][-1]]))
    assert response.status_code == 200
    assert nav_dashboard_slugs(response.content.decode()) == [
        str(r) for r in ROLE_FIXTURES[fixture]
    ]


@pytest.mark.parametrize("fixture", DASHBOARD_PANELS)
def test_each_role_sees_its_own_dashboard_with_empty_panels(client, request, fixture):
    role, panels = DASHBOARD_PANELS[fixture]
    sign_in_as(client, request, fixture)
    response = client.get(reverse("role-dashboard", args=[role]))
    assert response.status_code == 200
    html = response.content.decode()
    assert f"<h1>{ROLE_DASHBOARDS[role].title}</h1>" in html
    headings = re.findall(r'<h2 class="h5 card-title" id="panel-[\w-]+">([^<]+)</h2>', html)
    assert headings == panels
    # The panels the applications app fills in are never empty; every other one is, so far.
    filled = {
        "Screening",
        "Application templates",
        "Board review",
        "Escalations and appeals",
        "Available volumes",
    }
    assert html.count('class="empty-state') == len([p for p in panels if p not in filled])


def test_researcher_dashboard_says_what_will_appear_in_each_panel(client, eligible_researcher):
    client.force_login(eligible_researcher)
    html = client.get(reverse("role-dashboard", args=[Role.RESEARCHER.value])).content.decode()
    assert "You meet every access requirement" in html
    assert f'href="{reverse("access-requirements")}"' in html
    assert "Applications you start will be listed here" in html


@pytest.mark.parametrize("fixture", ROLE_FIXTURES)
def test_no_role_can_open_another_roles_dashboard(client, request, fixture):
    sign_in_as(client, request, fixture)
    others = [r for r in Role if r not in ROLE_FIXTURES[fixture]]
    assert others
    for role in others:
        response = client.get(reverse("role-dashboard", args=[role.value]))
        assert response.status_code == 404, role


def test_an_unknown_dashboard_is_not_found(client, researcher):
    client.force_login(researcher)
    assert client.get("/dashboard/no-such-role/").status_code == 404


def test_anonymous_visitor_is_sent_to_sign_in_from_the_dashboard(client):
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302
    assert response.url == f"{reverse('account_login')}?next={reverse('dashboard')}"


def test_anonymous_visitor_is_sent_to_sign_in_from_a_role_dashboard(client):
    url = reverse("role-dashboard", args=[Role.RESEARCHER.value])
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_researcher_lands_on_their_dashboard(client, eligible_researcher):
    client.force_login(eligible_researcher)
    response = client.get(reverse("dashboard"), follow=True)
    assert response.redirect_chain == [(reverse("role-dashboard", args=["researcher"]), 302)]
    assert b"Researcher dashboard" in response.content


def test_user_with_several_roles_chooses_a_dashboard(client, prab_chair):
    client.force_login(prab_chair)
    response = client.get(reverse("dashboard"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "You hold several roles" in html
    for role in (Role.PRAB_MEMBER, Role.PRAB_CHAIR):
        assert f'href="{reverse("role-dashboard", args=[role.value])}"' in html
        assert ROLE_DASHBOARDS[role].title in html


def test_user_with_several_roles_gets_a_way_back_to_the_chooser(client, prab_chair):
    client.force_login(prab_chair)
    response = client.get(reverse("role-dashboard", args=[Role.PRAB_CHAIR.value]))
    assert f'<a href="{reverse("dashboard")}">Your dashboards</a>' in response.content.decode()


def test_user_without_a_role_is_told_why_there_is_no_dashboard(client, user_factory):
    client.force_login(user_factory())
    response = client.get(reverse("dashboard"))
    assert response.status_code == 200
    assert "Your account has no role in the portal yet" in response.content.decode()
    assert nav_dashboard_slugs(response.content.decode()) == []


def test_current_dashboard_is_marked_in_the_navigation(client, prab_chair):
    client.force_login(prab_chair)
    html = client.get(reverse("role-dashboard", args=[Role.PRAB_CHAIR.value])).content.decode()
    assert html.count('aria-current="page"') == 2  # the nav link and the breadcrumb
    current = re.search(r'href="(/dashboard/[\w-]+/)"\s+aria-current="page"', html)
    assert current is not None
    assert current.group(1) == reverse("role-dashboard", args=[Role.PRAB_CHAIR.value])


@pytest.mark.parametrize("fixture", ROLE_FIXTURES)
def test_admin_link_is_shown_only_to_program_admins(client, request, fixture):
    sign_in_as(client, request, fixture)
    html = client.get(reverse("role-dashboard", args=[ROLE_FIXTURES[fixture][-1]])).content
    shown = f'href="{reverse("admin:index")}"'.encode() in html
    assert shown is (fixture == "program_admin")


def test_admin_link_is_shown_to_superusers(client, user_factory):
    client.force_login(user_factory(is_superuser=True, is_staff=True, two_factor=True))
    response = client.get(reverse("notifications"))
    assert f'href="{reverse("admin:index")}"'.encode() in response.content


def test_account_menu_offers_settings_two_factor_and_sign_out_by_post(client, eligible_researcher):
    client.force_login(eligible_researcher)
    html = client.get(reverse("role-dashboard", args=["researcher"])).content.decode()
    assert f'href="{reverse("account_email")}"' in html
    assert f'href="{reverse("mfa_index")}"' in html
    assert re.search(
        rf'<form method="post" action="{reverse("account_logout")}">'
        r'<input type="hidden" name="csrfmiddlewaretoken"[^>]*>\s*'
        r'<button class="dropdown-item" type="submit">Sign out</button>',
        html,
    )


def test_anonymous_navigation_offers_sign_in_and_sign_up_only(client):
    html = client.get(reverse("account_login")).content.decode()
    assert 'data-nav="dashboards"' not in html
    assert f'href="{reverse("account_signup")}"' in html
    assert reverse("notifications") not in html


@pytest.mark.parametrize("fixture", ROLE_FIXTURES)
def test_dashboard_query_count_is_pinned(client, request, fixture, django_assert_num_queries):
    sign_in_as(client, request, fixture)
    url = reverse("role-dashboard", args=[ROLE_FIXTURES[fixture][-1]])
    facts = FACTS_QUERIES.get(fixture, STAFF_FACTS_QUERIES)
    panels = PANEL_QUERIES.get(fixture, 0)
    with django_assert_num_queries(DASHBOARD_QUERIES + panels + facts + SESSION_RENEWAL_QUERIES):
        assert client.get(url).status_code == 200
    with django_assert_num_queries(DASHBOARD_QUERIES + PANEL_QUERIES_WARM.get(fixture, panels)):
        assert client.get(url).status_code == 200


def test_dashboard_chooser_query_count_is_pinned(client, prab_chair, django_assert_num_queries):
    client.force_login(prab_chair)
    client.get(reverse("dashboard"))
    with django_assert_num_queries(DASHBOARD_QUERIES):
        assert client.get(reverse("dashboard")).status_code == 200
