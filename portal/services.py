"""Writes on users and roles. Every change is audited in the same transaction."""

from collections.abc import Iterable

from django.contrib.auth.models import Group
from django.db import transaction

from portal.audit import audit_record
from portal.errors import PermissionRefused
from portal.models import User
from portal.roles import Role


@transaction.atomic
def user_grant_initial_role(*, user: User) -> User:
    """Give a newly signed-up person the researcher role. Called by the sign-up adapter."""
    group = Group.objects.get(name=Role.RESEARCHER)
    user.groups.add(group)
    audit_record(
        actor=user,
        action="user.signup",
        target=user,
        before={},
        after={"email": user.email, "roles": [Role.RESEARCHER.value]},
    )
    return user


@transaction.atomic
def user_set_roles(*, user: User, roles: Iterable[str], actor: User | None) -> User:
    """A program admin (or a command run by the operator, actor None) sets a user's roles."""
    if actor is not None and not (actor.is_superuser or actor.has_role(Role.PROGRAM_ADMIN)):
        raise PermissionRefused("Only a program admin can change roles.")
    user = User.objects.select_for_update().get(pk=user.pk)
    wanted = sorted({Role(role).value for role in roles})
    before = sorted(user.groups.values_list("name", flat=True))
    if wanted == before:
        return user
    user.groups.set(Group.objects.filter(name__in=wanted))
    user.__dict__.pop("role_names", None)
    audit_record(
        actor=actor,
        action="user.roles_set",
        target=user,
        before={"roles": before},
        after={"roles": wanted},
    )
    return user
