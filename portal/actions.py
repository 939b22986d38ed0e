"""Audit actions as enumerations: what `audit_record` may write in `AuditEvent.action`.

Each app declares its own subclass of `AuditAction` in its `actions.py` (`PortalAction`
here; `ApplicationAction`, `ReviewAction`, `ComplianceAction` later), so a typo is a
NameError at import time rather than a new, split history in the audit log. The admin's
action filter lists every member of every subclass (`all_audit_actions`).

Values are `noun.verb` and never change once written: the log keeps them for ever. A
renamed member keeps its old value.
"""

from django.db import models


class AuditAction(models.TextChoices):
    """Base of every app's audit actions; it has no members of its own."""


class PortalAction(AuditAction):
    USER_SIGNUP = "user.signup", "User signed up"
    USER_ROLES_SET = "user.roles_set", "User's roles set"
    USER_ADMIN_CREATE = "user.admin_create", "User created in the admin"
    USER_ADMIN_CHANGE = "user.admin_change", "User changed in the admin"
    USER_ADMIN_PASSWORD_SET = "user.admin_password_set", "User's password set in the admin"
    USER_EMAIL_ADDRESSES_RESET = "user.email_addresses_reset", "User's sign-in addresses reset"
    DOCUMENT_UPLOAD = "document.upload", "Document uploaded"
    CONSENT_GIVE = "consent.give", "Consent given"
    CONSENT_WITHDRAW = "consent.withdraw", "Consent withdrawn"
    CODE_OF_CONDUCT_PUBLISH = "code_of_conduct.publish", "Code of Conduct version published"
    CODE_OF_CONDUCT_MAKE_CURRENT = (
        "code_of_conduct.make_current",
        "Code of Conduct version made the one to sign",
    )
    CODE_OF_CONDUCT_ACCEPTED_UNTIL_SET = (
        "code_of_conduct.accepted_until_set",
        "Code of Conduct version's last accepted day set",
    )
    CODE_OF_CONDUCT_SIGN = "code_of_conduct.sign", "Code of Conduct signed"
    CODE_OF_CONDUCT_SIGNED_COPY = (
        "code_of_conduct.signed_copy",
        "Code of Conduct signed copy rendered",
    )
    PROFILE_UPDATE = "profile.update", "Profile updated"
    CONFLICT_DECLARE = "conflict.declare", "Conflict of interest declared"
    CONFLICT_RETIRE = "conflict.retire", "Conflict of interest retired"
    PROFILE_REVIEW_CONFIRM = "profile_review.confirm", "Annual profile review confirmed"
    REQUIREMENT_BYPASS_GRANT = "requirement_bypass.grant", "Requirement bypass granted"
    REQUIREMENT_BYPASS_REVOKE = "requirement_bypass.revoke", "Requirement bypass revoked"
    ROSTER_IMPORT = "roster.import", "Controlled Tier roster imported"
    ROSTER_STAGE = "roster.stage", "Controlled Tier roster uploaded for review"
    ROSTER_DISCARD = "roster.discard", "Controlled Tier roster set aside after review"
    ROSTER_RESTORE = "roster.restore", "Earlier Controlled Tier roster restored"
    ELIGIBILITY_CHANGED = "access.eligibility_changed", "Eligibility changed"


def all_audit_actions() -> list[tuple[str, str]]:
    """(value, label) of every action of every app that has been imported, sorted by value."""
    seen: dict[str, str] = {}
    pending: list[type[AuditAction]] = list(AuditAction.__subclasses__())
    while pending:
        enum = pending.pop()
        pending.extend(enum.__subclasses__())
        seen.update(dict(enum.choices))
    return sorted(seen.items())
