"""A roster import is two acts: upload for review, then put in force. A large drop needs a
second confirmation with a reason (page, command), the nightly refresh leaves it for review
and tells the program admins, and any earlier import can be listed and restored."""

import io

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.urls import reverse

from portal.models import AuditEvent, Notification, RosterImport
from portal.onboarding.eligibility import Requirement
from portal.onboarding.roster_files import CsvRosterSource
from portal.onboarding.selectors import access_status_for, roster_diff
from portal.onboarding.services.roster import roster_import, roster_stage
from portal.onboarding.tasks import roster_refresh_nightly

HEADER = "email,workbench_username,access_expires_on\n"
TEN = [f"member{i}@example.org" for i in range(10)]


def _csv(emails: list[str], *, until: str = "2027-06-30") -> str:
    return HEADER + "".join(f"{e},,{until}\n" for e in emails)


def _source(text: str, name: str = "roster.csv") -> CsvRosterSource:
    return CsvRosterSource(io.BytesIO(text.encode()), name=name)


@pytest.fixture
def ten_on_the_roster(db) -> RosterImport:
    return roster_import(source=_source(_csv(TEN), "first.csv"), actor=None)


def _upload(client, text: str, name: str = "next.csv"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile(name, text.encode(), content_type="text/csv")
    return client.post(reverse("access-roster"), {"roster": upload})


def test_uploading_changes_nobodys_access_until_it_is_put_in_force(
    client, program_admin, ten_on_the_roster, user_factory
):
    person = user_factory(email=TEN[0])
    client.force_login(program_admin)

    response = _upload(client, _csv([*TEN[1:], "new@example.org"]))

    staged = RosterImport.objects.get(confirmed_at__isnull=True)
    assert response.url == reverse("access-roster-import", args=[staged.pk])
    assert RosterImport.objects.get(is_current=True) == ten_on_the_roster
    assert access_status_for(person).get(Requirement.CONTROLLED_TIER).holds
    diff = roster_diff(staged)
    assert [c.email for c in diff.gains] == ["new@example.org"]
    assert [c.email for c in diff.losses] == [TEN[0]]
    assert [c.person for c in diff.losses] == [person]
    assert not diff.needs_drop_confirmation  # 1 of 10 is 10%, not more


def test_the_preview_names_moved_expiries(client, program_admin, ten_on_the_roster):
    client.force_login(program_admin)
    _upload(client, _csv(TEN[:9]) + f"{TEN[9]},,2028-01-31\n")
    staged = RosterImport.objects.get(confirmed_at__isnull=True)

    page = client.get(reverse("access-roster-import", args=[staged.pk])).content.decode()

    assert 'data-roster="moves">1<' in page
    assert f"{TEN[9]}: last day 30 Jun 2027 → 31 Jan 2028" in page


def test_a_large_drop_on_the_page_needs_the_box_and_a_reason(
    client, program_admin, ten_on_the_roster
):
    client.force_login(program_admin)
    _upload(client, _csv(TEN[:8]))  # drops 2 of 10: 20%
    staged = RosterImport.objects.get(confirmed_at__isnull=True)
    url = reverse("access-roster-confirm", args=[staged.pk])

    preview = client.get(reverse("access-roster-import", args=[staged.pk])).content.decode()
    bare = client.post(url)
    no_reason = client.post(url, {"drop_confirmed": "on", "drop_reason": "ok"})

    assert 'data-roster="drop-warning"' in preview
    assert "drops 2 of 10 entries (20%)" in preview
    assert bare.status_code == no_reason.status_code == 400
    assert "Tick the box to confirm the drop" in bare.content.decode()
    assert "at least 10 characters" in no_reason.content.decode()
    assert RosterImport.objects.get(is_current=True) == ten_on_the_roster
    assert (
        not AuditEvent.objects.filter(action="roster.import")
        .exclude(target_id=str(ten_on_the_roster.pk))
        .exists()
    )

    done = client.post(
        url, {"drop_confirmed": "on", "drop_reason": "Two researchers left their institution."}
    )

    assert done.status_code == 302
    staged.refresh_from_db()
    assert staged.is_current
    assert staged.drop_reason == "Two researchers left their institution."
    event = AuditEvent.objects.filter(action="roster.import").order_by("-id").first()
    assert event.after["losses"] == 2
    assert event.after["drop_reason"] == "Two researchers left their institution."


def test_setting_a_roster_aside_keeps_the_current_one(client, program_admin, ten_on_the_roster):
    client.force_login(program_admin)
    _upload(client, _csv(TEN[:2]))
    staged = RosterImport.objects.get(confirmed_at__isnull=True)

    client.post(reverse("access-roster-discard", args=[staged.pk]))

    staged.refresh_from_db()
    assert staged.discarded_at is not None
    assert RosterImport.objects.get(is_current=True) == ten_on_the_roster
    assert AuditEvent.objects.filter(action="roster.discard").count() == 1
    refused = client.post(reverse("access-roster-confirm", args=[staged.pk]), follow=True)
    assert "no longer awaiting review" in refused.content.decode()
    assert not RosterImport.objects.get(pk=staged.pk).is_current


def test_the_command_refuses_a_large_drop_without_confirm_drop(tmp_path, ten_on_the_roster):
    path = tmp_path / "small.csv"
    path.write_text(_csv(TEN[:5]))

    with pytest.raises(CommandError, match="--confirm-drop"):
        call_command("import_controlled_tier_roster", str(path), stdout=io.StringIO())

    assert RosterImport.objects.get(is_current=True) == ten_on_the_roster
    assert RosterImport.objects.filter(confirmed_at__isnull=True).count() == 1  # for review

    call_command(
        "import_controlled_tier_roster",
        str(path),
        "--confirm-drop",
        "Half the cohort's agreements ended.",
        stdout=io.StringIO(),
    )

    current = RosterImport.objects.get(is_current=True)
    assert current.row_count == 5
    assert current.drop_reason == "Half the cohort's agreements ended."


def test_the_nightly_refresh_leaves_a_large_drop_for_review_and_tells_the_program_admins(
    tmp_path, settings, program_admin, ten_on_the_roster, django_capture_on_commit_callbacks
):
    path = tmp_path / "export.csv"
    path.write_text(_csv(TEN[:1]))
    settings.CONTROLLED_TIER_ROSTER_FILE = str(path)

    with django_capture_on_commit_callbacks(execute=True):
        result = roster_refresh_nightly()

    assert result == {"status": "drop left for review", "losses": 9}
    assert RosterImport.objects.get(is_current=True) == ten_on_the_roster
    staged = RosterImport.objects.get(confirmed_at__isnull=True, discarded_at__isnull=True)
    notice = Notification.objects.get(user=program_admin, template="roster_refresh_drop_refused")
    assert "drops 9 of the 10 entries" in notice.body_text
    assert notice.url == reverse("access-roster-import", args=[staged.pk])
    assert [m.to for m in mail.outbox] == [[program_admin.email]]


def test_any_import_lists_its_entries_and_an_earlier_one_is_restored_audited(
    client, program_admin, ten_on_the_roster
):
    roster_import(
        source=_source(_csv(TEN[:3]), "mistake.csv"),
        actor=None,
        drop_reason="Trying a partial export by mistake.",
    )
    client.force_login(program_admin)

    entries = client.get(reverse("access-roster-import", args=[ten_on_the_roster.pk]))
    restore = client.post(reverse("access-roster-restore", args=[ten_on_the_roster.pk]))

    page = entries.content.decode()
    assert all(email in page for email in TEN)
    assert 'data-roster="restore"' in page
    copy = RosterImport.objects.get(confirmed_at__isnull=True)
    assert restore.url == reverse("access-roster-import", args=[copy.pk])
    assert copy.restored_from == ten_on_the_roster
    assert not copy.is_current
    assert 'data-roster="gains">7<' in client.get(restore.url).content.decode()

    client.post(reverse("access-roster-confirm", args=[copy.pk]))

    copy.refresh_from_db()
    assert copy.is_current
    assert sorted(copy.entries.values_list("email", flat=True)) == sorted(TEN)
    [event] = AuditEvent.objects.filter(action="roster.restore")
    assert event.actor == program_admin
    assert event.after["restores"] == ten_on_the_roster.pk


@pytest.mark.parametrize("role", ["researcher", "auditor", "biobank_staff"])
def test_the_import_pages_are_not_found_for_anyone_but_a_program_admin(
    client, request, role, ten_on_the_roster
):
    client.force_login(request.getfixturevalue(role))
    staged = roster_stage(source=_source(_csv(TEN[:1])), actor=None)

    assert client.get(reverse("access-roster-import", args=[staged.pk])).status_code == 404
    assert client.post(reverse("access-roster-confirm", args=[staged.pk])).status_code == 404
    assert client.post(reverse("access-roster-restore", args=[staged.pk])).status_code == 404
    assert client.post(reverse("access-roster-discard", args=[staged.pk])).status_code == 404
    staged.refresh_from_db()
    assert staged.awaiting_review
