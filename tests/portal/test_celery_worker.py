"""Celery: the configuration the portal relies on, and a real worker sending a notification.

The worker test runs the portal's own Celery app against Redis with a worker in a thread of
this process, on a queue of its own so that no other worker on the same Redis takes its
messages. It needs REDIS_URL and is skipped without it (never in CI).
"""

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from celery import signals
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.core import mail
from django.db import connections, transaction

from portal.celery import app as celery_app
from portal.models import Notification
from portal.notifications import notify

WORKER_WAIT_SECONDS = 30


def test_celery_accepts_json_only():
    conf = celery_app.conf
    assert conf.task_serializer == "json"
    assert conf.result_serializer == "json"
    assert list(conf.accept_content) == ["json"]


def test_tasks_are_acknowledged_late_and_requeued_when_a_worker_dies():
    conf = celery_app.conf
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1


def test_tasks_have_soft_and_hard_time_limits():
    conf = celery_app.conf
    assert conf.task_soft_time_limit
    assert conf.task_time_limit
    assert conf.task_soft_time_limit < conf.task_time_limit


def test_tasks_are_queued_after_the_transaction_commits():
    assert celery_app.task_cls == "celery.contrib.django.task:DjangoTask"


def test_every_beat_job_names_a_registered_task():
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert schedule, "the beat schedule is empty"
    # What a worker does at start: import every installed app's tasks module.
    celery_app.loader.import_default_modules()
    registered = set(celery_app.tasks.keys())
    missing = {
        name: entry["task"] for name, entry in schedule.items() if entry["task"] not in registered
    }
    assert missing == {}
    assert celery_app.conf.beat_schedule == schedule


def test_celery_runs_eagerly_without_redis_and_through_the_broker_with_it():
    if settings.REDIS_URL:
        assert settings.CELERY_BROKER_URL == settings.REDIS_URL
    else:
        assert settings.CELERY_BROKER_URL == "memory://"
        assert settings.CELERY_TASK_ALWAYS_EAGER is True


def _forget_routing() -> None:
    """Drop the app's cached queues and router so that they follow the current config."""
    for cached in ("queues", "default_queue", "router"):
        celery_app.amqp.__dict__.pop(cached, None)
    celery_app.amqp.flush_routes()


@dataclass
class RedisWorker:
    queue: str
    # (task name, queue it was delivered from, ran eagerly) for every task that finished.
    runs: list[tuple[str, str, bool]] = field(default_factory=list)


@pytest.fixture
def redis_worker(transactional_db) -> Iterator[RedisWorker]:
    """A real Celery worker of the portal's app consuming from a fresh queue on Redis."""
    if not settings.REDIS_URL:
        pytest.skip("needs a Redis server (set REDIS_URL)")
    queue = f"portal-test-{uuid.uuid4().hex[:12]}"
    overrides = {
        "task_always_eager": False,
        "task_default_queue": queue,
        "worker_hijack_root_logger": False,
    }
    worker = RedisWorker(queue=queue)

    def after_task(task: Any, **kwargs: Any) -> None:
        delivery = task.request.delivery_info or {}
        worker.runs.append(
            (task.name, delivery.get("routing_key", ""), bool(task.request.is_eager))
        )
        # This runs in the worker's thread: its database connection must not outlive the
        # test, or PostgreSQL refuses to drop the test database.
        connections.close_all()

    saved = {key: celery_app.conf[key] for key in overrides}
    celery_app.conf.update(overrides)
    _forget_routing()
    signals.task_postrun.connect(after_task, weak=False)
    try:
        with start_worker(
            celery_app,
            pool="solo",
            concurrency=1,
            perform_ping_check=False,
            queues=[queue],
            shutdown_timeout=30,
        ):
            yield worker
    finally:
        signals.task_postrun.disconnect(after_task)
        # Remove the queue and its binding from Redis (declared first, so that this
        # connection knows the binding it deletes).
        with celery_app.connection_for_write() as connection:
            bound = celery_app.amqp.queues[queue].bind(connection.default_channel)
            bound.declare()
            bound.delete()
        celery_app.conf.update(saved)
        _forget_routing()


def _wait_until_sent(notification: Notification, worker: RedisWorker) -> Notification:
    """Wait until the notification's email has left and the worker has finished the task."""
    deadline = time.monotonic() + WORKER_WAIT_SECONDS
    while time.monotonic() < deadline:
        notification.refresh_from_db()
        if notification.email_sent_at is not None and worker.runs:
            return notification
        time.sleep(0.1)
    pytest.fail(f"the worker did not send the email within {WORKER_WAIT_SECONDS} s")


@pytest.mark.redis
def test_a_real_worker_sends_the_notification_email_after_commit(redis_worker, user_factory):
    user = user_factory(email="rosa@example.org")

    with transaction.atomic():
        notification = notify(
            user=user,
            template="generic_notice",
            context={"heading": "Your application was received", "message": "Nothing to do."},
            url="/dashboard/",
        )
        assert notification.email_sent_at is None

    notification = _wait_until_sent(notification, redis_worker)

    # Sent by the worker through Redis, not eagerly in this thread.
    assert redis_worker.runs == [
        ("portal.tasks.notification_send_email", redis_worker.queue, False)
    ]
    assert notification.email_attempts == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["rosa@example.org"]
    assert message.subject == notification.subject
    assert message.body == notification.body_text
    assert message.alternatives[0][1] == "text/html"


@pytest.mark.redis
def test_a_rolled_back_notification_never_reaches_the_worker(redis_worker, user_factory):
    user = user_factory()
    context = {"heading": "Review meeting moved", "message": "See the new date."}

    with transaction.atomic():
        notify(user=user, template="generic_notice", context=context)
        transaction.set_rollback(True)

    # Send a second, committed one: once it has left, the first would have too.
    with transaction.atomic():
        sent = notify(user=user, template="generic_notice", context=context)
    _wait_until_sent(sent, redis_worker)

    assert Notification.objects.count() == 1
    assert len(mail.outbox) == 1
    assert len(redis_worker.runs) == 1
