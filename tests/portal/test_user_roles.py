"""Roles are set by program admins through one audited service."""

import pytest

from portal.errors import PermissionRefused
from portal.models import AuditEvent
from portal.roles import Role
from portal.services import user_set_roles
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_program_admin_sets_roles_and_one_event_records_them(program_admin):
    person = UserFactory(roles=[Role.RESEARCHER])

    user_set_roles(user=person, roles=[Role.PRAB_MEMBER, Role.RESEARCHER], actor=program_admin)

    person.refresh_from_db()
    assert person.role_names == {Role.PRAB_MEMBER.value, Role.RESEARCHER.value}
    event = AuditEvent.objects.get(action="user.roles_set", target_id=str(person.pk))
    assert event.actor == program_admin
    assert event.before == {"roles": ["researcher"]}
    assert event.after == {"roles": ["prab_member", "researcher"]}


def test_admin_site_roles_bring_staff_status_and_lose_it_with_the_role(program_admin):
    person = UserFactory(roles=[Role.RESEARCHER])

    user_set_roles(user=person, roles=[Role.AUDITOR], actor=program_admin)
    person.refresh_from_db()
    assert person.is_staff

    user_set_roles(user=person, roles=[Role.RESEARCHER], actor=program_admin)
    person.refresh_from_db()
    assert not person.is_staff
    last = AuditEvent.objects.filter(action="user.roles_set").order_by("-id").first()
    assert last.before == {"roles": ["auditor"], "is_staff": True}
    assert last.after == {"roles": ["researcher"], "is_staff": False}


def test_setting_the_same_roles_again_writes_nothing(program_admin):
    person = UserFactory(roles=[Role.RESEARCHER])
    user_set_roles(user=person, roles=[Role.RESEARCHER], actor=program_admin)
    assert not AuditEvent.objects.filter(action="user.roles_set").exists()


def test_someone_who_is_not_a_program_admin_cannot_change_roles(researcher):
    person = UserFactory(roles=[Role.RESEARCHER])

    with pytest.raises(PermissionRefused):
        user_set_roles(user=person, roles=[Role.PROGRAM_ADMIN], actor=researcher)

    person.refresh_from_db()
    assert person.role_names == {Role.RESEARCHER.value}
    assert not person.is_staff
    assert not AuditEvent.objects.filter(action="user.roles_set").exists()
