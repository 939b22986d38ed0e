"""When board membership changes (issue item 12): a departed reviewer's unsubmitted
assignment goes back to the chair, and the last chair cannot be removed."""

import pytest

from portal.errors import DomainError
from portal.roles import Role
from portal.services.users import user_set_roles
from review.models import Assignment, ReviewRound
from tests.review.conftest import assign, declare_none, reviewers_of, submit_sheet

pytestmark = pytest.mark.django_db


def test_a_departed_reviewers_open_assignment_goes_back_to_the_chair(
    in_review, board, program_admin
):
    assignments = assign(in_review, board["chair"], reviewers_of(board))
    declare_none(assignments[1])
    submit_sheet(assignments[1])
    for person in (board["scientist"], board["elsi"]):
        user_set_roles(user=person, roles=[], actor=program_admin)
    states = dict(Assignment.objects.values_list("reviewer_id", "state"))
    assert states[board["scientist"].pk] == Assignment.State.REMOVED
    assert states[board["elsi"].pk] == Assignment.State.SUBMITTED  # their sheet stays
    round_ = ReviewRound.objects.get(application=in_review)
    assert (round_.reviewers, round_.stage) == (2, "awaiting_assignment")
    assert board["chair"].notifications.filter(template="review_assignment_returned").exists()


def test_the_last_chair_cannot_be_removed(board, program_admin):
    with pytest.raises(DomainError, match="last PRAB chair"):
        user_set_roles(user=board["chair"], roles=[Role.PRAB_MEMBER], actor=program_admin)
    assert board["chair"].groups.filter(name=Role.PRAB_CHAIR).exists()
    user_set_roles(
        user=board["scientist"], roles=[Role.PRAB_MEMBER, Role.PRAB_CHAIR], actor=program_admin
    )
    user_set_roles(user=board["chair"], roles=[Role.PRAB_MEMBER], actor=program_admin)


def test_the_admin_site_refuses_to_remove_the_last_chair_with_the_reason(client, board):
    from django.contrib.auth.models import Group
    from django.urls import reverse

    from tests.factories import UserFactory

    admin = UserFactory(
        roles=[Role.PROGRAM_ADMIN], two_factor=True, is_staff=True, is_superuser=True
    )
    client.force_login(admin)
    chair = board["chair"]
    member_group = Group.objects.get(name=Role.PRAB_MEMBER)
    response = client.post(
        reverse("admin:portal_user_change", args=[chair.pk]),
        {
            "email": chair.email,
            "full_name": chair.full_name,
            "is_active": "on",
            "groups": [member_group.pk],
        },
    )
    assert response.status_code == 200
    assert "is the last PRAB chair" in response.content.decode()
    assert chair.groups.filter(name=Role.PRAB_CHAIR).exists()


def test_a_deactivated_reviewers_open_assignments_go_back_and_the_last_chair_stays_active(
    in_review, board, program_admin
):
    from portal.services.users import user_admin_update

    assign(in_review, board["chair"], reviewers_of(board))
    user_admin_update(user=board["elsi"], changes={"is_active": False}, actor=program_admin)
    assert Assignment.objects.get(reviewer=board["elsi"]).state == Assignment.State.REMOVED
    assert ReviewRound.objects.get(application=in_review).stage == "awaiting_assignment"
    with pytest.raises(DomainError, match="last PRAB chair"):
        user_admin_update(user=board["chair"], changes={"is_active": False}, actor=program_admin)
    board["chair"].refresh_from_db()
    assert board["chair"].is_active
