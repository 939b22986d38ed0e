"""Settings come from the environment; production settings pass Django's deployment checks.

Each environment is tried in a fresh interpreter (settings are read once per process), with
every variable the settings read removed first so that the machine's own environment cannot
leak in.
"""

import json
import os
import secrets
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from tests.helpers import frozen

ROOT = Path(__file__).resolve().parents[2]

# Every variable portal/settings.py reads, and Django's own.
SETTINGS_VARIABLES = (
    "DJANGO_SETTINGS_MODULE",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "SITE_URL",
    "PROGRAM_TIME_ZONE",
    "DATABASE_URL",
    "CONN_MAX_AGE",
    "REDIS_URL",
    "AXES_FAILURE_LIMIT",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "PRIVATE_DOCUMENT_ROOT",
    "DOCUMENT_MAX_BYTES",
    "EMAIL_HOST",
    "EMAIL_PORT",
    "EMAIL_HOST_USER",
    "EMAIL_HOST_PASSWORD",
    "EMAIL_USE_TLS",
    "DEFAULT_FROM_EMAIL",
    "LOG_LEVEL",
)

PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": secrets.token_urlsafe(64),
    "ALLOWED_HOSTS": "portal.example.org",
}

PRINT_SETTINGS = """
import json
from django.conf import settings
db = settings.DATABASES["default"]
print(json.dumps({
    "engine": db["ENGINE"],
    "name": str(db["NAME"]),
    "host": db.get("HOST", ""),
    "eager": settings.CELERY_TASK_ALWAYS_EAGER,
    "broker": settings.CELERY_BROKER_URL,
    "result_backend": settings.CELERY_RESULT_BACKEND,
    "cache": settings.CACHES["default"]["BACKEND"],
    "debug": settings.DEBUG,
}))
"""


def _run(args: list[str], **environment: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARIABLES}
    env["DJANGO_SETTINGS_MODULE"] = "portal.settings"
    env.update(environment)
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _settings_under(**environment: str) -> dict[str, Any]:
    result = _run(["-c", PRINT_SETTINGS], **environment)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_portal_refuses_to_start_without_secret_key_when_debug_is_off():
    result = _run(["manage.py", "check"], DEBUG="false")

    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_production_settings_pass_the_deployment_checks():
    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **PRODUCTION)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_debug_runs_without_a_secret_key_for_local_development():
    values = _settings_under(DEBUG="true")

    assert values["debug"] is True


def test_without_database_url_the_portal_runs_on_sqlite_in_var():
    values = _settings_under(**PRODUCTION)

    assert values["engine"] == "django.db.backends.sqlite3"
    assert Path(values["name"]) == ROOT / "var" / "db.sqlite3"


def test_without_redis_url_celery_runs_tasks_eagerly_in_process():
    values = _settings_under(**PRODUCTION)

    assert values["eager"] is True
    assert values["broker"] == "memory://"
    assert values["cache"] == "django.core.cache.backends.locmem.LocMemCache"


def test_database_and_redis_urls_are_used_when_set():
    values = _settings_under(
        **PRODUCTION,
        DATABASE_URL="postgres://portal:secret@db.example.org:5432/portal",
        REDIS_URL="redis://broker.example.org:6379/2",
    )

    assert values["engine"] == "django.db.backends.postgresql"
    assert values["name"] == "portal"
    assert values["host"] == "db.example.org"
    assert values["eager"] is False
    assert values["broker"] == "redis://broker.example.org:6379/2"
    assert values["result_backend"] == "redis://broker.example.org:6379/2"
    assert values["cache"] == "portal.cache.PortalRedisCache"


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/accounts/login/"])
def test_responses_carry_the_security_headers(client, path):
    response = client.get(path)

    assert response.status_code == 200
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "object-src 'none'" in csp
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_sessions_expire_after_thirty_idle_minutes():
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST is False  # renewed once a minute instead


def test_each_request_extends_the_session_and_thirty_idle_minutes_end_it(client, researcher):
    page = reverse("notifications")
    with frozen(timezone.now()) as clock:
        client.force_login(researcher)

        clock.shift(timedelta(minutes=25))
        assert client.get(page).status_code == 200
        # 50 minutes after sign-in, but only 25 since the last request: still signed in.
        clock.shift(timedelta(minutes=25))
        assert client.get(page).status_code == 200

        clock.shift(timedelta(minutes=31))
        response = client.get(page)

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
