"""Demo data only: board review (the review app) decides approvals. Until it exists, the demo
shows an approved application, and the amendment started from it, through this stand-in."""

from django.conf import settings
from django.db import transaction

from applications.models import Application
from portal.errors import DomainError


@transaction.atomic
def application_approve_for_demo(*, application: Application) -> Application:
    """Mark a submitted demo application approved. Refused unless DEBUG is on (seed_demo's
    own condition): no real application is ever approved here."""
    if not settings.DEBUG:
        raise DomainError("Demo approvals are refused when DEBUG is off.")
    application = Application.objects.select_for_update().get(pk=application.pk)
    application.status = Application.Status.APPROVED
    application.save(update_fields=["status", "updated_at"])
    return application
