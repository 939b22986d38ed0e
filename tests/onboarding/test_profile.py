"""The researcher profile: contact details, affiliations, ORCID iD, research purposes and
conflicts of interest, each change audited; conflicts are retired, never deleted."""

import pytest
from django.urls import reverse

from portal.errors import DomainError, PermissionRefused, TransitionNotAllowed
from portal.models import ConflictOfInterest, ResearcherProfile
from portal.onboarding.services.profile import conflict_declare, conflict_retire, profile_update
from tests.factories import CodeOfConductSignatureFactory, ResearcherProfileFactory
from tests.helpers import audit_events

pytestmark = pytest.mark.django_db

PROFILE_URL = "/access/profile/"


def _form_data(**overrides):
    data = {
        "full_name": "Ada Lovelace",
        "phone": "+1 312 555 0199",
        "postal_address": "1 Analytical Way\nChicago IL 60601",
        "institution": "University of Example",
        "job_title": "Professor",
        "other_affiliations": "Example Cancer Centre",
        "orcid": "",
        "research_purposes": "How inherited variants shape response to common medicines.",
    }
    return data | overrides


# --- the service -------------------------------------------------------------------------


def test_a_first_profile_update_creates_the_profile_and_audits_every_field_set(researcher):
    profile = profile_update(
        user=researcher,
        actor=researcher,
        institution="University of Example",
        research_purposes="Pharmacogenomics.",
        orcid="https://orcid.org/0000-0002-1825-0097",
    )

    profile = ResearcherProfile.objects.get(pk=profile.pk)
    assert profile.user == researcher
    assert profile.institution == "University of Example"
    assert profile.orcid == "0000-0002-1825-0097"
    [event] = audit_events("profile.update")
    assert event.actor == researcher
    assert event.target_id == str(profile.pk)
    assert event.before == {"institution": "", "research_purposes": "", "orcid": ""}
    assert event.after == {
        "institution": "University of Example",
        "research_purposes": "Pharmacogenomics.",
        "orcid": "0000-0002-1825-0097",
    }


def test_a_profile_update_audits_only_the_fields_that_changed(researcher):
    ResearcherProfileFactory(user=researcher, phone="+1 312 555 0100")

    profile_update(
        user=researcher,
        actor=researcher,
        phone="+1 312 555 0111",
        institution="University of Example",
        full_name=researcher.full_name,
    )

    [event] = audit_events("profile.update")
    assert event.before == {"phone": "+1 312 555 0100"}
    assert event.after == {"phone": "+1 312 555 0111"}
    assert ResearcherProfile.objects.get(user=researcher).phone == "+1 312 555 0111"


def test_a_profile_update_that_changes_nothing_writes_no_audit_event(researcher):
    profile = ResearcherProfileFactory(user=researcher)

    profile_update(user=researcher, actor=researcher, institution=profile.institution)

    assert audit_events("profile.update") == []


def test_a_name_change_is_saved_on_the_user_and_audited(researcher):
    old_name = researcher.full_name

    profile_update(user=researcher, actor=researcher, full_name="  Ada   King  ")

    researcher.refresh_from_db()
    assert researcher.full_name == "Ada King"
    [event] = audit_events("profile.update")
    assert event.before == {"full_name": old_name}
    assert event.after == {"full_name": "Ada King"}


def test_a_program_admin_may_update_a_researchers_profile(researcher, program_admin):
    profile_update(user=researcher, actor=program_admin, phone="+1 312 555 0123")

    assert ResearcherProfile.objects.get(user=researcher).phone == "+1 312 555 0123"
    [event] = audit_events("profile.update")
    assert event.actor == program_admin


def test_another_researcher_cannot_update_a_profile(researcher, user_factory):
    ResearcherProfileFactory(user=researcher, phone="+1 312 555 0100")
    other = user_factory(roles=["researcher"])

    with pytest.raises(PermissionRefused):
        profile_update(user=researcher, actor=other, phone="+1 000")

    assert ResearcherProfile.objects.get(user=researcher).phone == "+1 312 555 0100"
    assert audit_events("profile.update") == []


def test_a_profile_update_with_a_bad_orcid_check_digit_is_refused_and_changes_nothing(
    researcher,
):
    ResearcherProfileFactory(user=researcher, phone="+1 312 555 0100")

    with pytest.raises(DomainError, match="check digit"):
        profile_update(
            user=researcher, actor=researcher, phone="+1 999", orcid="0000-0002-1825-0098"
        )

    profile = ResearcherProfile.objects.get(user=researcher)
    assert profile.phone == "+1 312 555 0100"
    assert profile.orcid == ""
    assert audit_events("profile.update") == []


