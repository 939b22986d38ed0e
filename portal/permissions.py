"""Who may do what, as data: one table of actions, each granted to roles under a condition.

Every service calls `ensure_can(actor, action, obj)` before it writes; views call `can(...)`
(or the `{% can %}` template tag) to decide what to show. Both read the table below, so a
button is shown exactly when the service behind it would accept the click.

A grant names the roles that may take the action (`ANY_ROLE`: whoever is signed in, whatever
their roles) and, optionally, an object-level condition written as a `rules` predicate over
`(actor, obj)`: the actor is the record's owner, is a team member, is an assigned reviewer
who is not recused, and so on. An action is allowed when any of its grants holds.

Roles decide, never the `is_superuser` flag: a superuser who holds no role may do nothing
here, and a program admin's rights are the program admin role's rights. An inactive account
may do nothing. `actor=None` is the system (a scheduled job or a management command run by
the operator); only actions marked `system=True` accept it.

Later apps add their actions in their own `permissions.py` with `register(...)`; the
(state, action, role) table that `docs/permissions.md` publishes is built from this table
and the lifecycles (`portal.lifecycles.permission_matrix`).
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import rules as _rules_untyped

from portal.errors import PermissionRefused
from portal.models import User
from portal.roles import ONBOARDING_ROLES, STAFF_ROLES, Role

# `rules` ships no type information: it is used through this one name, typed as Any, and
# its predicates travel as `Predicate` (composable with & and |).
rules: Any = _rules_untyped
Predicate = Any


def _predicate(function: Callable[..., bool]) -> Predicate:
    return rules.predicate(function)


ANY_ROLE: frozenset[str] = frozenset({"*"})
"""A grant to every signed-in, active user, whatever roles they hold (or none)."""
OWN = "own records only"


# --- Object-level conditions ----------------------------------------------------------------


@_predicate
def is_self(actor: User, obj: Any) -> bool:
    """The record is the actor's own account."""
    return isinstance(obj, User) and obj.pk == actor.pk


@_predicate
def is_owner(actor: User, obj: Any) -> bool:
    """The record belongs to the actor (its `user_id` or `owner_id` is theirs)."""
    owner_id = getattr(obj, "user_id", None)
    if owner_id is None:
        owner_id = getattr(obj, "owner_id", None)
    return owner_id is not None and owner_id == actor.pk


@_predicate
def owns_profile_record(actor: User, obj: Any) -> bool:
    """A record hanging off the actor's researcher profile (a declared conflict)."""
    profile = getattr(obj, "profile", None)
    return profile is not None and profile.user_id == actor.pk


# --- The table ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Grant:
    """Some roles may take an action, under an object-level condition if one is given."""

    roles: frozenset[str]
    condition: Predicate | None = None
    note: str = ""
    """How the condition reads in the published table ("own records only")."""

    def applies_to_role(self, role: str) -> bool:
        return self.roles == ANY_ROLE or role in self.roles


@dataclass(frozen=True)
class Permission:
    action: str
    grants: tuple[Grant, ...]
    refusal: str
    """What a refused actor is told: what they cannot do and, where useful, who can."""
    system: bool = False
    """Whether the system (actor None: a scheduled job, an operator's command) may act."""
    subject: str = ""
    """The kind of record the action is taken on, for the published table."""


PERMISSIONS: dict[str, Permission] = {}
_RULES = rules.RuleSet()


def _role_predicate(roles: frozenset[str]) -> Predicate:
    if roles == ANY_ROLE:
        return rules.always_allow
    wanted = frozenset(roles)

    def holds_role(actor: User) -> bool:
        return bool(actor.role_names & wanted)

    return rules.predicate(holds_role, name=f"holds one of {sorted(wanted)}")


def register(
    action: str,
    *grants: Grant,
    refusal: str,
    system: bool = False,
    subject: str = "",
) -> Permission:
    """Add an action to the table. Each action is registered once."""
    if action in PERMISSIONS:
        raise ValueError(f"The permission {action!r} is already registered.")
    permission = Permission(
        action=action, grants=tuple(grants), refusal=refusal, system=system, subject=subject
    )
    PERMISSIONS[action] = permission
    predicate = rules.always_deny
    for grant in grants:
        granted = _role_predicate(grant.roles)
        if grant.condition is not None:
            granted = granted & grant.condition
        predicate = predicate | granted
    _RULES.add_rule(action, predicate)
    return permission


def can(actor: User | None, action: str, obj: object | None = None) -> bool:
    """Whether `actor` may take `action` on `obj`. Unknown actions are refused loudly."""
    permission = PERMISSIONS.get(action)
    if permission is None:
        raise KeyError(f"No permission named {action!r}; register it in a permissions module.")
    if actor is None:
        return permission.system
    if not actor.is_authenticated or not actor.is_active:
        return False
    return bool(_RULES.test_rule(action, actor, obj))


def ensure_can(actor: User | None, action: str, obj: object | None = None) -> None:
    """Raise PermissionRefused, with the action's message, unless `actor` may act."""
    if not can(actor, action, obj):
        raise PermissionRefused(PERMISSIONS[action].refusal)


def roles_granted(action: str) -> Mapping[str, str]:
    """For the published table: each role that may take `action`, with its condition."""
    permission = PERMISSIONS[action]
    granted: dict[str, str] = {}
    for role in Role:
        notes = [
            (grant.note or "if the condition holds") if grant.condition is not None else ""
            for grant in permission.grants
            if grant.applies_to_role(role.value)
        ]
        if not notes:
            continue
        # An unconditional grant wins over a conditional one.
        granted[role.value] = "" if "" in notes else notes[0]
    return granted


