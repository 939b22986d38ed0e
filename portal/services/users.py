"""Writes on users and roles. Every change is audited in the same transaction.

The Django admin and allauth's sign-up call these; nothing else saves a user. A user is
deactivated, never deleted: the audit log and every signature refer to them.
"""

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group
from django.db import transaction

from portal.actions import PortalAction
from portal.audit import audit_record
from portal.errors import DomainError
from portal.models import User
from portal.permissions import ensure_can
from portal.roles import Role

# Roles that work in the Django admin site (program admins maintain users and reference
# data there; auditors read the audit log there). Staff status follows them.
ADMIN_SITE_ROLES = frozenset({Role.PROGRAM_ADMIN.value, Role.AUDITOR.value})
# Fields of the account a program admin may change in the admin site, and that are audited
# (roles go through user_set_roles; passwords through user_password_set, never logged).
USER_ADMIN_FIELDS = ("email", "full_name", "is_active", "is_staff", "is_superuser")


@transaction.atomic
def user_signup(*, user: User) -> User:
    """Save a person who signed up and give them the researcher role, in one transaction.

    Called by the sign-up adapter with the unsaved user allauth built. Audits `user.signup`.
    """
    user.save()
    user.groups.add(Group.objects.get(name=Role.RESEARCHER))
    user.__dict__.pop("role_names", None)
    audit_record(
        actor=user,
        action=PortalAction.USER_SIGNUP,
        target=user,
        before={},
        after={
            "email": user.email,
            "full_name": user.full_name,
            "roles": [Role.RESEARCHER.value],
        },
    )
    return user


def last_chair_problem(user: User, wanted: Iterable[str]) -> str:
    """Why `user` cannot be left with the roles `wanted`: the board needs a PRAB chair to
    assign reviewers and record decisions (empty: they can)."""
    if Role.PRAB_CHAIR in set(wanted) or not user.groups.filter(name=Role.PRAB_CHAIR).exists():
        return ""
    others = User.objects.filter(is_active=True, groups__name=Role.PRAB_CHAIR).exclude(pk=user.pk)
    if others.exists():
        return ""
    return (
        f"{user} is the last PRAB chair: give the chair role to someone else first, so that "
        "the board can still assign reviewers and record decisions."
    )


RoleChangeHook = Callable[..., None]
_ROLE_CHANGE_HOOKS: list[RoleChangeHook] = []


def register_role_change(hook: RoleChangeHook) -> None:
    """Apps built on the portal follow role changes here (the review app hands a departed
    reviewer's open assignments back to the chair): `hook(user=, before=, after=)` runs
    inside the transaction that changes the roles, with the role names before and after."""
    _ROLE_CHANGE_HOOKS.append(hook)


@transaction.atomic
def user_set_roles(*, user: User, roles: Iterable[str], actor: User | None) -> User:
    """A program admin (or a command run by the operator, actor None) sets a user's roles.

    The admin site's staff flag follows the roles that work there (ADMIN_SITE_ROLES);
    superusers keep theirs. One `user.roles_set` event records both.
    """
    ensure_can(actor, "user.roles.set", user)
    user = User.objects.select_for_update().get(pk=user.pk)
    wanted = sorted({Role(role).value for role in roles})
    before = sorted(user.groups.values_list("name", flat=True))
    staff = user.is_superuser or bool(ADMIN_SITE_ROLES.intersection(wanted))
    if wanted == before and staff == user.is_staff:
        return user
    problem = last_chair_problem(user, wanted)
    if problem:
        raise DomainError(problem)
    user.groups.set(Group.objects.filter(name__in=wanted))
    user.__dict__.pop("role_names", None)
    for hook in _ROLE_CHANGE_HOOKS:  # open review assignments follow (review app)
        hook(user=user, before=set(before), after=set(wanted))
    changed_staff = staff != user.is_staff
    if changed_staff:
        user.is_staff = staff
        user.save(update_fields=["is_staff"])
    audit_record(
        actor=actor,
        action=PortalAction.USER_ROLES_SET,
        target=user,
        before={"roles": before, **({"is_staff": not staff} if changed_staff else {})},
        after={"roles": wanted, **({"is_staff": staff} if changed_staff else {})},
    )
    return user