def test_an_empty_name_is_refused(researcher):
    name = researcher.full_name

    with pytest.raises(DomainError, match="full name"):
        profile_update(user=researcher, actor=researcher, full_name="   ")

    researcher.refresh_from_db()
    assert researcher.full_name == name


def test_an_unknown_profile_field_is_a_programming_error(researcher):
    with pytest.raises(TypeError, match="salary"):
        profile_update(user=researcher, actor=researcher, salary="1")


# --- conflicts of interest -----------------------------------------------------------------


def test_declaring_a_conflict_records_its_kind_and_description_and_audits_it(researcher):
    conflict = conflict_declare(
        user=researcher,
        actor=researcher,
        kind=ConflictOfInterest.Kind.FINANCIAL,
        description="  I hold shares in Example Diagnostics.  ",
    )

    conflict.refresh_from_db()
    assert conflict.profile.user == researcher
    assert conflict.kind == "financial"
    assert conflict.description == "I hold shares in Example Diagnostics."
    assert conflict.retired_at is None
    [event] = audit_events("conflict.declare")
    assert event.target_id == str(conflict.pk)
    assert event.after == {
        "kind": "financial",
        "description": "I hold shares in Example Diagnostics.",
    }


def test_a_conflict_without_a_description_is_refused(researcher):
    with pytest.raises(DomainError, match="Describe the conflict"):
        conflict_declare(user=researcher, actor=researcher, kind="non_financial", description=" ")

    assert not ConflictOfInterest.objects.exists()
    assert audit_events("conflict.declare") == []


def test_retiring_a_conflict_keeps_it_with_the_time_it_stopped_applying(researcher):
    conflict = conflict_declare(
        user=researcher, actor=researcher, kind="non_financial", description="Board seat."
    )

    conflict_retire(conflict=conflict, actor=researcher)

    conflict = ConflictOfInterest.objects.get(pk=conflict.pk)
    assert conflict.retired_at is not None
    assert conflict.description == "Board seat."
    [event] = audit_events("conflict.retire")
    assert event.before == {"retired_at": None}
    assert event.after["retired_at"] is not None


def test_a_conflict_cannot_be_retired_twice(researcher):
    conflict = conflict_declare(
        user=researcher, actor=researcher, kind="financial", description="Consulting fees."
    )
    conflict_retire(conflict=conflict, actor=researcher)
    retired_at = ConflictOfInterest.objects.get(pk=conflict.pk).retired_at

    with pytest.raises(TransitionNotAllowed, match="already marked"):
        conflict_retire(conflict=conflict, actor=researcher)

    assert ConflictOfInterest.objects.get(pk=conflict.pk).retired_at == retired_at
    assert len(audit_events("conflict.retire")) == 1


def test_another_researcher_cannot_retire_a_conflict(researcher, user_factory):
    conflict = conflict_declare(
        user=researcher, actor=researcher, kind="financial", description="Consulting fees."
    )
    other = user_factory(roles=["researcher"])

    with pytest.raises(PermissionRefused):
        conflict_retire(conflict=conflict, actor=other)

    assert ConflictOfInterest.objects.get(pk=conflict.pk).retired_at is None
    assert audit_events("conflict.retire") == []


# --- the pages ----------------------------------------------------------------------------


def test_the_profile_page_shows_the_profile_in_a_form(client, researcher):
    ResearcherProfileFactory(user=researcher, institution="Example Institute")
    client.force_login(researcher)

    response = client.get(PROFILE_URL)

    assert response.status_code == 200
    assert response.resolver_match.url_name == "access-profile"
    assert b'value="Example Institute"' in response.content
    assert researcher.email.encode() in response.content


def test_saving_the_profile_page_updates_the_profile_and_says_so(client, researcher):
    client.force_login(researcher)

    response = client.post(
        PROFILE_URL, _form_data(orcid="https://orcid.org/0000-0001-5109-3700"), follow=True
    )

    assert response.redirect_chain[-1][0] == PROFILE_URL
    assert b"Your profile is saved." in response.content
    profile = ResearcherProfile.objects.get(user=researcher)
    assert profile.orcid == "0000-0001-5109-3700"
    assert profile.postal_address == "1 Analytical Way\nChicago IL 60601"
    researcher.refresh_from_db()
    assert researcher.full_name == "Ada Lovelace"
    assert len(audit_events("profile.update")) == 1