def _roles(*roles: Iterable[str] | str) -> frozenset[str]:
    names: set[str] = set()
    for item in roles:
        names.update([item] if isinstance(item, str) else item)
    return frozenset(names)


# --- The portal's own actions ---------------------------------------------------------------

ADMIN = _roles(Role.PROGRAM_ADMIN)

register(
    "user.roles.set",
    Grant(ADMIN),
    refusal="Only a program admin can change roles.",
    system=True,
    subject="user",
)
register(
    "user.admin_change",
    Grant(ADMIN),
    refusal="Only a program admin can change someone's account.",
    subject="user",
)
register(
    "user.email_addresses.reset",
    Grant(ADMIN),
    refusal="Only a program admin can change someone's sign-in address.",
    subject="user",
)
register(
    "user.password.set",
    Grant(ADMIN),
    refusal="Only a program admin can set someone else's password.",
    subject="user",
)
register(
    "document.upload",
    Grant(ANY_ROLE, is_self, note=OWN),
    Grant(_roles(STAFF_ROLES)),
    refusal="You can upload documents only to your own records.",
    subject="user",
)
register(
    "records.read_all",
    Grant(_roles(Role.AUDITOR, Role.PROGRAM_ADMIN)),
    refusal="Only auditors and program admins read every record (in the admin site, and "
    "everyone's documents).",
)
register(
    "notification.mark_read",
    Grant(ANY_ROLE, is_owner, note=OWN),
    refusal="You can only mark your own notifications as read.",
    subject="notification",
)

# Onboarding (policy 2.1).
register(
    "consent.give",
    Grant(ANY_ROLE, is_self, note=OWN),
    refusal="Only the researcher themself can give or withdraw their consent. Ask them to "
    "sign in and do it on their consents page.",
    subject="user",
)
register(
    "consent.withdraw",
    Grant(ANY_ROLE, is_owner, note=OWN),
    refusal="Only the researcher themself can give or withdraw their consent. Ask them to "
    "sign in and do it on their consents page.",
    subject="consent",
)
register(
    "code_of_conduct.sign",
    Grant(ANY_ROLE, is_self, note=OWN),
    refusal="Each person signs the Code of Conduct for themself.",
    subject="user",
)
register(
    "code_of_conduct.signed_copy.render",
    Grant(ANY_ROLE, is_owner, note=OWN),
    refusal="Only the signer can have their signed copy prepared.",
    system=True,
    subject="code of conduct signature",
)
register(
    "code_of_conduct.publish",
    Grant(ADMIN),
    refusal="Only a program admin can publish a Code of Conduct version.",
    system=True,
    subject="code of conduct version",
)
register(
    "code_of_conduct.make_current",
    Grant(ADMIN),
    refusal="Only a program admin can choose which Code of Conduct version is signed.",
    system=True,
    subject="code of conduct version",
)
register(
    "profile.update",
    Grant(ANY_ROLE, is_self, note=OWN),
    Grant(ADMIN),
    refusal="You can change only your own profile.",
    subject="user",
)
register(
    "conflict.declare",
    Grant(ANY_ROLE, is_self, note=OWN),
    Grant(ADMIN),
    refusal="You can change only your own profile.",
    subject="user",
)
register(
    "conflict.retire",
    Grant(ANY_ROLE, owns_profile_record, note=OWN),
    Grant(ADMIN),
    refusal="You can change only your own profile.",
    subject="conflict of interest",
)
register(
    "profile_review.confirm",
    Grant(ANY_ROLE, is_self, note=OWN),
    refusal="Only the researcher can confirm their own profile review.",
    subject="user",
)
register(
    "requirement_bypass.grant",
    Grant(ADMIN),
    refusal="Only a program admin may waive an eligibility requirement.",
    subject="user",
)
register(
    "requirement_bypass.revoke",
    Grant(ADMIN),
    refusal="Only a program admin may revoke a bypass.",
    subject="requirement bypass",
)
register(
    "roster.import",
    Grant(ADMIN),
    refusal="Only a program admin may import the Controlled Tier roster.",
    system=True,
    subject="roster",
)
register(
    "roster.read",
    Grant(_roles(Role.PROGRAM_ADMIN, Role.AUDITOR)),
    refusal="Only program admins and auditors see the Controlled Tier roster imports.",
    subject="roster",
)
register(
    "roster.restore",
    Grant(ADMIN),
    refusal="Only a program admin may restore an earlier Controlled Tier roster.",
    subject="roster",
)
register(
    "access.requirements.view",
    Grant(_roles(ONBOARDING_ROLES)),
    refusal="Only researchers and authorized biospecimen users have access requirements.",
)
register(
    "access.people.view",
    Grant(_roles(Role.PROGRAM_ADMIN, Role.AUDITOR, Role.PRAB_CHAIR, Role.BIOBANK_STAFF)),
    refusal="Only program admins, auditors, the PRAB chair and biobank staff see researchers' "
    "access status.",
)


@dataclass(frozen=True)
class Decision:
    """One row of the published permission table."""

    action: str
    subject: str
    by_role: Mapping[str, str] = field(default_factory=dict)
    system: bool = False


def permission_table() -> list[Decision]:
    """Every registered action with the roles that may take it (for docs and tests)."""
    return [
        Decision(
            action=p.action,
            subject=p.subject,
            by_role=roles_granted(p.action),
            system=p.system,
        )
        for p in sorted(PERMISSIONS.values(), key=lambda p: p.action)
    ]
