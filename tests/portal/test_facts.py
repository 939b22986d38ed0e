"""The per-user facts every page reads from the cache (portal.facts): read once, kept until a
record they come from changes, and never shown stale after that change."""

from datetime import timedelta

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.urls import reverse

from portal.clock import program_today
from portal.facts import _facts_key, user_facts, user_facts_changed
from portal.models import Consent, User
from portal.notifications import notification_mark_read, notify
from portal.onboarding.eligibility import Requirement, State
from portal.onboarding.services.conduct import code_of_conduct_make_current
from portal.onboarding.services.consents import consent_give, consent_withdraw
from portal.roles import Role
from tests.factories import CodeOfConductVersionFactory, make_eligible
from tests.helpers import at_noon, frozen


def _fresh(user: User) -> User:
    """The same user as the next request loads them: a new object, nothing memoised."""
    return User.objects.get(pk=user.pk)


def test_facts_are_read_once_then_served_from_the_cache(researcher, django_assert_num_queries):
    first = user_facts(_fresh(researcher))
    again = _fresh(researcher)

    with django_assert_num_queries(0):
        facts = user_facts(again)
        assert again.role_names == frozenset({Role.RESEARCHER})  # primed, no query

    assert facts == first
    assert facts.roles == frozenset({Role.RESEARCHER})
    assert facts.access is not None


def test_staff_facts_carry_no_access_status(auditor):
    facts = user_facts(_fresh(auditor))

    assert facts.access is None
    assert facts.two_factor is True


def test_a_role_given_or_taken_shows_on_the_next_request(researcher):
    user_facts(_fresh(researcher))
    auditors = Group.objects.get(name=Role.AUDITOR)

    researcher.groups.add(auditors)
    assert Role.AUDITOR in user_facts(_fresh(researcher)).roles

    auditors.user_set.remove(researcher)
    assert Role.AUDITOR not in user_facts(_fresh(researcher)).roles

    researcher.groups.add(auditors)
    user_facts(_fresh(researcher))
    auditors.user_set.clear()
    assert Role.AUDITOR not in user_facts(_fresh(researcher)).roles


def test_a_removed_role_closes_its_dashboard_at_once(client, auditor):
    client.force_login(auditor)
    url = reverse("role-dashboard", args=[Role.AUDITOR])
    assert client.get(url).status_code == 200

    auditor.groups.remove(Group.objects.get(name=Role.AUDITOR))

    assert client.get(url).status_code == 404


def test_two_factor_turned_off_or_on_shows_on_the_next_request(researcher):
    assert user_facts(_fresh(researcher)).two_factor is True

    Authenticator.objects.filter(user=researcher).delete()
    assert user_facts(_fresh(researcher)).two_factor is False

    TOTP.activate(researcher, generate_totp_secret())
    assert user_facts(_fresh(researcher)).two_factor is True


def test_the_unread_count_follows_new_and_read_notifications(researcher):
    assert user_facts(_fresh(researcher)).unread_notifications == 0

    notification = notify(user=researcher, template="access_regained")
    assert user_facts(_fresh(researcher)).unread_notifications == 1

    notification_mark_read(notification=notification, actor=researcher)
    assert user_facts(_fresh(researcher)).unread_notifications == 0


def test_a_change_made_earlier_in_the_same_request_shows_later_in_it(researcher):
    user = _fresh(researcher)
    assert user_facts(user).unread_notifications == 0

    notify(user=researcher, template="access_regained")

    assert user_facts(user).unread_notifications == 1


def test_a_consent_given_or_withdrawn_moves_the_cached_access_status(researcher):
    def consent_state() -> State:
        access = user_facts(_fresh(researcher)).access
        assert access is not None
        return access.get(Requirement.CONSENT_PUBLIC_DISPLAY).state

    assert consent_state() == State.INCOMPLETE

    consent = consent_give(user=researcher, kind=Consent.Kind.PUBLIC_DISPLAY, actor=researcher)
    assert consent_state() == State.COMPLETE

    consent_withdraw(consent=consent, actor=researcher)
    assert consent_state() == State.INCOMPLETE


