"""Every write on a user goes through an audited service, the admin site's included."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from portal.errors import PermissionRefused
from portal.models import AuditEvent, User
from portal.roles import Role
from portal.services import user_admin_update, user_password_set, user_signup
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_user():
    return UserFactory(roles=[Role.PROGRAM_ADMIN], two_factor=True, is_staff=True)


def test_sign_up_saves_the_account_and_its_role_together_with_one_event():
    user = User(email="new.person@example.org", full_name="New Person")

    user_signup(user=user)

    assert User.objects.get(email="new.person@example.org").has_role(Role.RESEARCHER)
    event = AuditEvent.objects.get(action="user.signup")
    assert event.after == {
        "email": "new.person@example.org",
        "full_name": "New Person",
        "roles": ["researcher"],
    }


def test_sign_up_leaves_no_account_when_the_role_cannot_be_given():
    Group.objects.filter(name=Role.RESEARCHER).delete()
    user = User(email="half@example.org")

    with pytest.raises(Group.DoesNotExist):
        user_signup(user=user)

    assert not User.objects.filter(email="half@example.org").exists()
    assert not AuditEvent.objects.filter(action="user.signup").exists()


def test_an_admin_change_writes_only_what_changed_and_audits_it(admin_user):
    person = UserFactory(full_name="Old Name", roles=[Role.RESEARCHER])

    user_admin_update(
        user=person, changes={"full_name": "New Name", "is_active": True}, actor=admin_user
    )

    person.refresh_from_db()
    assert person.full_name == "New Name"
    event = AuditEvent.objects.get(action="user.admin_change")
    assert event.before == {"full_name": "Old Name"}
    assert event.after == {"full_name": "New Name"}


def test_an_admin_change_that_changes_nothing_writes_nothing(admin_user):
    person = UserFactory(full_name="Same Name")

    user_admin_update(user=person, changes={"full_name": "Same Name"}, actor=admin_user)

    assert not AuditEvent.objects.filter(action="user.admin_change").exists()


def test_a_superuser_without_the_program_admin_role_cannot_change_an_account():
    superuser = UserFactory(is_superuser=True, is_staff=True)
    person = UserFactory(full_name="Kept Name")

    with pytest.raises(PermissionRefused):
        user_admin_update(user=person, changes={"full_name": "Other"}, actor=superuser)

    person.refresh_from_db()
    assert person.full_name == "Kept Name"
    assert not AuditEvent.objects.filter(action="user.admin_change").exists()


def test_setting_a_password_audits_that_it_was_set_never_the_password(admin_user):
    person = UserFactory()

    user_password_set(user=person, password="A-new-long-passphrase-2026", actor=admin_user)

    person.refresh_from_db()
    assert person.check_password("A-new-long-passphrase-2026")
    event = AuditEvent.objects.get(action="user.admin_password_set")
    assert event.after == {"usable_password": True}
    assert "A-new-long" not in str(event.before) + str(event.after)


def test_the_admin_password_page_goes_through_the_service(client, admin_user):
    person = UserFactory()
    client.force_login(admin_user)

    response = client.post(
        reverse("admin:auth_user_password_change", args=[person.pk]),
        {
            "password1": "Another-long-passphrase-77",
            "password2": "Another-long-passphrase-77",
            "usable_password": "true",
        },
    )

    assert response.status_code == 302
    person.refresh_from_db()
    assert person.check_password("Another-long-passphrase-77")
    assert AuditEvent.objects.filter(
        action="user.admin_password_set", target_id=str(person.pk)
    ).exists()


def test_the_audit_log_filter_lists_every_declared_action(client, admin_user):
    from portal.actions import PortalAction

    client.force_login(UserFactory(roles=[Role.AUDITOR], two_factor=True, is_staff=True))

    response = client.get(reverse("admin:portal_auditevent_changelist"))

    assert response.status_code == 200
    page = response.content.decode()
    for action in PortalAction:
        assert f"?action={action.value}" in page.replace("&amp;", "&") or (
            f"action={action.value}" in page
        ), action
