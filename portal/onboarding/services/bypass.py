"""Admin bypasses: a program admin waives one requirement for one person, in writing.

A bypass counts only while it is neither revoked nor past its `expires_on`; eligibility
then shows the requirement as "bypassed" instead of failing it. Every grant and revoke is
audited with the reason, so an auditor can see who waived what, when and why.
"""

from datetime import date

from django.db import transaction
from django.utils import timezone

from portal.actions import PortalAction
from portal.audit import audit_record
from portal.errors import DomainError, PermissionRefused
from portal.lifecycles import ensure_transition
from portal.models import RequirementBypass, User
from portal.onboarding.eligibility import REQUIREMENT_LABELS, Requirement
from portal.onboarding.selectors import active_bypass_q, program_date, program_today
from portal.onboarding.services.access import access_recheck_after_commit
from portal.permissions import ensure_can

REASON_MIN_LENGTH = 20


@transaction.atomic
def requirement_bypass_grant(
    *,
    user: User,
    requirement: str,
    reason: str,
    expires_on: date | None,
    actor: User,
) -> RequirementBypass:
    """Waive one eligibility requirement for `user`, with a written reason.

    Who: a program admin, for someone other than themselves. `requirement` is a
    `Requirement` value; `reason` must say why in at least 20 characters; `expires_on`, the
    last day the bypass holds, may be empty (until revoked) but not in the past. A
    requirement already waived must be revoked before it is waived again. Audits
    `requirement_bypass.grant`.
    """
    ensure_can(actor, "requirement_bypass.grant", user)
    if actor.pk == user.pk:
        raise PermissionRefused(
            "You cannot waive a requirement for yourself; ask another program admin."
        )
    try:
        waived = Requirement(requirement)
    except ValueError:
        raise DomainError(
            f"'{requirement}' is not an eligibility requirement; choose one from the list."
        ) from None
    reason = " ".join(reason.split())
    if len(reason) < REASON_MIN_LENGTH:
        raise DomainError(
            f"Write why this requirement is waived in at least {REASON_MIN_LENGTH} characters "
            "(for example, what evidence you saw), so that an auditor can follow the decision."
        )
    today = program_today()
    if expires_on is not None and expires_on < today:
        raise DomainError(
            f"The last day of the bypass ({expires_on:%d %B %Y}) has already passed; choose "
            "today or a later day, or leave it empty to waive until revoked."
        )
    # Lock the person so two admins cannot waive the same requirement at once.
    User.objects.select_for_update().get(pk=user.pk)
    active = (
        RequirementBypass.objects.select_for_update()
        .filter(active_bypass_q(today), user=user, requirement=waived.value)
        .first()
    )
    if active is not None:
        raise DomainError(
            f"{REQUIREMENT_LABELS[waived]} is already waived for {user} (granted "
            f"{program_date(active.granted_at):%d %B %Y}); revoke that bypass first to change it."
        )
    bypass = RequirementBypass.objects.create(
        user=user,
        requirement=waived.value,
        reason=reason,
        granted_by=actor,
        expires_on=expires_on,
    )
    audit_record(
        actor=actor,
        action=PortalAction.REQUIREMENT_BYPASS_GRANT,
        target=bypass,
        before={},
        after={
            "user": user.pk,
            "requirement": waived.value,
            "reason": reason,
            "expires_on": expires_on,
        },
    )
    access_recheck_after_commit(user_ids=[bypass.user_id])
    return bypass


REVOKE_REASON_MIN = 10


@transaction.atomic
def requirement_bypass_revoke(
    *, bypass: RequirementBypass, actor: User, reason: str
) -> RequirementBypass:
    """End a bypass now, for a stated reason; the requirement counts again from this moment.

    Who: a program admin. `reason` says why, in at least REVOKE_REASON_MIN characters; it
    is kept in the audit event, which the person's record shows. A bypass already revoked
    cannot be revoked again. The row is kept (with `revoked_at`) as history. Audits
    `requirement_bypass.revoke`; the person is re-checked, and told if they lapse.
    """
    ensure_can(actor, "requirement_bypass.revoke", bypass)
    reason = reason.strip()
    if len(reason) < REVOKE_REASON_MIN:
        raise DomainError(
            f"Say why the bypass is revoked, in at least {REVOKE_REASON_MIN} characters: the "
            "person's record and the audit log show it. Nothing was changed."
        )
    bypass = RequirementBypass.objects.select_for_update().get(pk=bypass.pk)
    if bypass.revoked_at is not None:
        raise DomainError(
            f"This bypass was already revoked on {bypass.revoked_at:%d %B %Y}; nothing changed."
        )
    ensure_transition(bypass, to=RequirementBypass.State.REVOKED)
    bypass.revoked_at = timezone.now()
    bypass.save(update_fields=["revoked_at"])
    audit_record(
        actor=actor,
        action=PortalAction.REQUIREMENT_BYPASS_REVOKE,
        target=bypass,
        before={"revoked_at": None},
        after={"revoked_at": bypass.revoked_at, "user": bypass.user_id, "reason": reason},
    )
    access_recheck_after_commit(user_ids=[bypass.user_id])
    return bypass
