"""The audit log: one append-only, hash-chained event per state change.

`audit_record` is the only writer. It must run inside the caller's transaction so that the
event and the change it describes commit or roll back together.
"""

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models
from django.utils import timezone

from portal.middleware import current_ip_address
from portal.models import AuditEvent, User

GENESIS_HASH = "0" * 64
# pg_advisory_xact_lock key that serialises appends to the chain on PostgreSQL.
_CHAIN_LOCK_KEY = 0x6175646974  # "audit"


def _jsonable(data: Mapping[str, Any] | None) -> dict[str, Any]:
    """What the JSON column will hand back, so that the hash is over the stored value."""
    return json.loads(json.dumps(dict(data or {}), cls=DjangoJSONEncoder))


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
    action: str,
    target: models.Model,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    ip_address: str | None = None,
) -> AuditEvent:
    """Append one event to the audit log, inside the caller's transaction.

    Called by every service that changes state. `actor` is None for scheduled jobs.
    The request's address is taken from the current request when not given.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("audit_record must run inside the transaction that makes the change.")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])
    last = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first()
    event = AuditEvent(
        created_at=timezone.now(),
        actor=actor,
        actor_label=actor.email if actor is not None else "system",
        action=action,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        target_repr=str(target)[:255],
        before=_jsonable(before),
        after=_jsonable(after),
        ip_address=ip_address if ip_address is not None else current_ip_address(),
        prev_hash=last or GENESIS_HASH,
    )
    event.hash = event_hash(event)
    event.save(force_insert=True)
    return event


@dataclass(frozen=True)
class ChainBreak:
    event_id: int
    reason: str


def audit_verify_chain(*, chunk_size: int = 2000) -> tuple[int, ChainBreak | None]:
    """Walk the whole log in order; return how many events were checked and the first break."""
    expected_prev = GENESIS_HASH
    checked = 0
    events: Iterator[AuditEvent] = AuditEvent.objects.order_by("id").iterator(chunk_size=chunk_size)
    for event in events:
        if event.prev_hash != expected_prev:
            return checked, ChainBreak(
                event.pk,
                "its link to the previous event is broken (an event before it was "
                "removed or altered)",
            )
        if event_hash(event) != event.hash:
            return checked, ChainBreak(event.pk, "its content no longer matches its hash")
        expected_prev = event.hash
        checked += 1
    return checked, None


__all__ = ["audit_record", "audit_verify_chain", "event_hash"]
