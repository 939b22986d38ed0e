"""Two chairs recording a decision on the same application at once (issue, bad input): on
PostgreSQL, exactly one succeeds, the other is told why, and there is one audit event."""

import threading

import pytest
from django.db import connection

from applications.models import Application
from portal.errors import DomainError
from portal.models import AuditEvent
from portal.roles import Role
from review.models import Decision
from review.services import decision_record
from review.services import decisions as decisions_module
from tests.conftest import _user_with
from tests.review.conftest import CARRIES, make_ready, meeting_for, new_in_review

needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL (set DATABASE_URL)"
)


@pytest.mark.postgres
@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_two_chairs_deciding_at_once_one_succeeds_and_the_other_is_told_why(board, monkeypatch):
    second_chair = _user_with(Role.PRAB_MEMBER, Role.PRAB_CHAIR)
    application = new_in_review(board["chair"])
    make_ready(application, board)
    meeting = meeting_for(application, {**board, "second": second_chair})
    real = decisions_module.locked_application
    both_ready = threading.Barrier(2, timeout=30)

    def lock_together(app: Application) -> Application:
        both_ready.wait()  # both have read and checked; now both ask for the row lock
        return real(app)

    monkeypatch.setattr(decisions_module, "locked_application", lock_together)
    results: dict[str, str] = {}

    def decide(chair, outcome: str) -> None:
        try:
            decision_record(
                application=Application.objects.get(pk=application.pk),
                meeting=meeting,
                outcome=outcome,
                vote=CARRIES,
                reasons="Reasons written out for the applicant.",
                actor=chair,
            )
            results[outcome] = "recorded"
        except DomainError as refused:
            results[outcome] = refused.message
        finally:
            connection.close()

    threads = [
        threading.Thread(target=decide, args=(board["chair"], "approve")),
        threading.Thread(target=decide, args=(second_chair, "deny")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results) == ["approve", "deny"]
    assert list(results.values()).count("recorded") == 1
    refusal = next(m for m in results.values() if m != "recorded")
    assert "Reload the page" in refusal
    assert Decision.objects.filter(application=application).count() == 1
    assert AuditEvent.objects.filter(action="review.decide").count() == 1
    application.refresh_from_db()
    assert application.status in (Application.Status.APPROVED, Application.Status.DENIED)