def test_a_bad_orcid_on_the_profile_page_shows_why_and_keeps_everything_typed(client, researcher):
    client.force_login(researcher)

    response = client.post(
        PROFILE_URL,
        _form_data(institution="Typed Institute", orcid="0000-0002-1825-0098"),
    )

    assert response.status_code == 400
    content = response.content.decode()
    assert "check digit" in content
    assert 'value="Typed Institute"' in content
    assert 'value="0000-0002-1825-0098"' in content
    assert "How inherited variants shape response to common medicines." in content
    assert not ResearcherProfile.objects.filter(user=researcher).exists()
    assert audit_events("profile.update") == []


def test_a_missing_institution_on_the_profile_page_is_marked_and_the_rest_is_kept(
    client, researcher
):
    client.force_login(researcher)

    response = client.post(PROFILE_URL, _form_data(institution="", phone="+1 555 0142"))

    assert response.status_code == 400
    assert b"Enter your institution: your annual profile review needs it." in response.content
    assert b'value="+1 555 0142"' in response.content
    assert not ResearcherProfile.objects.filter(user=researcher).exists()


def test_changing_your_name_after_signing_asks_you_to_sign_again(client, researcher):
    CodeOfConductSignatureFactory(user=researcher)
    client.force_login(researcher)

    response = client.post(PROFILE_URL, _form_data(full_name="Ada King"), follow=True)

    assert b"sign the Code of Conduct again under your new name" in response.content


def test_declaring_a_conflict_on_the_page_lists_it(client, researcher):
    client.force_login(researcher)

    response = client.post(
        reverse("access-conflict-declare"),
        {"kind": "financial", "description": "Shares in Example Diagnostics."},
        follow=True,
    )

    conflict = ConflictOfInterest.objects.get(profile__user=researcher)
    assert b"Your conflict of interest is recorded." in response.content
    assert f'data-conflict="{conflict.pk}"'.encode() in response.content
    assert b"Shares in Example Diagnostics." in response.content


def test_a_conflict_without_a_kind_is_refused_on_the_page_keeping_the_description(
    client, researcher
):
    client.force_login(researcher)

    response = client.post(
        reverse("access-conflict-declare"), {"description": "Typed description stays."}
    )

    assert response.status_code == 400
    assert b"Say whether the conflict is financial or non-financial." in response.content
    assert b"Typed description stays." in response.content
    assert not ConflictOfInterest.objects.exists()


def test_a_retired_conflict_stays_listed_as_no_longer_applying(client, researcher):
    conflict = conflict_declare(
        user=researcher, actor=researcher, kind="non_financial", description="Advisory board."
    )
    client.force_login(researcher)

    response = client.post(reverse("access-conflict-retire", args=[conflict.pk]), follow=True)

    assert b"it stays on your record" in response.content
    assert b"Conflicts that no longer apply" in response.content
    assert b"Advisory board." in response.content
    assert ConflictOfInterest.objects.get(pk=conflict.pk).retired_at is not None


def test_someone_elses_conflict_cannot_be_retired_through_the_page(
    client, researcher, user_factory
):
    conflict = conflict_declare(
        user=researcher, actor=researcher, kind="financial", description="Consulting fees."
    )
    client.force_login(user_factory(roles=["researcher"]))

    response = client.post(reverse("access-conflict-retire", args=[conflict.pk]))

    assert response.status_code == 404
    assert ConflictOfInterest.objects.get(pk=conflict.pk).retired_at is None


def test_the_profile_page_needs_a_signed_in_user(client):
    response = client.get(PROFILE_URL)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_a_team_member_keeps_a_profile_the_same_way(client, authorized_user):
    client.force_login(authorized_user)

    response = client.post(PROFILE_URL, _form_data(), follow=True)

    assert b"Your profile is saved." in response.content
    assert ResearcherProfile.objects.get(user=authorized_user).institution == (
        "University of Example"
    )


def test_saving_the_profile_never_redirects_to_another_site(client, researcher):
    client.force_login(researcher)

    response = client.post(PROFILE_URL, _form_data(next="https://evil.example.com/"))

    assert response.status_code == 302
    assert response["Location"] == PROFILE_URL
