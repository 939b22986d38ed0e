"""/healthz: the database's and the broker's status as JSON, 503 when one is down."""

import os

import pytest
from django.db import OperationalError, connection
from django.test import override_settings
from django.urls import reverse

from portal import health
from portal.roles import Role
from tests.factories import UserFactory

DEAD_REDIS = "redis://127.0.0.1:1/0"


def _healthz(client):
    response = client.get(reverse("healthz"))
    return response, response.json()


def test_healthz_answers_200_with_both_ok(client, db):
    response, report = _healthz(client)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert report["status"] == "ok"
    assert report["database"] == {"status": "ok", "vendor": connection.vendor}
    assert report["broker"]["status"] == "ok"
    assert "no-cache" in response["Cache-Control"]


@override_settings(REDIS_URL="")
def test_without_a_broker_configured_tasks_run_eagerly_and_the_broker_counts_as_ok(client, db):
    response, report = _healthz(client)
    assert response.status_code == 200
    assert report["broker"] == {"status": "ok", "mode": "eager"}


def test_healthz_answers_503_when_the_database_query_fails(client, db, monkeypatch):
    def broken_cursor(*args, **kwargs):
        raise OperationalError("could not connect to server")

    # Undone before the test database is torn down, which needs a working cursor.
    with monkeypatch.context() as patch:
        patch.setattr(connection, "cursor", broken_cursor)
        response, report = _healthz(client)

    assert response.status_code == 503
    assert report["status"] == "down"
    assert report["database"]["status"] == "down"
    assert report["database"]["error"] == "OperationalError"
    assert "could not connect" not in response.content.decode()


def test_healthz_answers_503_when_the_database_check_reports_down(client, db, monkeypatch):
    monkeypatch.setattr(
        health, "database_status", lambda: {"status": "down", "error": "OperationalError"}
    )

    response, report = _healthz(client)

    assert response.status_code == 503
    assert report["status"] == "down"
    assert report["broker"]["status"] == "ok"


@override_settings(REDIS_URL=DEAD_REDIS)
def test_healthz_answers_503_when_redis_is_unreachable(client, db):
    response, report = _healthz(client)

    assert response.status_code == 503
    assert report["status"] == "down"
    assert report["database"]["status"] == "ok"
    assert report["broker"]["status"] == "down"
    assert report["broker"]["mode"] == "redis"
    assert report["broker"]["error"]


@override_settings(REDIS_URL="redis://:s3cret-password@127.0.0.1:1/0")
def test_a_broker_failure_does_not_reveal_the_broker_address_or_password(client, db):
    response, _report = _healthz(client)
    body = response.content.decode()
    assert response.status_code == 503
    assert "s3cret-password" not in body
    assert "127.0.0.1" not in body


@pytest.mark.redis
def test_the_broker_reports_ok_when_redis_is_up(client, db):
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        pytest.skip("needs a Redis server (set REDIS_URL)")

    with override_settings(REDIS_URL=redis_url):
        response, report = _healthz(client)

    assert response.status_code == 200
    assert report["broker"] == {"status": "ok", "mode": "redis"}


def test_staff_without_two_factor_still_reach_healthz(client, db):
    staff = UserFactory(roles=[Role.BIOBANK_STAFF], two_factor=False)
    client.force_login(staff)

    response, report = _healthz(client)

    assert response.status_code == 200
    assert report["status"] == "ok"


def test_healthz_refuses_post(client, db):
    assert client.post(reverse("healthz")).status_code == 405
