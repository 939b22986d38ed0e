"""What every signed-in page needs to know about its user, read once per request from the
cache: the roles they hold, whether two-factor authentication is on, how many notifications
they have and have not read and, for those who onboard, their access status (the banner,
the dashboard gate, the requirements page) and when they last did each requirement.

From the database these cost up to seven queries, one of them the access status with its
twenty subqueries; from the cache, one round trip. Each user's facts are stored under a stamp: the
user's generation, the program-wide access generation and the program's day. A change
bumps a generation (`user_facts_changed` for some users, `access_facts_changed_for_everyone`
for a program-wide change: a Code of Conduct version made current, a roster put in force)
and facts stored under another stamp are read from the database again. Bumping rather than
deleting means a request that read the database just before a change cannot leave stale
facts behind: what it stores carries the old generation and is never used.

The generations are bumped by model signals (`connect_invalidation`, on every record the
facts are computed from, whoever writes it: a service, the admin site, a fixture) and by the
services that write with `update()`. A bump happens at once and again when the transaction
commits, so that a request reading between the two cannot keep the old facts. Facts also
expire after FACTS_TTL, a net for a change made outside Django (a database shell).

These facts decide what a page shows and where the dashboard sends a researcher. A service
never trusts them: permission checks and the eligibility gate read the database.
"""

import hashlib
import logging
import secrets
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, fields
from datetime import date
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from django.core.cache import cache
from django.db import transaction

from portal.clock import program_today
from portal.models import User

if TYPE_CHECKING:
    from portal.onboarding.eligibility import AccessStatus
    from portal.onboarding.selectors import CompletionDates

logger = logging.getLogger(__name__)

FACTS_TTL = 15 * 60  # seconds
_GLOBAL_KEY = "portal:facts:access-generation"
_MEMO = "_portal_facts"
# Bumps made by this process: a request's memo is dropped when the request itself (or any
# other in this process) changes someone's facts, so a page rendered after a change shows it.
_local_bumps = 0


def _generation_key(user_id: int) -> str:
    return f"portal:facts:generation:{user_id}"


def _facts_key(user_id: int) -> str:
    return f"portal:facts:{_shape()}:{user_id}"


@lru_cache(maxsize=1)
def _shape() -> str:
    """A digest of the stored classes' fields: facts pickled by an older release of the code
    (another shape) are never read back, they are simply not found."""
    from portal.onboarding.eligibility import AccessStatus, RequirementStatus
    from portal.onboarding.selectors import CompletionDates

    names = [
        f"{cls.__name__}.{f.name}"
        for cls in (UserFacts, AccessStatus, RequirementStatus, CompletionDates)
        for f in fields(cls)
    ]
    return hashlib.sha256(",".join(names).encode()).hexdigest()[:8]


@dataclass(frozen=True)
class UserFacts:
    """One user's facts as a page shows them."""

    roles: frozenset[str]
    two_factor: bool
    notifications: int
    unread_notifications: int
    # For a user who onboards; None for the others.
    access: "AccessStatus | None"
    completion: "CompletionDates | None"


def _compute(user: User, day: date) -> UserFacts:
    from portal.onboarding.selectors import access_status_for, completion_dates_for
    from portal.permissions import can
    from portal.selectors import notification_counts, user_has_two_factor

    roles = frozenset(user.groups.values_list("name", flat=True))
    user.__dict__["role_names"] = roles  # `can` below reads the roles just loaded
    onboards = can(user, "access.requirements.view")
    completion = completion_dates_for(user=user) if onboards else None
    notifications, unread = notification_counts(user=user)
    return UserFacts(
        roles=roles,
        two_factor=(
            completion.two_factor_since is not None
            if completion is not None
            else user_has_two_factor(user=user)
        ),
        notifications=notifications,
        unread_notifications=unread,
        access=access_status_for(user, today=day) if onboards else None,
        completion=completion,
    )


def user_facts(user: User) -> UserFacts:
    """The user's facts: from this request's memo, else the cache, else the database.

    Also primes `user.role_names`, so that permission checks on this request ask no query.
    """
    # request.user is a lazy wrapper: the memo belongs on the user it wraps.
    user = getattr(user, "_wrapped", user) if user.pk else user
    memo: tuple[int, UserFacts] | None = user.__dict__.get(_MEMO)
    if memo is not None and memo[0] == _local_bumps:
        return memo[1]
    day = program_today()
    keys = [_generation_key(user.pk), _GLOBAL_KEY, _facts_key(user.pk)]
    try:
        found = cache.get_many(keys)
    except Exception:  # an unreadable entry is a miss; the facts are read again
        logger.warning("Reading the cached facts of user %s failed.", user.pk, exc_info=True)
        found = {}
    stamp = (found.get(keys[0]), found.get(keys[1]), day.isoformat())
    stored = found.get(keys[2])
    if isinstance(stored, tuple) and len(stored) == 2 and stored[0] == stamp:  # noqa: PLR2004
        facts: UserFacts = stored[1]
    else:
        facts = _compute(user, day)
        cache.set(keys[2], (stamp, facts), FACTS_TTL)
    user.__dict__[_MEMO] = (_local_bumps, facts)
    user.__dict__["role_names"] = facts.roles
    return facts


