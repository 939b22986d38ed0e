"""The annual profile review (policy 2.1): confirm the whole profile as it is, or update it
and confirm; every confirmation is kept with a snapshot of what was confirmed."""

from datetime import date, timedelta

import pytest
from django.urls import reverse

from portal.actions import PortalAction
from portal.errors import DomainError, PermissionRefused
from portal.models import ProfileReview
from portal.onboarding.eligibility import Requirement, State
from portal.onboarding.selectors import access_status_for
from portal.onboarding.services.profile import (
    conflict_declare,
    conflict_retire,
    profile_review_confirm,
    profile_update,
)
from tests.factories import ResearcherProfileFactory
from tests.helpers import at, at_noon, audit_events, frozen

pytestmark = pytest.mark.django_db

REVIEW_URL = "/access/profile/review/"


def _confirmations():
    return audit_events(PortalAction.PROFILE_REVIEW_CONFIRM)


def test_confirming_stores_a_snapshot_of_the_whole_profile_and_audits_it(researcher):
    ResearcherProfileFactory(
        user=researcher, institution="University of Example", orcid="0000-0002-1825-0097"
    )
    conflict = conflict_declare(
        user=researcher, actor=researcher, kind="financial", description="Shares in ExampleDx."
    )

    review = profile_review_confirm(user=researcher, actor=researcher)

    review = ProfileReview.objects.get(pk=review.pk)
    assert review.user == researcher
    assert review.changed is True  # nothing was confirmed before
    snapshot = review.snapshot
    assert snapshot["full_name"] == researcher.full_name
    assert snapshot["email"] == researcher.email
    assert snapshot["institution"] == "University of Example"
    assert snapshot["phone"] == "+1 312 555 0100"
    assert snapshot["postal_address"] == "1 Example Way, Chicago IL"
    assert snapshot["orcid"] == "0000-0002-1825-0097"
    assert snapshot["research_purposes"].startswith("Study how inherited variants")
    assert [c["id"] for c in snapshot["conflicts"]] == [conflict.pk]
    assert snapshot["conflicts"][0]["kind"] == "financial"
    [event] = _confirmations()
    assert event.actor == researcher
    assert event.target_id == str(review.pk)
    assert event.after["changed"] is True


def test_each_confirmation_is_kept_and_an_unchanged_profile_is_marked_unchanged(researcher):
    ResearcherProfileFactory(user=researcher)
    with frozen(at_noon(date(2026, 3, 3))):
        first = profile_review_confirm(user=researcher, actor=researcher)
    with frozen(at_noon(date(2027, 2, 20))):
        second = profile_review_confirm(user=researcher, actor=researcher)

    reviews = list(ProfileReview.objects.filter(user=researcher).order_by("confirmed_at"))
    assert [r.pk for r in reviews] == [first.pk, second.pk]
    assert reviews[1].changed is False
    assert reviews[1].snapshot == reviews[0].snapshot
    assert len(_confirmations()) == 2


def test_a_review_after_an_update_is_marked_changed_and_says_what_changed(researcher):
    ResearcherProfileFactory(user=researcher)
    first = profile_review_confirm(user=researcher, actor=researcher)
    profile_update(user=researcher, actor=researcher, phone="+1 312 555 0777")
    conflict_declare(user=researcher, actor=researcher, kind="non_financial", description="X")

    second = profile_review_confirm(user=researcher, actor=researcher)

    second.refresh_from_db()
    assert second.changed is True
    assert second.snapshot["phone"] == "+1 312 555 0777"
    assert ProfileReview.objects.get(pk=first.pk).snapshot["phone"] == "+1 312 555 0100"
    assert _confirmations()[-1].after["changes"] == ["telephone", "conflicts of interest"]


def test_a_retired_conflict_is_not_part_of_what_is_confirmed(researcher):
    ResearcherProfileFactory(user=researcher)
    conflict = conflict_declare(
        user=researcher, actor=researcher, kind="financial", description="Old consulting."
    )
    conflict_retire(conflict=conflict, actor=researcher)

    review = profile_review_confirm(user=researcher, actor=researcher)

    assert review.snapshot["conflicts"] == []


@pytest.mark.parametrize(
    ("missing", "words"),
    [
        ({"institution": ""}, "your institution"),
        ({"research_purposes": "  "}, "a description of your research purposes"),
    ],
)
def test_a_review_is_refused_while_institution_or_research_purposes_are_empty(
    researcher, missing, words
):
    ResearcherProfileFactory(user=researcher, **missing)

    with pytest.raises(DomainError, match=words):
        profile_review_confirm(user=researcher, actor=researcher)

    assert not ProfileReview.objects.exists()
    assert _confirmations() == []


def test_a_review_is_refused_before_any_profile_exists(researcher):
    with pytest.raises(DomainError, match="your institution and a description"):
        profile_review_confirm(user=researcher, actor=researcher)

    assert not ProfileReview.objects.exists()


