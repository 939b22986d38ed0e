"""The audit log: what an event records, its hash chain, the append-only guard and the
verify_audit_log command."""

import itertools
import threading

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, connections, transaction
from django.test import RequestFactory
from django.urls import reverse

from portal.actions import AuditAction, PortalAction
from portal.audit import (
    GENESIS_HASH,
    AuditOutsideTransaction,
    audit_record,
    audit_verify_chain,
    event_hash,
)
from portal.management.commands.verify_audit_log import Command as VerifyAuditLog
from portal.middleware import RequestContextMiddleware
from portal.models import AuditEvent, User
from portal.roles import Role
from tests.factories import UserFactory

needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL (set DATABASE_URL)"
)


class Boom(Exception):
    pass


class AuditTestAction(AuditAction):
    """Actions these tests record (audit_record accepts enumeration members only)."""

    TEST_CHANGE = "user.test_change", "Test change"
    EXPIRE = "user.expire", "Test expiry"
    TOUCH = "user.touch", "Test touch"
    SHIP = "shipment.ship", "Test shipment"
    CONCURRENT = "user.concurrent", "Test concurrent append"


def test_audit_record_refuses_a_free_string_action(db):
    target = UserFactory()
    with transaction.atomic(), pytest.raises(TypeError, match="AuditAction member"):
        audit_record(actor=None, action="user.tuoch", target=target)  # type: ignore[arg-type]

    assert not AuditEvent.objects.exists()


def _record(*, actor: User | None, target: User, n: int) -> AuditEvent:
    with transaction.atomic():
        return audit_record(
            actor=actor,
            action=AuditTestAction.TEST_CHANGE,
            target=target,
            before={"n": n - 1},
            after={"n": n},
        )


@pytest.fixture
def chain(db):
    """Five events on one target; returns them in order."""
    actor = UserFactory()
    target = UserFactory()
    return [_record(actor=actor, target=target, n=n) for n in range(1, 6)]


def _tamper(sql: str, params: list) -> None:
    """Edit the audit table by hand, as someone with database access could.

    On PostgreSQL, triggers are switched off for the statement (a superuser's setting,
    local to the test's transaction) so that the check of the chain itself is tested.
    """
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = origin")


@pytest.fixture
def superuser(db):
    return UserFactory(
        email="root@example.org",
        roles=[Role.PROGRAM_ADMIN],
        is_staff=True,
        is_superuser=True,
        two_factor=True,
    )


def _verify_exit(capsys, monkeypatch) -> tuple[int, str, str]:
    """Run verify_audit_log as `manage.py` would and return (exit code, stdout, stderr)."""
    # run_from_argv closes every connection when done; the test's transaction needs its own.
    monkeypatch.setattr(connections, "close_all", lambda: None)
    code = 0
    try:
        VerifyAuditLog().run_from_argv(["manage.py", "verify_audit_log"])
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


# --- What an event records ---------------------------------------------------------------


def test_an_event_records_actor_action_target_before_and_after(db):
    actor = UserFactory(email="chair@example.org")
    target = UserFactory(full_name="Ada Researcher")

    with transaction.atomic():
        event = audit_record(
            actor=actor,
            action=PortalAction.USER_ROLES_SET,
            target=target,
            before={"roles": []},
            after={"roles": ["researcher"]},
        )

    event.refresh_from_db()
    assert event.actor == actor
    assert event.actor_label == "chair@example.org"
    assert event.action == "user.roles_set"
    assert event.target_type == "portal.user"
    assert event.target_id == str(target.pk)
    assert event.target_repr == "Ada Researcher"
    assert event.before == {"roles": []}
    assert event.after == {"roles": ["researcher"]}
    assert event.ip_address is None
    assert event.hash == event_hash(event)


def test_an_event_without_an_actor_is_recorded_as_the_system(db):
    target = UserFactory()
    with transaction.atomic():
        event = audit_record(actor=None, action=AuditTestAction.EXPIRE, target=target)
    assert event.actor is None
    assert event.actor_label == "system"


def test_the_first_event_links_to_the_genesis_hash_and_each_next_to_the_one_before(chain):
    assert chain[0].prev_hash == GENESIS_HASH
    for earlier, later in itertools.pairwise(chain):
        assert later.prev_hash == earlier.hash
    assert len({event.hash for event in chain}) == len(chain)


