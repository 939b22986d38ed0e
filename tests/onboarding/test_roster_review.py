"""A roster import is two acts: upload for review, then put in force. A large drop needs a
second confirmation with a reason (page, command), the nightly refresh leaves it for review
and tells the program admins, and any earlier import can be listed and restored."""

import io

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.urls import reverse

from portal.errors import DomainError
from portal.models import AuditEvent, Notification, RosterImport
from portal.onboarding.eligibility import Requirement
from portal.onboarding.roster_files import CsvRosterSource
from portal.onboarding.selectors import access_status_for, roster_diff
from portal.onboarding.services.access import access_recheck_users
from portal.onboarding.services.roster import (
    DROP_REASON_MAX,
    roster_confirm,
    roster_import,
    roster_restore_stage,
    roster_stage,
)
from portal.onboarding.tasks import roster_refresh_nightly
from tests.factories import RequirementBypassFactory, RosterEntryFactory, make_eligible
from tests.helpers import audit_actions

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


def test_the_same_export_the_next_night_is_not_staged_again_nor_told_twice(
    tmp_path, settings, program_admin, ten_on_the_roster, django_capture_on_commit_callbacks
):
    path = tmp_path / "export.csv"
    path.write_text(_csv(TEN[:1]))
    settings.CONTROLLED_TIER_ROSTER_FILE = str(path)
    with django_capture_on_commit_callbacks(execute=True):
        roster_refresh_nightly()
    staged = _awaiting()
    count = RosterImport.objects.count()

    with django_capture_on_commit_callbacks(execute=True):
        result = roster_refresh_nightly()

    assert result == {"status": "awaiting review", "import": staged.pk}
    assert RosterImport.objects.count() == count
    assert _awaiting() == staged
    assert RosterImport.objects.get(is_current=True) == ten_on_the_roster
    assert Notification.objects.filter(template="roster_refresh_drop_refused").count() == 1
    assert len(mail.outbox) == 1


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


