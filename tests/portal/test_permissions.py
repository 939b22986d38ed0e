"""The permission table: roles decide, object conditions narrow, superusers get nothing extra."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.template import Context, Template
from django.test import RequestFactory

from portal.errors import PermissionRefused
from portal.models import Consent
from portal.permissions import PERMISSIONS, can, ensure_can, permission_table
from portal.roles import Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_superuser_who_holds_no_role_may_take_no_action():
    superuser = UserFactory(is_superuser=True, is_staff=True, roles=[])
    stranger = UserFactory()

    for action in PERMISSIONS:
        assert not can(superuser, action, stranger), action
        with pytest.raises(PermissionRefused):
            ensure_can(superuser, action, stranger)


def test_a_program_admins_rights_are_the_roles_rights_with_or_without_the_superuser_flag():
    plain = UserFactory(roles=[Role.PROGRAM_ADMIN])
    superuser = UserFactory(roles=[Role.PROGRAM_ADMIN], is_superuser=True, is_staff=True)
    person = UserFactory(roles=[Role.RESEARCHER])

    for action in PERMISSIONS:
        assert can(plain, action, person) == can(superuser, action, person), action
    assert can(plain, "requirement_bypass.grant", person)
    assert not can(plain, "code_of_conduct.sign", person)  # each person signs for themself


def test_an_inactive_account_may_do_nothing():
    admin = UserFactory(roles=[Role.PROGRAM_ADMIN], is_active=False)

    assert not can(admin, "roster.import")
    assert not can(admin, "profile.update", admin)


def test_anonymous_visitors_may_do_nothing():
    for action in PERMISSIONS:
        assert not can(AnonymousUser(), action)  # type: ignore[arg-type]


def test_the_system_may_take_only_the_actions_marked_for_it():
    assert can(None, "roster.import")
    assert can(None, "user.roles.set")
    assert not can(None, "requirement_bypass.grant")
    assert not can(None, "consent.give")


def test_object_conditions_let_a_person_act_on_their_own_records_only():
    owner = UserFactory(roles=[Role.RESEARCHER])
    other = UserFactory(roles=[Role.RESEARCHER])
    consent = Consent(user=owner, kind=Consent.Kind.PUBLIC_DISPLAY)

    assert can(owner, "consent.withdraw", consent)
    assert not can(other, "consent.withdraw", consent)
    assert can(owner, "profile.update", owner)
    assert not can(other, "profile.update", owner)


def test_a_refusal_says_what_the_person_cannot_do():
    researcher = UserFactory(roles=[Role.RESEARCHER])

    with pytest.raises(PermissionRefused, match="Only a program admin may import"):
        ensure_can(researcher, "roster.import")


def test_an_unknown_action_is_a_programming_error_not_a_refusal():
    with pytest.raises(KeyError, match=r"no\.such\.action"):
        can(UserFactory(), "no.such.action")


def test_templates_ask_the_same_table():
    admin = UserFactory(roles=[Role.PROGRAM_ADMIN])
    researcher = UserFactory(roles=[Role.RESEARCHER])
    page = Template(
        '{% load permissions %}{% can "access.people.view" as may %}{% if may %}yes{% endif %}'
    )

    def render(user):
        request = RequestFactory().get("/")
        request.user = user
        return page.render(Context({"request": request}))

    assert render(admin) == "yes"
    assert render(researcher) == ""


def test_the_published_table_lists_every_action_with_its_roles():
    table = {row.action: row for row in permission_table()}

    assert set(table) == set(PERMISSIONS)
    assert table["roster.import"].by_role == {Role.PROGRAM_ADMIN.value: ""}
    assert table["roster.import"].system
    assert table["consent.withdraw"].by_role[Role.RESEARCHER.value] == "own records only"
