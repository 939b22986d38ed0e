"""The portal's own models: users, the audit log, notifications and private documents."""

from portal.models.agreements import AgreementVersion
from portal.models.audit import AuditEvent
from portal.models.documents import Document
from portal.models.notifications import Notification, ReminderLog
from portal.models.users import User
from portal.onboarding.models import (
    CodeOfConductSignature,
    CodeOfConductVersion,
    ConflictOfInterest,
    Consent,
    EligibilitySnapshot,
    ProfileReview,
    RequirementBypass,
    ResearcherProfile,
    RosterEntry,
    RosterImport,
)

__all__ = [
    "AgreementVersion",
    "AuditEvent",
    "CodeOfConductSignature",
    "CodeOfConductVersion",
    "ConflictOfInterest",
    "Consent",
    "Document",
    "EligibilitySnapshot",
    "Notification",
    "ProfileReview",
    "ReminderLog",
    "RequirementBypass",
    "ResearcherProfile",
    "RosterEntry",
    "RosterImport",
    "User",
]
