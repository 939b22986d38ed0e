"""The nightly Controlled Tier roster refresh from the Workbench's export (policy 2.1)."""

import pytest
from django.core import mail

from portal.models import AuditEvent, Notification, RosterImport
from portal.onboarding.tasks import roster_refresh_nightly

pytestmark = pytest.mark.django_db

GOOD = "email,workbench_username,access_expires_on\nada@example.org,ada,2027-06-30\n"
BAD = "email,workbench_username,access_expires_on\nnot-an-email,x,2027-13-01\n"


@pytest.fixture
def export(tmp_path, settings):
    path = tmp_path / "controlled-tier.csv"
    settings.CONTROLLED_TIER_ROSTER_FILE = str(path)
    return path


def test_the_nightly_refresh_imports_a_new_export(export):
    export.write_text(GOOD)
    result = roster_refresh_nightly()
    roster = RosterImport.objects.get(is_current=True)
    assert result == {"status": "imported", "rows": 1, "import": roster.pk}
    assert roster.imported_by is None
    assert AuditEvent.objects.filter(action="roster.import", actor=None).count() == 1


def test_an_unchanged_export_is_not_imported_again(export):
    export.write_text(GOOD)
    roster_refresh_nightly()
    assert roster_refresh_nightly() == {"status": "unchanged"}
    assert RosterImport.objects.count() == 1
    assert AuditEvent.objects.filter(action="roster.import").count() == 1


def test_a_bad_export_keeps_the_current_roster_and_tells_the_program_admins(
    export, program_admin, django_capture_on_commit_callbacks
):
    export.write_text(GOOD)
    roster_refresh_nightly()
    current = RosterImport.objects.get(is_current=True)
    export.write_text(BAD)

    with django_capture_on_commit_callbacks(execute=True):
        result = roster_refresh_nightly()

    assert result == {"status": "refused", "problems": 1}
    assert list(RosterImport.objects.filter(is_current=True)) == [current]
    assert RosterImport.objects.count() == 1
    notice = Notification.objects.get(user=program_admin, template="roster_refresh_failed")
    assert "line 2" in notice.body_text
    assert "stays in force" in notice.body_text
    assert [m.to for m in mail.outbox] == [[program_admin.email]]


def test_no_configured_export_means_nothing_happens(settings):
    settings.CONTROLLED_TIER_ROSTER_FILE = ""
    assert roster_refresh_nightly() == {"status": "not configured"}
    assert not RosterImport.objects.exists()


def test_a_missing_export_file_is_reported_and_changes_nothing(export):
    assert roster_refresh_nightly()["status"] == "missing"
    assert not RosterImport.objects.exists()
