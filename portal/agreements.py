"""Which version of an agreement is signed now, and until when older ones still count.

The same two services serve every agreement kept as an `AgreementVersion` (the Code of
Conduct today, the Material Transfer Agreement later): the kind of agreement is the model
the version belongs to. A program admin makes a published version current, giving the
version it replaces a last day on which signatures on it still count (or none: retired at
once); and may later move or end an older version's grace period. Both are audited.
"""

from datetime import date

from django.db import transaction
from django.utils import timezone

from portal.actions import AuditAction
from portal.audit import audit_record
from portal.clock import program_today
from portal.errors import DomainError
from portal.models import AgreementVersion, User
from portal.permissions import ensure_can


def _label(version: AgreementVersion) -> str:
    return f"{version._meta.verbose_name} {version.version}"


@transaction.atomic
def agreement_version_make_current[V: AgreementVersion](
    *,
    version: V,
    previous_accepted_until: date | None,
    actor: User | None,
    permission: str,
    audit_action: AuditAction,
) -> V:
    """Make `version` the one people sign; the version it replaces counts until a date.

    Who: whoever `permission` allows (a program admin; the system when it seeds the text
    shipped with the portal). `previous_accepted_until` is the last day signatures on the
    replaced version still count (today or later), or None to retire it at once. Making the
    current version current again changes nothing. Audited as `audit_action`, with the
    replaced version and its grace period.
    """
    ensure_can(actor, permission, version)
    model = type(version)
    # Lock every current row of this kind, so two admins cannot both make one current.
    previous = model.objects.select_for_update().filter(is_current=True).first()  # type: ignore[attr-defined]
    version = model.objects.select_for_update().get(pk=version.pk)  # type: ignore[attr-defined]
    if previous is not None and previous.pk == version.pk:
        return version
    if previous_accepted_until is not None and previous_accepted_until < program_today():
        raise DomainError(
            f"The last day on which {_label(previous) if previous else 'the old version'} "
            f"still counts ({previous_accepted_until:%d %B %Y}) has already passed. Choose "
            "today or a later day, or retire it at once."
        )
    before = {
        "current": previous.version if previous else None,
        "accepted_until": version.accepted_until,
    }
    if previous is not None:
        previous.is_current = False
        previous.accepted_until = previous_accepted_until
        previous.save(update_fields=["is_current", "accepted_until"])
    version.is_current = True
    version.accepted_until = None
    version.made_current_at = timezone.now()
    version.save(update_fields=["is_current", "accepted_until", "made_current_at"])
    audit_record(
        actor=actor,
        action=audit_action,
        target=version,
        before=before,
        after={
            "current": version.version,
            "previous": previous.version if previous else None,
            "previous_accepted_until": previous_accepted_until,
        },
    )
    return version


@transaction.atomic
def agreement_version_set_accepted_until[V: AgreementVersion](
    *,
    version: V,
    accepted_until: date | None,
    actor: User,
    permission: str,
    audit_action: AuditAction,
) -> V:
    """Move or end the grace period of a version that is no longer current.

    Who: whoever `permission` allows (a program admin). `accepted_until` None retires the
    version: signatures on it stop counting today. The current version has no grace period
    to change. Audited as `audit_action`.
    """
    ensure_can(actor, permission, version)
    model = type(version)
    version = model.objects.select_for_update().get(pk=version.pk)  # type: ignore[attr-defined]
    if version.is_current:
        raise DomainError(
            f"{_label(version).capitalize()} is the current version; make another version "
            "current first, then set until when this one still counts."
        )
    if accepted_until is not None and accepted_until < program_today():
        raise DomainError(
            f"{accepted_until:%d %B %Y} has already passed. Choose today or a later day, or "
            "retire the version."
        )
    if version.accepted_until == accepted_until:
        return version
    before = {"accepted_until": version.accepted_until}
    version.accepted_until = accepted_until
    version.save(update_fields=["accepted_until"])
    audit_record(
        actor=actor,
        action=audit_action,
        target=version,
        before=before,
        after={"accepted_until": accepted_until},
    )
    return version
