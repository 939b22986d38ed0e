import pytest
from django.urls import reverse


@pytest.mark.django_db
def test_roles_exist_as_groups_after_migration():
    from django.contrib.auth.models import Group

    from portal.roles import Role

    assert set(Group.objects.values_list("name", flat=True)) >= {r.value for r in Role}


def test_researcher_lands_on_their_dashboard(client, researcher):
    client.force_login(researcher)
    response = client.get(reverse("dashboard"), follow=True)
    assert response.status_code == 200
    assert b"Researcher dashboard" in response.content