def test_nobody_else_can_confirm_a_researchers_review(researcher, program_admin):
    ResearcherProfileFactory(user=researcher)

    with pytest.raises(PermissionRefused):
        profile_review_confirm(user=researcher, actor=program_admin)

    assert not ProfileReview.objects.exists()
    assert _confirmations() == []


def test_a_confirmed_review_completes_the_profile_review_requirement_for_a_year(researcher):
    ResearcherProfileFactory(user=researcher)
    with frozen(at(date(2026, 3, 3), 9)):
        assert (
            access_status_for(researcher).get(Requirement.PROFILE_REVIEW).state == State.INCOMPLETE
        )
        profile_review_confirm(user=researcher, actor=researcher)
        requirement = access_status_for(researcher).get(Requirement.PROFILE_REVIEW)

    assert requirement.state == State.COMPLETE
    assert requirement.expires_on == date(2027, 3, 2)


# --- the page -----------------------------------------------------------------------------


def test_the_review_page_shows_contact_affiliations_conflicts_and_purposes(client, researcher):
    ResearcherProfileFactory(
        user=researcher,
        institution="University of Example",
        other_affiliations="Example Cancer Centre",
        orcid="0000-0001-5109-3700",
    )
    conflict_declare(
        user=researcher, actor=researcher, kind="financial", description="Shares in ExampleDx."
    )
    client.force_login(researcher)

    response = client.get(REVIEW_URL)

    assert response.status_code == 200
    assert response.resolver_match.url_name == "access-profile-review"
    content = response.content.decode()
    for shown in (
        researcher.email,
        "+1 312 555 0100",
        "1 Example Way, Chicago IL",
        "University of Example",
        "Example Cancer Centre",
        "0000-0001-5109-3700",
        "Financial: Shares in ExampleDx.",
        "Study how inherited variants",
        "You have not confirmed your profile yet.",
    ):
        assert shown in content
    assert f"{reverse('access-profile')}?next={REVIEW_URL}" in content


def test_confirming_on_the_page_stores_the_review_and_goes_to_the_requirements(client, researcher):
    ResearcherProfileFactory(user=researcher)
    client.force_login(researcher)

    response = client.post(REVIEW_URL, {"attest": "on"}, follow=True)

    assert response.redirect_chain[-1][0] == reverse("access-requirements")
    assert b"your profile review is confirmed" in response.content
    assert ProfileReview.objects.filter(user=researcher).count() == 1


def test_confirming_without_ticking_the_box_stores_nothing_and_says_why(client, researcher):
    ResearcherProfileFactory(user=researcher)
    client.force_login(researcher)

    response = client.post(REVIEW_URL, {})

    assert response.status_code == 400
    assert b"Tick the box to confirm" in response.content
    assert not ProfileReview.objects.exists()


def test_confirming_an_incomplete_profile_on_the_page_says_what_to_add(client, researcher):
    ResearcherProfileFactory(user=researcher, research_purposes="")
    client.force_login(researcher)

    response = client.post(REVIEW_URL, {"attest": "on"})

    assert response.status_code == 400
    content = response.content.decode()
    assert "cannot be confirmed yet" in content
    assert "a description of your research purposes" in content
    assert not ProfileReview.objects.exists()


def test_the_page_lists_every_earlier_review_with_what_changed(client, researcher):
    ResearcherProfileFactory(user=researcher)
    start = at_noon(date(2025, 3, 3))
    with frozen(start):
        first = profile_review_confirm(user=researcher, actor=researcher)
    with frozen(start + timedelta(days=300)):
        second = profile_review_confirm(user=researcher, actor=researcher)
        profile_update(user=researcher, actor=researcher, institution="Example Institute")
    with frozen(start + timedelta(days=600)):
        third = profile_review_confirm(user=researcher, actor=researcher)
        client.force_login(researcher)
        response = client.get(REVIEW_URL)

    content = response.content.decode()
    for review in (first, second, third):
        assert f'data-review="{review.pk}"' in content
    assert content.index(f'data-review="{third.pk}"') < content.index(f'data-review="{first.pk}"')
    assert "Updated: institution" in content
    assert "Confirmed as it was" in content
    assert "First review" in content
    assert "your review expires on 24 October 2027" in content


def test_updating_from_the_review_page_returns_to_it(client, researcher):
    ResearcherProfileFactory(user=researcher)
    client.force_login(researcher)

    response = client.post(
        reverse("access-profile"),
        {
            "full_name": researcher.full_name,
            "institution": "Example Institute",
            "research_purposes": "Pharmacogenomics.",
            "next": REVIEW_URL,
        },
        follow=True,
    )

    assert response.redirect_chain[-1][0] == REVIEW_URL
    assert b"Example Institute" in response.content


def test_a_team_member_confirms_their_profile_review_the_same_way(client, authorized_user):
    ResearcherProfileFactory(user=authorized_user)
    client.force_login(authorized_user)

    client.post(REVIEW_URL, {"attest": "on"})

    assert ProfileReview.objects.filter(user=authorized_user).count() == 1