def test_an_event_carries_the_address_of_the_request_that_caused_it(db):
    target = UserFactory()
    recorded: list[AuditEvent] = []

    def view(request):
        with transaction.atomic():
            recorded.append(audit_record(actor=None, action=AuditTestAction.TOUCH, target=target))
        from django.http import HttpResponse

        return HttpResponse("ok")

    request = RequestFactory().get("/", REMOTE_ADDR="203.0.113.7")
    RequestContextMiddleware(view)(request)

    recorded[0].refresh_from_db()
    assert recorded[0].ip_address == "203.0.113.7"
    # Outside the request the address is forgotten again.
    with transaction.atomic():
        later = audit_record(actor=None, action=AuditTestAction.TOUCH, target=target)
    assert later.ip_address is None


def test_an_ipv6_address_is_stored_normalised_and_the_event_still_verifies(db):
    target = UserFactory()
    with transaction.atomic():
        event = audit_record(
            actor=None, action=AuditTestAction.TOUCH, target=target, ip_address="2001:DB8:0:0::1"
        )
    event.refresh_from_db()
    assert event.ip_address == "2001:db8::1"
    assert event_hash(event) == event.hash
    assert audit_verify_chain() == (1, None)


def test_an_address_that_is_not_an_ip_is_left_out_rather_than_failing_the_change(db):
    target = UserFactory()
    with transaction.atomic():
        event = audit_record(
            actor=None, action=AuditTestAction.TOUCH, target=target, ip_address="proxy"
        )
    assert event.ip_address is None


def test_before_and_after_values_are_stored_as_json_and_still_verify(db):
    import datetime
    import decimal

    target = UserFactory()
    when = datetime.datetime(2026, 3, 8, 8, 30, tzinfo=datetime.UTC)
    with transaction.atomic():
        audit_record(
            actor=None,
            action=AuditTestAction.SHIP,
            target=target,
            before={"volume_ml": decimal.Decimal("1.50"), "when": None},
            after={"shipped_at": when, "day": when.date(), "nested": {"b": 1, "a": [1, 2]}},
        )
    event = AuditEvent.objects.get()
    assert event.before == {"volume_ml": "1.50", "when": None}
    assert event.after["shipped_at"] == "2026-03-08T08:30:00Z"
    assert audit_verify_chain() == (1, None)


def test_audit_record_refuses_to_run_outside_a_transaction(transactional_db):
    target = UserFactory()
    with pytest.raises(AuditOutsideTransaction, match=r"inside the transaction"):
        audit_record(actor=None, action=AuditTestAction.TOUCH, target=target)
    assert not AuditEvent.objects.exists()


def test_rolling_back_the_callers_transaction_leaves_no_event(db):
    target = UserFactory()

    def change_then_fail() -> None:
        with transaction.atomic():
            audit_record(actor=None, action=AuditTestAction.TOUCH, target=target)
            raise Boom

    with pytest.raises(Boom):
        change_then_fail()

    assert not AuditEvent.objects.exists()
    # The chain carries on from the last committed event, not the rolled-back one.
    with transaction.atomic():
        event = audit_record(actor=None, action=AuditTestAction.TOUCH, target=target)
    assert event.prev_hash == GENESIS_HASH


def test_audit_record_issues_a_fixed_number_of_queries(db, django_assert_num_queries):
    target = UserFactory()
    _record(actor=None, target=target, n=1)
    # Read the previous hash and insert; on PostgreSQL also take the chain's advisory lock.
    expected = 3 if connection.vendor == "postgresql" else 2
    with transaction.atomic(), django_assert_num_queries(expected):
        audit_record(actor=target, action=AuditTestAction.TOUCH, target=target, after={"x": 1})


# --- Verifying the chain -----------------------------------------------------------------


def test_verify_audit_log_passes_on_an_intact_chain_and_says_how_many_it_checked(
    chain, capsys, monkeypatch
):
    code, out, _err = _verify_exit(capsys, monkeypatch)
    assert code == 0
    assert "Audit log intact: 5 event(s) checked" in out
    assert chain[-1].hash in out


def test_verify_audit_log_passes_on_an_empty_log(db, capsys, monkeypatch):
    code, out, _err = _verify_exit(capsys, monkeypatch)
    assert code == 0
    assert "0 event(s) checked" in out


def test_verify_audit_log_names_the_first_altered_row(chain, capsys, monkeypatch):
    altered = chain[2]
    _tamper("UPDATE portal_auditevent SET after = %s WHERE id = %s", ['{"n": 999}', altered.pk])
    # A later row edited too: the first one is the one named.
    _tamper("UPDATE portal_auditevent SET action = 'user.forged' WHERE id = %s", [chain[4].pk])

    code, _out, err = _verify_exit(capsys, monkeypatch)

    assert code != 0
    assert f"event #{altered.pk} (user.test_change, " in err
    assert altered.created_at.isoformat(timespec="seconds")[:19] in err
    assert "content no longer matches its hash" in err
    assert "2 event(s) before it verified" in err
    assert f"#{chain[4].pk} " not in err


