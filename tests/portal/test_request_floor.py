"""What every signed-in request pays (issue 8): no query asked twice in one request, and the
per-user facts read once per request."""

from collections import Counter

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal.notifications import notify
from portal.onboarding.services.access import access_recheck_all
from portal.roles import Role
from tests.factories import UserFactory, make_eligible

pytestmark = pytest.mark.django_db

PAGES = [
    ("eligible_researcher", "role-dashboard", [Role.RESEARCHER]),
    ("eligible_researcher", "access-requirements", []),
    ("eligible_researcher", "notifications", []),
    ("auditor", "role-dashboard", [Role.AUDITOR]),
    ("auditor", "access-people", []),
]


@pytest.mark.parametrize(("fixture", "name", "args"), PAGES)
def test_no_query_is_asked_twice_in_one_request(client, request, fixture, name, args):
    user = request.getfixturevalue(fixture)
    for i in range(3):
        make_eligible(UserFactory(full_name=f"Person {i}", roles=[Role.RESEARCHER]))
        notify(user=user, template="access_regained")
    access_recheck_all()
    client.force_login(user)
    url = reverse(name, args=args)
    for _ in range(2):  # the first view after signing in, then a warm one
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        repeated = [
            sql for sql, n in Counter(q["sql"] for q in captured.captured_queries).items() if n > 1
        ]
        assert repeated == []