def _new_generation() -> str:
    return secrets.token_hex(8)


def _bump(user_ids: frozenset[int]) -> None:
    global _local_bumps
    _local_bumps += 1
    generation = _new_generation()
    cache.set_many({_generation_key(pk): generation for pk in user_ids}, timeout=None)


def _bump_everyone() -> None:
    global _local_bumps
    _local_bumps += 1
    cache.set(_GLOBAL_KEY, _new_generation(), timeout=None)


def _now_and_on_commit(bump: Any, *args: Any) -> None:
    bump(*args)
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(lambda: bump(*args), robust=True)


def user_facts_changed(user_ids: Iterable[int]) -> None:
    """These users' roles, two-factor, notifications or access records changed."""
    ids = frozenset(pk for pk in user_ids if pk is not None)
    deferred = _deferred.get()
    if deferred is not None:
        deferred.update(ids)
    elif ids:
        _now_and_on_commit(_bump, ids)


_deferred: ContextVar[set[int] | None] = ContextVar("portal_facts_deferred", default=None)


@contextmanager
def facts_changes_deferred() -> Iterator[None]:
    """Bump the users' generations once, when the block ends, instead of at each change:
    for a batch job that writes thousands of notices (a reminder night), one round trip
    instead of two per notice. Their badges catch up when the job ends."""
    if _deferred.get() is not None:
        yield
        return
    pending: set[int] = set()
    token = _deferred.set(pending)
    try:
        yield
    finally:
        _deferred.reset(token)
        if pending:
            _now_and_on_commit(_bump, frozenset(pending))


def access_facts_changed_for_everyone() -> None:
    """A change that can move anyone's access status (a version made current, a roster)."""
    _now_and_on_commit(_bump_everyone)


# --- Invalidation -----------------------------------------------------------------------------


def _owner_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    user_facts_changed([instance.user_id])


def _user_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    if kwargs.get("update_fields") == frozenset({"last_login"}):
        return  # signing in changes nothing a page shows
    user_facts_changed([instance.pk])


def _program_wide_change(sender: Any, instance: Any, **kwargs: Any) -> None:
    access_facts_changed_for_everyone()


def _notification_changed(sender: Any, instance: Any, created: bool = False, **kwargs: Any) -> None:
    fields = kwargs.get("update_fields")
    if created or fields is None or "read_at" in fields:
        user_facts_changed([instance.user_id])


def _roles_changed(
    sender: Any, instance: Any, action: str, reverse: bool, pk_set: Any, **kwargs: Any
) -> None:
    if not action.startswith(("post_", "pre_clear")):
        return
    if not reverse:  # user.groups.add(...): the instance is the user
        user_facts_changed([instance.pk])
    elif pk_set:  # group.user_set.add(...): the users are named
        user_facts_changed(pk_set)
    elif action == "pre_clear":  # group.user_set.clear(): its members, before they go
        user_facts_changed(instance.user_set.values_list("pk", flat=True))


def connect_invalidation() -> None:
    """Bump the generations whenever a record the facts are read from changes."""
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator
    from django.db.models.signals import m2m_changed, post_delete, post_save

    from portal.models import (
        CodeOfConductSignature,
        CodeOfConductVersion,
        Consent,
        Notification,
        ProfileReview,
        RequirementBypass,
        ResearcherProfile,
        RosterEntry,
        RosterImport,
    )

    owned = (
        Authenticator,
        CodeOfConductSignature,
        Consent,
        EmailAddress,
        ProfileReview,
        RequirementBypass,
        ResearcherProfile,
    )
    for model in owned:
        post_save.connect(_owner_changed, sender=model, dispatch_uid=f"facts-{model.__name__}")
        post_delete.connect(_owner_changed, sender=model, dispatch_uid=f"facts-d-{model.__name__}")
    for model in (CodeOfConductVersion, RosterImport, RosterEntry):
        post_save.connect(_program_wide_change, sender=model, dispatch_uid=f"facts-{model}")
        post_delete.connect(_program_wide_change, sender=model, dispatch_uid=f"facts-d-{model}")
    post_save.connect(_user_changed, sender=User, dispatch_uid="facts-user")
    post_save.connect(_notification_changed, sender=Notification, dispatch_uid="facts-notice")
    post_delete.connect(_owner_changed, sender=Notification, dispatch_uid="facts-d-notice")
    m2m_changed.connect(_roles_changed, sender=User.groups.through, dispatch_uid="facts-roles")