def test_verify_audit_log_names_a_row_whose_hash_was_recomputed_by_the_link_after_it(
    chain,
):
    forged = AuditEvent.objects.get(pk=chain[1].pk)
    forged.after = {"n": 42}
    forged.hash = event_hash(forged)
    _tamper(
        "UPDATE portal_auditevent SET after = %s, hash = %s WHERE id = %s",
        ['{"n": 42}', forged.hash, forged.pk],
    )

    with pytest.raises(CommandError) as excinfo:
        call_command("verify_audit_log")

    assert excinfo.value.returncode != 0
    assert f"event #{chain[2].pk} (user.test_change" in str(excinfo.value)
    assert f"does not link to event #{chain[1].pk}" in str(excinfo.value)


def test_deleting_a_middle_row_is_detected_naming_the_row_after_it(chain, capsys, monkeypatch):
    _tamper("DELETE FROM portal_auditevent WHERE id = %s", [chain[2].pk])

    code, _out, err = _verify_exit(capsys, monkeypatch)

    assert code != 0
    assert f"event #{chain[3].pk} (user.test_change" in err
    assert f"does not link to event #{chain[1].pk}" in err
    assert "an event between them was removed" in err


def test_deleting_the_first_row_is_detected_naming_the_new_first_row(chain):
    _tamper("DELETE FROM portal_auditevent WHERE id = %s", [chain[0].pk])

    checked, broken = audit_verify_chain()

    assert checked == 0
    assert broken is not None
    assert broken.event_id == chain[1].pk
    assert "the start of the log" in broken.reason


# --- The append-only guard on PostgreSQL -----------------------------------------------


@pytest.mark.postgres
@needs_postgres
def test_postgresql_refuses_to_update_an_audit_row(chain):
    target = chain[2]
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "UPDATE portal_auditevent SET after = %s WHERE id = %s", ['{"n": 999}', target.pk]
        )
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=target.pk).update(action="user.forged")

    target_now = AuditEvent.objects.get(pk=target.pk)
    assert target_now.after == {"n": 3}
    assert target_now.action == "user.test_change"
    assert audit_verify_chain() == (5, None)


@pytest.mark.postgres
@needs_postgres
def test_postgresql_refuses_to_delete_an_audit_row(chain):
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM portal_auditevent WHERE id = %s", [chain[2].pk])
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.all().delete()

    assert AuditEvent.objects.count() == 5
    assert audit_verify_chain() == (5, None)


