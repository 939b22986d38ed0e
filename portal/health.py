"""Health of the services the portal depends on, for /healthz and monitoring."""

from typing import Any

import redis
from django.conf import settings
from django.db import connection


def database_status() -> dict[str, Any]:
    """Whether the database answers a trivial query."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - any failure means "down"
        return {"status": "down", "vendor": connection.vendor, "error": exc.__class__.__name__}
    return {"status": "ok", "vendor": connection.vendor}


def broker_status() -> dict[str, Any]:
    """Whether the Celery broker (Redis) answers a ping; "eager" when none is configured."""
    if not settings.REDIS_URL:
        # No broker configured: tasks run eagerly inside the web process.
        return {"status": "ok", "mode": "eager"}
    client = None
    try:
        client = redis.Redis.from_url(
            settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2
        )
        client.ping()
    except Exception as exc:  # noqa: BLE001 - any failure means "down"
        return {"status": "down", "mode": "redis", "error": exc.__class__.__name__}
    finally:
        # A new client per check: close its pool so that probes do not pile up connections.
        if client is not None:
            client.close()
    return {"status": "ok", "mode": "redis"}


def health_report() -> dict[str, Any]:
    """Each dependency's status and an overall one: "ok" only when all are ok."""
    checks = {"database": database_status(), "broker": broker_status()}
    overall = "ok" if all(c["status"] == "ok" for c in checks.values()) else "down"
    return {"status": overall, **checks}