@transaction.atomic
def user_admin_create(*, user: User, actor: User) -> User:
    """A program admin creates an account in the admin site (password already set on it).

    Audits `user.admin_create` with the address and name; roles follow through
    user_set_roles.
    """
    ensure_can(actor, "user.admin_change", user)
    user.save()
    audit_record(
        actor=actor,
        action=PortalAction.USER_ADMIN_CREATE,
        target=user,
        before={},
        after={"email": user.email, "full_name": user.full_name},
    )
    return user


@transaction.atomic
def user_admin_update(*, user: User, changes: Mapping[str, Any], actor: User) -> User:
    """A program admin changes account fields in the admin site.

    `changes` maps fields of USER_ADMIN_FIELDS to their new values; unknown fields are a
    programming error. A changed sign-in address replaces the addresses on file
    (user_email_addresses_reset). A deactivated account is followed as if its roles were
    taken (its open review assignments go back to the chair); the last PRAB chair cannot
    be deactivated. Audits `user.admin_change` with before and after of what
    changed; nothing is written when nothing changed.
    """
    unknown = set(changes) - set(USER_ADMIN_FIELDS)
    if unknown:
        raise TypeError(f"user_admin_update() got unknown fields: {', '.join(sorted(unknown))}")
    ensure_can(actor, "user.admin_change", user)
    locked = User.objects.select_for_update().get(pk=user.pk)
    before = {f: getattr(locked, f) for f, v in changes.items() if getattr(locked, f) != v}
    if not before:
        return locked
    leaving = before.get("is_active") is True  # deactivated: as if every role were taken
    if leaving and (problem := last_chair_problem(locked, [])):
        raise DomainError(problem)
    for field in before:
        setattr(locked, field, changes[field])
        setattr(user, field, changes[field])
    locked.save(update_fields=list(before))
    if leaving:
        roles = set(locked.groups.values_list("name", flat=True))
        for hook in _ROLE_CHANGE_HOOKS:  # open review assignments follow (review app)
            hook(user=locked, before=roles, after=set())
    if "email" in before:
        user_email_addresses_reset(user=locked, actor=actor)
    audit_record(
        actor=actor,
        action=PortalAction.USER_ADMIN_CHANGE,
        target=locked,
        before=before,
        after={f: getattr(locked, f) for f in before},
    )
    return locked


@transaction.atomic
def user_password_set(*, user: User, password: str | None, actor: User) -> User:
    """A program admin sets someone's password in the admin site, or makes it unusable
    (`password` None: the person can then sign in only after resetting it).

    Audits `user.admin_password_set` with whether the password is usable, never the
    password itself.
    """
    ensure_can(actor, "user.password.set", user)
    locked = User.objects.select_for_update().get(pk=user.pk)
    if password is None:
        locked.set_unusable_password()
    else:
        locked.set_password(password)
    locked.save(update_fields=["password"])
    user.password = locked.password
    audit_record(
        actor=actor,
        action=PortalAction.USER_ADMIN_PASSWORD_SET,
        target=locked,
        after={"usable_password": locked.has_usable_password()},
    )
    return locked


@transaction.atomic
def user_email_addresses_reset(*, user: User, actor: User) -> User:
    """After an admin changes someone's sign-in address, make it the only address on file.

    Who: a program admin, from the user admin. The addresses allauth knew are replaced by
    the new one, unverified: the old address no longer signs in or matches the Controlled
    Tier roster, and the person confirms the new one at their next sign-in.
    """
    ensure_can(actor, "user.email_addresses.reset", user)
    user = User.objects.select_for_update().get(pk=user.pk)
    before = sorted(
        EmailAddress.objects.filter(user=user).values_list("email", "verified", "primary")
    )
    EmailAddress.objects.filter(user=user).delete()
    EmailAddress.objects.create(user=user, email=user.email, verified=False, primary=True)
    audit_record(
        actor=actor,
        action=PortalAction.USER_EMAIL_ADDRESSES_RESET,
        target=user,
        before={"addresses": [{"email": e, "verified": v, "primary": p} for e, v, p in before]},
        after={"addresses": [{"email": user.email, "verified": False, "primary": True}]},
    )
    return user