def test_a_version_made_current_moves_everyones_cached_access_status(
    researcher, program_admin, django_capture_on_commit_callbacks
):
    make_eligible(researcher)
    assert user_facts(_fresh(researcher)).access.eligible  # type: ignore[union-attr]

    newer = CodeOfConductVersionFactory(version="2099.1")
    with django_capture_on_commit_callbacks(execute=True):
        code_of_conduct_make_current(version=newer, previous_accepted_until=None, actor=None)

    access = user_facts(_fresh(researcher)).access
    assert access is not None
    assert not access.eligible
    assert access.get(Requirement.CODE_OF_CONDUCT).state == State.EXPIRED


def test_facts_are_read_again_on_a_new_day(researcher):
    today = program_today()
    make_eligible(researcher, today=today - timedelta(days=340))
    with frozen(at_noon(today)):
        before = user_facts(_fresh(researcher)).access
    with frozen(at_noon(today + timedelta(days=1))):
        after = user_facts(_fresh(researcher)).access

    assert before is not None
    assert after is not None
    code_of_conduct = Requirement.CODE_OF_CONDUCT
    assert before.get(code_of_conduct).days_left(today) == 25
    assert after.get(code_of_conduct).days_left(today + timedelta(days=1)) == 24


def test_facts_stored_by_a_request_that_read_before_a_change_are_never_used(researcher):
    stale = user_facts(_fresh(researcher))
    stored = cache.get(_facts_key(researcher.pk))

    notify(user=researcher, template="access_regained")
    # A slow request that read the database before the change stores what it read, with
    # the generation it saw then.
    cache.set(_facts_key(researcher.pk), stored)

    assert stale.unread_notifications == 0
    assert user_facts(_fresh(researcher)).unread_notifications == 1


def test_a_bump_for_one_user_leaves_the_others_cached(
    researcher, authorized_user, django_assert_num_queries
):
    user_facts(_fresh(researcher))
    user_facts(_fresh(authorized_user))

    user_facts_changed([researcher.pk])

    other = _fresh(authorized_user)
    with django_assert_num_queries(0):
        user_facts(other)


def test_the_redis_cache_builds_one_client_per_pool_not_one_per_call():
    from portal.cache import SharedClientRedisCacheClient

    client = SharedClientRedisCacheClient(["redis://127.0.0.1:6379/0"])

    assert client.get_client() is client.get_client()
    assert client.get_client(write=True) is client.get_client()


def test_an_unreadable_cache_entry_is_read_again_from_the_database(researcher):
    """Facts pickled by another release of the code are a miss, not an error page."""
    user_facts(_fresh(researcher))
    internal = cache.make_key(_facts_key(researcher.pk))
    cache._cache[internal] = b"not a pickle"  # type: ignore[attr-defined]

    facts = user_facts(_fresh(researcher))

    assert facts.roles == frozenset({Role.RESEARCHER})


def test_the_redis_cache_does_not_scan_keys_for_memcached(recwarn):
    from portal.cache import PortalRedisCache

    cache_backend = PortalRedisCache("redis://127.0.0.1:6379/0", {})
    cache_backend.validate_key("a key with spaces that memcached would warn about " * 10)

    assert not recwarn.list


def test_a_batch_job_bumps_its_users_once_when_it_ends(researcher, django_assert_num_queries):
    from portal.facts import facts_changes_deferred

    assert user_facts(_fresh(researcher)).unread_notifications == 0
    with facts_changes_deferred():
        notify(user=researcher, template="access_regained")
        notify(user=researcher, template="access_regained")
        stale = _fresh(researcher)
        with django_assert_num_queries(0):
            assert user_facts(stale).unread_notifications == 0  # caught up when the job ends

    assert user_facts(_fresh(researcher)).unread_notifications == 2