@pytest.mark.parametrize("role", ["researcher", "biobank_staff", "prab_chair"])
def test_the_import_pages_are_not_found_for_anyone_but_a_program_admin_or_an_auditor(
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


def _awaiting() -> RosterImport:
    return RosterImport.objects.get(RosterImport.awaiting_review_q())


def test_the_preview_says_whose_verdict_would_change(
    client, program_admin, frozen_today, user_factory
):
    eligible = make_eligible(user_factory(full_name="Ada Eligible", email="ada@example.org"))
    waived = make_eligible(user_factory(full_name="Bea Waived", email="bea@example.org"))
    RequirementBypassFactory(user=waived, requirement="controlled_tier")
    user_factory(full_name="Cy Newcomer", email="cy@example.org")  # not eligible either way
    RosterEntryFactory(email="cy@example.org")
    client.force_login(program_admin)

    _upload(client, _csv(TEN))  # drops Ada, Bea and Cy
    page = client.get(reverse("access-roster-import", args=[_awaiting().pk])).content.decode()

    assert 'data-roster="verdict-changes">1<' in page
    assert (
        "Ada Eligible (ada@example.org): last day now 22 Nov 2027. "
        '<strong data-verdict-change="not-eligible">Verdict changes: eligible → not eligible.'
    ) in page
    assert "Bea Waived (bea@example.org): last day now 22 Nov 2027. " in page
    assert "Verdict unchanged: eligible." in page  # the bypass still waives the roster
    assert "Verdict unchanged: not eligible." in page  # Cy
    assert access_status_for(eligible).eligible  # nothing changed yet

    client.post(
        reverse("access-roster-confirm", args=[_awaiting().pk]),
        {"drop_confirmed": "on", "drop_reason": "Three researchers left the program."},
    )
    _upload(client, _csv(["ada@example.org", *TEN]))
    page = client.get(reverse("access-roster-import", args=[_awaiting().pk])).content.decode()

    assert (
        "Ada Eligible (ada@example.org): last day 30 Jun 2027. "
        '<strong data-verdict-change="eligible">Verdict changes: not eligible → eligible.'
    ) in page


def test_the_preview_names_at_most_the_limit_of_each_kind_but_counts_them_all(
    client, program_admin, ten_on_the_roster, monkeypatch
):
    monkeypatch.setattr("portal.onboarding.views.roster.PREVIEW_LIMIT", 3)
    client.force_login(program_admin)

    _upload(client, _csv([*TEN, *(f"extra{i}@example.org" for i in range(5))]))
    page = client.get(reverse("access-roster-import", args=[_awaiting().pk])).content.decode()

    preview = page.split('id="entries-heading"')[0]
    assert 'data-roster="gains">5<' in preview
    assert 'data-roster="truncated"' in preview
    assert "extra2@example.org" in preview
    assert "extra3@example.org" not in preview


def test_confirming_on_the_page_tells_whoever_lost_access_at_once_and_uploading_tells_nobody(
    client, program_admin, researcher, frozen_today, django_capture_on_commit_callbacks
):
    person = make_eligible(researcher)
    with django_capture_on_commit_callbacks(execute=True):
        access_recheck_users(user_ids=[person.pk])
    Notification.objects.all().delete()
    mail.outbox.clear()
    client.force_login(program_admin)

    with django_capture_on_commit_callbacks(execute=True):
        _upload(client, _csv(["someone@example.org"]))

    assert not Notification.objects.filter(user=person).exists()
    assert mail.outbox == []

    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(
            reverse("access-roster-confirm", args=[_awaiting().pk]),
            {"drop_confirmed": "on", "drop_reason": "This authorization was withdrawn."},
        )

    assert done.status_code == 302

    [notice] = Notification.objects.filter(user=person, template="access_lapsed")
    assert "Controlled Tier authorization" in notice.body_text
    assert not access_status_for(person).eligible


def test_a_discarded_preview_changes_nobodys_access_and_tells_nobody(
    client, program_admin, frozen_today, user_factory, django_capture_on_commit_callbacks
):
    person = make_eligible(user_factory(email="ada@example.org"))
    current = RosterImport.objects.get(is_current=True)
    client.force_login(program_admin)

    with django_capture_on_commit_callbacks(execute=True):
        _upload(client, _csv(["someone@example.org"]))
        staged = _awaiting()
        client.post(reverse("access-roster-discard", args=[staged.pk]))

    staged.refresh_from_db()
    assert staged.discarded_at is not None
    assert not staged.is_current
    assert RosterImport.objects.get(is_current=True) == current
    assert access_status_for(person).eligible
    assert not Notification.objects.filter(user=person).exists()
    assert mail.outbox == []
    assert "roster.import" not in audit_actions()
    assert audit_actions().count("roster.discard") == 1


def test_a_newer_upload_sets_the_older_one_awaiting_review_aside(
    client, program_admin, ten_on_the_roster
):
    client.force_login(program_admin)
    _upload(client, _csv([*TEN, "one@example.org"]), "older.csv")
    older = _awaiting()

    _upload(client, _csv([*TEN, "two@example.org"]), "newer.csv")

    older.refresh_from_db()
    assert older.discarded_at is not None
    assert _awaiting().source == "newer.csv"
    assert RosterImport.objects.get(is_current=True) == ten_on_the_roster
    assert client.post(reverse("access-roster-confirm", args=[older.pk])).status_code == 302
    older.refresh_from_db()
    assert not older.is_current


def test_the_command_refuses_a_reason_longer_than_the_limit_and_stages_nothing(
    tmp_path, ten_on_the_roster
):
    path = tmp_path / "small.csv"
    path.write_text(_csv(TEN[:5]))
    count = RosterImport.objects.count()

    with pytest.raises(CommandError, match=f"keep it to {DROP_REASON_MAX} or fewer"):
        call_command(
            "import_controlled_tier_roster",
            str(path),
            "--confirm-drop",
            "x" * (DROP_REASON_MAX + 1),
            stdout=io.StringIO(),
        )

    assert RosterImport.objects.count() == count
    assert RosterImport.objects.get(is_current=True) == ten_on_the_roster


def test_the_page_keeps_a_reason_longer_than_the_limit_and_says_how_long_it_may_be(
    client, program_admin, ten_on_the_roster
):
    client.force_login(program_admin)
    _upload(client, _csv(TEN[:5]))
    reason = "y" * (DROP_REASON_MAX + 1)

    response = client.post(
        reverse("access-roster-confirm", args=[_awaiting().pk]),
        {"drop_confirmed": "on", "drop_reason": reason},
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert "Keep the reason to 2,000 characters or fewer" in page
    assert reason in page  # what was typed is not lost
    assert RosterImport.objects.get(is_current=True) == ten_on_the_roster


def test_restoring_a_roster_that_drops_many_entries_needs_the_box_and_a_reason(
    client, program_admin, ten_on_the_roster
):
    roster_import(
        source=_source(_csv([*TEN, *(f"n{i}@example.org" for i in range(10))])), actor=None
    )
    bigger = RosterImport.objects.get(is_current=True)
    client.force_login(program_admin)

    client.post(reverse("access-roster-restore", args=[ten_on_the_roster.pk]))
    copy = _awaiting()
    url = reverse("access-roster-confirm", args=[copy.pk])
    refused = client.post(url)

    assert refused.status_code == 400
    assert "drops 10 of 20 entries (50%)" in refused.content.decode()
    assert RosterImport.objects.get(is_current=True) == bigger
    assert "roster.restore" not in audit_actions()

    client.post(url, {"drop_confirmed": "on", "drop_reason": "The ten extra were a test."})

    copy.refresh_from_db()
    assert copy.is_current
    assert copy.drop_reason == "The ten extra were a test."
    [event] = AuditEvent.objects.filter(action="roster.restore")
    assert event.after["drop_reason"] == "The ten extra were a test."
    assert event.after["losses"] == 10


def test_the_current_import_and_one_never_in_force_cannot_be_restored(
    program_admin, ten_on_the_roster
):
    staged = roster_stage(source=_source(_csv(TEN[:9])), actor=program_admin)
    count = RosterImport.objects.count()

    with pytest.raises(DomainError, match="already in force"):
        roster_restore_stage(roster=ten_on_the_roster, actor=program_admin)
    with pytest.raises(DomainError, match="never put in force"):
        roster_restore_stage(roster=staged, actor=program_admin)

    assert RosterImport.objects.count() == count
    assert "roster.restore" not in audit_actions()


def test_an_auditor_reads_any_import_and_its_preview_but_changes_nothing(
    client, auditor, ten_on_the_roster
):
    roster_import(source=_source(_csv(TEN[:9]), "later.csv"), actor=None)
    staged = roster_stage(source=_source(_csv(TEN[:8]), "next.csv"), actor=None)
    client.force_login(auditor)

    earlier = client.get(reverse("access-roster-import", args=[ten_on_the_roster.pk]))
    preview = client.get(reverse("access-roster-import", args=[staged.pk]))

    assert earlier.status_code == preview.status_code == 200
    assert TEN[9] in earlier.content.decode()
    assert 'data-roster="restore"' not in earlier.content.decode()
    page = preview.content.decode()
    assert 'data-roster="losses">1<' in page
    assert 'data-roster="read-only"' in page
    assert "Put this roster in force" not in page
    for name in ("access-roster-confirm", "access-roster-discard", "access-roster-restore"):
        assert client.post(reverse(name, args=[staged.pk])).status_code == 404
    assert (
        client.post(reverse("access-roster-restore", args=[ten_on_the_roster.pk])).status_code
        == 404
    )
    staged.refresh_from_db()
    assert staged.awaiting_review
    assert RosterImport.objects.get(is_current=True).source == "later.csv"


def test_only_a_program_admin_may_confirm_a_restore(auditor, program_admin, ten_on_the_roster):
    roster_import(source=_source(_csv(TEN[:9])), actor=None)
    copy = roster_restore_stage(roster=ten_on_the_roster, actor=program_admin)

    with pytest.raises(DomainError):
        roster_confirm(roster=copy, actor=auditor)

    copy.refresh_from_db()
    assert copy.awaiting_review


def _query_count(client, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)  # renews the session, if it is due
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_an_import_page_costs_the_same_queries_for_few_entries_and_many(
    client, program_admin, user_factory, db
):
    client.force_login(program_admin)
    counts = []
    for size in (3, 30):
        emails = [f"size{size}-{i}@example.org" for i in range(size)]
        for email in emails[: size // 3]:
            user_factory(email=email)  # some with portal accounts, named in the preview
        roster_import(
            source=_source(_csv(emails)), actor=None, drop_reason="Each test roster replaces all."
        )
        staged = roster_stage(source=_source(_csv([*emails[1:], "new@example.org"])), actor=None)
        counts.append(_query_count(client, reverse("access-roster-import", args=[staged.pk])))

    assert counts[0] == counts[1]


def test_the_roster_page_costs_the_same_queries_for_few_imports_and_many(client, program_admin, db):
    client.force_login(program_admin)
    counts = []
    for imports in (2, 12):
        while RosterImport.objects.count() < imports:
            n = RosterImport.objects.count()
            roster_import(
                source=_source(_csv([f"p{n}@example.org"])),
                actor=None,
                drop_reason="Each test roster replaces the one before.",
            )
        counts.append(_query_count(client, reverse("access-roster")))

    assert counts[0] == counts[1]
