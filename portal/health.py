"""Health of the services the portal depends on, for /healthz and monitoring."""

from typing import Any

import redis
from django.conf import settings
from django.db import connection


def database_status() -> dict[str, Any]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - any failure means "down"
        return {"status": "down", "vendor": connection.vendor, "error": exc.__class__.__name__}
    return {"status": "ok", "vendor": connection.vendor}


def broker_status() -> dict[str, Any]:
    if not settings.REDIS_URL:
        # No broker configured: tasks run eagerly inside the web process.
        return {"status": "ok", "mode": "eager"}
    try:
        client = redis.Redis.from_url(
            settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2
        )
        client.ping()
    except Exception as exc:  # noqa: BLE001
        return {"status": "down", "mode": "redis", "error": exc.__class__.__name__}
    return {"status": "ok", "mode": "redis"}


def health_report() -> dict[str, Any]:
    checks = {"database": database_status(), "broker": broker_status()}
    overall = "ok" if all(c["status"] == "ok" for c in checks.values()) else "down"
    return {"status": overall, **checks}
