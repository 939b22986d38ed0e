"""The audit log: one append-only, hash-chained event per state change.

`audit_record` is the only writer. It must run inside the caller's transaction so that the
event and the change it describes commit or roll back together.
"""

import hashlib
import ipaddress
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models
from django.utils import timezone
from django.utils.ipv6 import clean_ipv6_address

from portal.actions import AuditAction
from portal.middleware import current_ip_address
from portal.models import AuditEvent, User

GENESIS_HASH = "0" * 64
# pg_advisory_xact_lock key that serialises appends to the chain on PostgreSQL.
_CHAIN_LOCK_KEY = 0x6175646974  # "audit"


class AuditOutsideTransaction(RuntimeError):
    """audit_record was called outside the transaction that makes the change it records."""


def _jsonable(data: Mapping[str, Any] | None) -> dict[str, Any]:
    """What the JSON column will hand back, so that the hash is over the stored value."""
    loaded: dict[str, Any] = json.loads(json.dumps(dict(data or {}), cls=DjangoJSONEncoder))
    return loaded


def clean_ip_address(value: str | None) -> str | None:
    """The address as the database will hand it back, or None when it is not an address.

    PostgreSQL's inet type and Django both normalise IPv6 spellings (case, zero runs), so
    the hash must be taken over the normalised form or the row would fail verification.
    """
    if not value:
        return None
    value = value.strip()
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return None
    # The same normalisation GenericIPAddressField applies before saving.
    return clean_ipv6_address(value) if ":" in value else value


def event_hash(event: AuditEvent) -> str:
    """SHA-256 over the event's content and the previous event's hash."""
    payload = {
        "created_at": event.created_at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor_id": event.actor_id,
        "actor_label": event.actor_label,
        "action": event.action,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "target_repr": event.target_repr,
        "before": event.before,
        "after": event.after,
        "ip_address": event.ip_address,
        "prev_hash": event.prev_hash,
    }
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def audit_record(
    *,
    actor: User | None,
    action: AuditAction,
    target: models.Model,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    ip_address: str | None = None,
) -> AuditEvent:
    """Append one event to the audit log, inside the caller's transaction.

    Called by every service that changes state. `actor` is None for scheduled jobs.
    `action` is a member of an app's AuditAction enumeration (portal.actions), never a
    free string, so that one typo cannot split the history. The request's address is
    taken from the current request when not given.
    """
    if not isinstance(action, AuditAction):
        raise TypeError(
            f"audit_record needs an AuditAction member, not {action!r}: declare the action "
            "in the app's actions.py."
        )
    if not connection.in_atomic_block:
        raise AuditOutsideTransaction(
            "audit_record must run inside the transaction that makes the change "
            "(wrap the service in transaction.atomic)."
        )
    if connection.vendor == "postgresql":
        # Appends are serialised so that two transactions never link to the same previous
        # event. The lock is released at commit or rollback. The read below must see rows
        # committed while waiting, which holds under READ COMMITTED (Django's default).
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])
    last = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first()
    event = AuditEvent(
        created_at=timezone.now(),
        actor=actor,
        actor_label=actor.email if actor is not None else "system",
        action=action.value,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        target_repr=str(target)[:255],
        before=_jsonable(before),
        after=_jsonable(after),
        ip_address=clean_ip_address(ip_address if ip_address is not None else current_ip_address()),
        prev_hash=last or GENESIS_HASH,
    )
    event.hash = event_hash(event)
    event.save(force_insert=True)
    return event


@dataclass(frozen=True)
class ChainBreak:
    """The first event at which the chain no longer holds, and why."""

    event_id: int
    action: str
    created_at: datetime
    reason: str

    def describe(self) -> str:
        when = self.created_at.astimezone(UTC).isoformat(timespec="seconds")
        return f"event #{self.event_id} ({self.action}, {when}): {self.reason}"


def audit_verify_chain(*, chunk_size: int = 2000) -> tuple[int, ChainBreak | None]:
    """Walk the whole log in order; return how many events held and the first break.

    An event whose own content was edited fails its hash. An event that was removed, or
    whose hash was recomputed after an edit, breaks the link of the event after it, which
    is then the one named. Removing the newest events leaves no trace in the chain itself:
    compare the last hash with one recorded elsewhere to catch that.
    """
    expected_prev = GENESIS_HASH
    previous_id: int | None = None
    checked = 0
    events: Iterator[AuditEvent] = AuditEvent.objects.order_by("id").iterator(chunk_size=chunk_size)
    for event in events:
        reason = None
        if event_hash(event) != event.hash:
            reason = "its content no longer matches its hash (the row was altered)"
        elif event.prev_hash != expected_prev:
            before = f"event #{previous_id}" if previous_id is not None else "the start of the log"
            reason = (
                f"it does not link to {before}: an event between them was removed, "
                f"or {before} was altered and re-hashed"
            )
        if reason is not None:
            return checked, ChainBreak(
                event_id=event.pk, action=event.action, created_at=event.created_at, reason=reason
            )
        expected_prev = event.hash
        previous_id = event.pk
        checked += 1
    return checked, None


def audit_last_hash() -> str:
    """The hash at the head of the chain; record it elsewhere to detect a cut-off tail."""
    return AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first() or GENESIS_HASH


__all__ = [
    "AuditOutsideTransaction",
    "ChainBreak",
    "audit_last_hash",
    "audit_record",
    "audit_verify_chain",
    "clean_ip_address",
    "event_hash",
]