@pytest.mark.postgres
@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_two_threads_appending_at_once_still_make_one_valid_chain():
    target = UserFactory()
    threads_count, per_thread = 4, 15
    start = threading.Barrier(threads_count)
    errors: list[BaseException] = []

    def append(worker: int) -> None:
        try:
            start.wait()
            for n in range(per_thread):
                with transaction.atomic():
                    audit_record(
                        actor=None,
                        action=AuditTestAction.CONCURRENT,
                        target=target,
                        after={"worker": worker, "n": n},
                    )
        except BaseException as exc:  # noqa: BLE001 - reported to the main thread below
            errors.append(exc)
        finally:
            connection.close()

    workers = [threading.Thread(target=append, args=(w,)) for w in range(threads_count)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert errors == []
    assert AuditEvent.objects.count() == threads_count * per_thread
    assert audit_verify_chain() == (threads_count * per_thread, None)
    prev_hashes = list(AuditEvent.objects.values_list("prev_hash", flat=True))
    assert len(set(prev_hashes)) == len(prev_hashes)


# --- The admin -------------------------------------------------------------------------


def test_nobody_can_add_change_or_delete_audit_events_in_the_admin(chain, client, superuser):
    client.force_login(superuser)
    event = chain[0]

    assert client.get(reverse("admin:portal_auditevent_changelist")).status_code == 200
    assert client.get(reverse("admin:portal_auditevent_add")).status_code == 403
    assert client.get(reverse("admin:portal_auditevent_delete", args=[event.pk])).status_code == 403
    page = client.get(reverse("admin:portal_auditevent_change", args=[event.pk]))
    assert page.status_code == 200
    assert b'name="_save"' not in page.content

    response = client.post(
        reverse("admin:portal_auditevent_change", args=[event.pk]),
        {"action": "user.forged", "after": "{}"},
    )
    assert response.status_code == 403
    event.refresh_from_db()
    assert event.action == "user.test_change"
    assert audit_verify_chain() == (5, None)


def test_the_audit_admin_filters_by_action_and_searches_by_target(chain, client, superuser):
    other = UserFactory(full_name="Zebulon Quintrell")
    _record(actor=None, target=other, n=1)
    client.force_login(superuser)

    url = reverse("admin:portal_auditevent_changelist")
    filtered = client.get(url, {"action": "user.test_change"})
    searched = client.get(url, {"q": "Quintrell"})

    assert filtered.context["cl"].result_count == 6
    assert searched.context["cl"].result_count == 1


def test_an_auditor_can_read_the_audit_log_in_the_admin_but_not_change_it(chain, auditor, client):
    auditor.is_staff = True
    auditor.save(update_fields=["is_staff"])
    client.force_login(auditor)

    assert client.get(reverse("admin:portal_auditevent_changelist")).status_code == 200
    assert client.get(reverse("admin:portal_auditevent_add")).status_code == 403


def test_a_role_change_in_the_user_admin_is_audited(client, superuser, researcher):
    from django.contrib.auth.models import Group

    client.force_login(superuser)
    url = reverse("admin:portal_user_change", args=[researcher.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert b'name="username"' not in page.content

    response = client.post(
        url,
        {
            "email": researcher.email,
            "full_name": "Renamed Researcher",
            "is_active": "on",
            "groups": [
                Group.objects.get(name="researcher").pk,
                Group.objects.get(name="auditor").pk,
            ],
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    researcher.refresh_from_db()
    assert researcher.full_name == "Renamed Researcher"
    assert set(researcher.groups.values_list("name", flat=True)) == {"researcher", "auditor"}
    events = {e.action: e for e in AuditEvent.objects.filter(target_id=str(researcher.pk))}
    # The auditor role works in the admin site, so it brings staff status with it.
    assert events["user.roles_set"].after == {"roles": ["auditor", "researcher"], "is_staff": True}
    assert researcher.is_staff
    assert events["user.roles_set"].actor == superuser
    assert events["user.admin_change"].after == {"full_name": "Renamed Researcher"}
    assert audit_verify_chain()[1] is None


def test_a_user_added_in_the_admin_signs_in_by_email_and_the_addition_is_audited(client, superuser):
    client.force_login(superuser)

    response = client.post(
        reverse("admin:portal_user_add"),
        {
            "email": "New.Person@Example.org",
            "full_name": "New Person",
            "usable_password": "true",
            "password1": "a-long-enough-passphrase",
            "password2": "a-long-enough-passphrase",
        },
    )

    assert response.status_code == 302
    created = User.objects.get(email="new.person@example.org")
    assert created.check_password("a-long-enough-passphrase")
    event = AuditEvent.objects.get(action="user.admin_create")
    assert event.target_id == str(created.pk)
    assert event.actor == superuser
    assert "password" not in str(event.after)


def test_an_email_taken_in_another_case_is_refused_in_the_user_admin(client, superuser):
    UserFactory(email="taken@example.org")
    client.force_login(superuser)

    response = client.post(
        reverse("admin:portal_user_add"),
        {"email": "TAKEN@example.org", "usable_password": "false"},
    )

    assert response.status_code == 200
    assert "Another user already signs in with this address." in response.content.decode()
    assert User.objects.filter(email__iexact="taken@example.org").count() == 1
    assert not AuditEvent.objects.exists()


def test_a_password_set_in_the_user_admin_is_audited_without_the_password(
    client, superuser, researcher
):
    client.force_login(superuser)
    url = reverse("admin:auth_user_password_change", args=[researcher.pk])

    response = client.post(
        url,
        {"password1": "another-long-passphrase", "password2": "another-long-passphrase"},
    )

    assert response.status_code == 302
    researcher.refresh_from_db()
    assert researcher.check_password("another-long-passphrase")
    event = AuditEvent.objects.get(action="user.admin_password_set")
    assert event.target_id == str(researcher.pk)
    assert "another-long-passphrase" not in str(event.after)


def test_users_cannot_be_deleted_in_the_admin(client, superuser, researcher):
    client.force_login(superuser)
    response = client.get(reverse("admin:portal_user_delete", args=[researcher.pk]))
    assert response.status_code == 403
    assert User.objects.filter(pk=researcher.pk).exists()
