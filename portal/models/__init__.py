"""The portal's own models: users, the audit log, notifications and private documents."""

from portal.models.audit import AuditEvent
from portal.models.documents import Document
from portal.models.notifications import Notification, ReminderLog
from portal.models.users import User

__all__ = ["AuditEvent", "Document", "Notification", "ReminderLog", "User"]
