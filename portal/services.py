"""Writes on users and roles. Every change is audited in the same transaction."""

from collections.abc import Iterable

from allauth.account.models import EmailAddress
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


# Roles that work in the Django admin site (program admins maintain users and reference
# data there; auditors read the audit log there). Staff status follows them.
ADMIN_SITE_ROLES = frozenset({Role.PROGRAM_ADMIN.value, Role.AUDITOR.value})


@transaction.atomic
def user_set_roles(*, user: User, roles: Iterable[str], actor: User | None) -> User:
    """A program admin (or a command run by the operator, actor None) sets a user's roles.

    The admin site's staff flag follows the roles that work there (ADMIN_SITE_ROLES);
    superusers keep theirs. One `user.roles_set` event records both.
    """
    if actor is not None and not (actor.is_superuser or actor.has_role(Role.PROGRAM_ADMIN)):
        raise PermissionRefused("Only a program admin can change roles.")
    user = User.objects.select_for_update().get(pk=user.pk)
    wanted = sorted({Role(role).value for role in roles})
    before = sorted(user.groups.values_list("name", flat=True))
    staff = user.is_superuser or bool(ADMIN_SITE_ROLES.intersection(wanted))
    if wanted == before and staff == user.is_staff:
        return user
    user.groups.set(Group.objects.filter(name__in=wanted))
    user.__dict__.pop("role_names", None)
    changed_staff = staff != user.is_staff
    if changed_staff:
        user.is_staff = staff
        user.save(update_fields=["is_staff"])
    audit_record(
        actor=actor,
        action="user.roles_set",
        target=user,
        before={"roles": before, **({"is_staff": not staff} if changed_staff else {})},
        after={"roles": wanted, **({"is_staff": staff} if changed_staff else {})},
    )
    return user


@transaction.atomic
def user_email_addresses_reset(*, user: User, actor: User) -> User:
    """After an admin changes someone's sign-in address, make it the only address on file.

    Who: a superuser or program admin, from the user admin. The addresses allauth knew are
    replaced by the new one, unverified: the old address no longer signs in or matches the
    Controlled Tier roster, and the person confirms the new one at their next sign-in.
    """
    if not (actor.is_superuser or actor.has_role(Role.PROGRAM_ADMIN)):
        raise PermissionRefused("Only a program admin can change someone's sign-in address.")
    user = User.objects.select_for_update().get(pk=user.pk)
    before = sorted(
        EmailAddress.objects.filter(user=user).values_list("email", "verified", "primary")
    )
    EmailAddress.objects.filter(user=user).delete()
    EmailAddress.objects.create(user=user, email=user.email, verified=False, primary=True)
    audit_record(
        actor=actor,
        action="user.email_addresses_reset",
        target=user,
        before={"addresses": [{"email": e, "verified": v, "primary": p} for e, v, p in before]},
        after={"addresses": [{"email": user.email, "verified": False, "primary": True}]},
    )
    return user
