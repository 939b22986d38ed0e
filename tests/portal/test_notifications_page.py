"""The notifications page: a user's own in-app notifications, newest first, 25 to a page."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from portal.models import Notification

pytestmark = pytest.mark.django_db

# The user and the page's ids and read times: the session, roles, notification counts and
# access banner come from the cache (portal.facts), and each row shown before is a cached
# fragment. The first view after signing in also reads those facts (roles, counts, access
# status, last-done dates: six), loads the rows it renders (one) and renews the session
# (savepoint, update, release). The same numbers for 3 notifications and for 60: nothing is
# queried per row.
NOTIFICATION_PAGE_QUERIES = 2
FIRST_VIEW_QUERIES = NOTIFICATION_PAGE_QUERIES + 6 + 1 + 3


def make_notifications(user, count: int, **fields) -> list[Notification]:
    return [
        Notification.objects.create(
            user=user,
            template="test",
            subject=fields.get("subject", f"Notice {i}"),
            body_text=fields.get("body_text", f"Line one of notice {i}\nLine two"),
            body_html="<p>unused</p>",
            url=fields.get("url", f"/applications/{i}/"),
            read_at=fields.get("read_at"),
        )
        for i in range(count)
    ]


def subjects(html: str) -> list[str]:
    return re.findall(
        r'<h2 class="h6 mb-1" id="notification-\d+-subject">\s*(?:<span[^>]*>[^<]*</span>)*'
        r"([^<]+?)\s*</h2>",
        html,
    )


def test_notifications_page_lists_only_the_users_own_notifications(
    client, researcher, user_factory
):
    make_notifications(researcher, 2)
    make_notifications(user_factory(), 1, subject="Someone else's notice")
    client.force_login(researcher)
    html = client.get(reverse("notifications")).content.decode()
    assert subjects(html) == ["Notice 1", "Notice 0"]
    assert "Someone else&#x27;s notice" not in html


def test_notifications_are_listed_newest_first_25_to_a_page(client, researcher):
    notices = make_notifications(researcher, 30)
    client.force_login(researcher)
    first = client.get(reverse("notifications")).content.decode()
    second = client.get(reverse("notifications"), {"page": 2}).content.decode()
    assert subjects(first) == [f"Notice {i}" for i in range(29, 4, -1)]
    assert subjects(second) == [f"Notice {i}" for i in range(4, -1, -1)]
    assert len(notices) == 30
    assert '<nav aria-label="Notification pages">' in first
    assert 'href="?page=2"' in first


def test_a_page_number_past_the_end_shows_the_last_page(client, researcher):
    make_notifications(researcher, 27)
    client.force_login(researcher)
    response = client.get(reverse("notifications"), {"page": 99})
    assert response.status_code == 200
    assert subjects(response.content.decode()) == ["Notice 1", "Notice 0"]


def test_unread_notifications_are_marked_for_sight_and_for_screen_readers(client, researcher):
    make_notifications(researcher, 1, subject="Already read", read_at=timezone.now())
    make_notifications(researcher, 1, subject="Still unread")
    client.force_login(researcher)
    html = client.get(reverse("notifications")).content.decode()
    assert html.count('<span class="visually-hidden">Unread: </span>') == 1
    assert re.search(r'<span class="visually-hidden">Unread: </span>Still unread', html)
    assert html.count("notification-unread") == 1
    assert html.count("Mark as read<span") == 1
    assert "You have 1 unread notification." in html


def test_notification_body_keeps_its_line_breaks_through_a_css_class(client, researcher):
    make_notifications(researcher, 1)
    client.force_login(researcher)
    html = client.get(reverse("notifications")).content.decode()
    assert '<div class="notification-body mt-2">Line one of notice 0\nLine two</div>' in html
    assert "style=" not in html


def test_only_links_inside_the_portal_are_shown(client, researcher):
    make_notifications(researcher, 1, subject="Inside", url="/applications/7/")
    make_notifications(researcher, 1, subject="Outside", url="https://elsewhere.example/")
    make_notifications(researcher, 1, subject="Script", url="javascript:alert(1)")
    client.force_login(researcher)
    html = client.get(reverse("notifications")).content.decode()
    assert 'href="/applications/7/"' in html
    assert "elsewhere.example" not in html
    assert "javascript:" not in html


def test_empty_notifications_page_says_what_will_appear(client, researcher):
    client.force_login(researcher)
    html = client.get(reverse("notifications")).content.decode()
    assert "You have no notifications yet." in html
    assert "Notification pages" not in html


def test_mark_as_read_records_the_time_and_returns_to_the_page(client, researcher):
    (notice,) = make_notifications(researcher, 1)
    client.force_login(researcher)
    response = client.post(
        reverse("notification-mark-read", args=[notice.pk]),
        {"next": reverse("notifications") + "?page=1"},
    )
    assert response.status_code == 302
    assert response.url == reverse("notifications") + "?page=1"
    notice.refresh_from_db()
    assert notice.read_at is not None
    html = client.get(reverse("notifications")).content.decode()
    assert "You have no unread notifications." in html
    assert "Mark as read" not in html


def test_navigation_badge_counts_unread_notifications(client, researcher):
    make_notifications(researcher, 3)
    client.force_login(researcher)
    html = client.get(reverse("notifications")).content.decode()
    assert re.search(
        r'<span class="badge rounded-pill text-bg-warning nav-badge">3'
        r'<span class="visually-hidden"> unread</span></span>',
        html,
    )


def test_another_users_notification_cannot_be_marked_read(client, researcher, user_factory):
    (notice,) = make_notifications(user_factory(), 1)
    client.force_login(researcher)
    response = client.post(reverse("notification-mark-read", args=[notice.pk]))
    assert response.status_code == 404
    notice.refresh_from_db()
    assert notice.read_at is None


def test_mark_as_read_refuses_get(client, researcher):
    (notice,) = make_notifications(researcher, 1)
    client.force_login(researcher)
    assert client.get(reverse("notification-mark-read", args=[notice.pk])).status_code == 405
    notice.refresh_from_db()
    assert notice.read_at is None


def test_anonymous_visitor_is_sent_to_sign_in_from_notifications(client):
    response = client.get(reverse("notifications"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


@pytest.mark.parametrize("count", [10, 30])
def test_notifications_page_query_count_does_not_grow_with_rows(
    client, researcher, count, django_assert_max_num_queries
):
    make_notifications(researcher, count)
    client.force_login(researcher)
    with django_assert_max_num_queries(FIRST_VIEW_QUERIES):
        response = client.get(reverse("notifications"))
    assert len(subjects(response.content.decode())) == min(count, 25)
    with django_assert_max_num_queries(NOTIFICATION_PAGE_QUERIES):
        client.get(reverse("notifications"))


def test_notifications_page_query_count_is_pinned(client, researcher, django_assert_num_queries):
    make_notifications(researcher, 60)
    client.force_login(researcher)
    with django_assert_num_queries(FIRST_VIEW_QUERIES):
        client.get(reverse("notifications"), {"page": 2})
    with django_assert_num_queries(NOTIFICATION_PAGE_QUERIES):
        client.get(reverse("notifications"), {"page": 2})


def test_rows_are_rendered_once_and_again_only_when_a_notice_is_read(
    client, researcher, monkeypatch
):
    from portal import fragments

    notices = make_notifications(researcher, 3)
    client.force_login(researcher)
    rendered: list[int] = []
    real = fragments.get_template("portal/_notification_row.html")

    class CountingTemplate:
        template = real.template

        def render(self, context, request=None):
            rendered.append(context["n"].pk)
            return real.render(context, request)

    monkeypatch.setattr(fragments, "get_template", lambda name: CountingTemplate())
    client.get(reverse("notifications"))
    client.get(reverse("notifications"))
    assert sorted(rendered) == sorted(n.pk for n in notices)

    client.post(reverse("notification-mark-read", args=[notices[0].pk]))
    rendered.clear()
    html = client.get(reverse("notifications")).content.decode()

    assert rendered == [notices[0].pk]
    assert html.count("notification-unread") == 2


def test_a_cached_row_carries_no_csrf_token_and_the_page_carries_one_form(client, researcher):
    make_notifications(researcher, 3)
    client.force_login(researcher)
    html = client.get(reverse("notifications")).content.decode()

    rows = html[html.index('<ol class="list-unstyled notification-list"') : html.index("</ol>")]
    assert "csrfmiddlewaretoken" not in rows
    assert rows.count('form="mark-read-form"') == 3
    assert html.count('id="mark-read-form"') == 1
    form = html[html.index('id="mark-read-form"') :]
    assert 'name="csrfmiddlewaretoken"' in form[: form.index("</form>")]
