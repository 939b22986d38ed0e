"""Signed-in pages are never cached; public pages keep their ordinary caching."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_a_signed_in_page_says_no_store(client, researcher):
    client.force_login(researcher)

    response = client.get(reverse("access-requirements"))

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


def test_an_anonymous_page_is_not_marked_by_it(client):
    response = client.get(reverse("home"))

    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")
