from django.conf import settings
from django.db import models


class AuditEvent(models.Model):
    """One state change, append-only.

    Each row carries the hash of the row before it, so that an edit or a deletion anywhere
    in the log breaks the chain (`manage.py verify_audit_log`). On PostgreSQL a trigger
    refuses UPDATE and DELETE on this table.
    """

    created_at = models.DateTimeField(
        db_index=True, help_text="When the change happened (UTC), set by the service."
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Who made the change; empty for the system (scheduled jobs).",
    )
    actor_label = models.CharField(
        max_length=254,
        help_text="The actor's email at the time, or 'system', kept even if the user changes.",
    )
    action = models.CharField(
        max_length=100, db_index=True, help_text="What happened, as noun.verb: application.submit."
    )
    target_type = models.CharField(
        max_length=100, help_text="The kind of record changed, as app_label.model."
    )
    target_id = models.CharField(max_length=64, help_text="The changed record's primary key.")
    target_repr = models.CharField(
        max_length=255, blank=True, help_text="How the record read at the time of the change."
    )
    before = models.JSONField(default=dict, blank=True, help_text="Changed fields before.")
    after = models.JSONField(default=dict, blank=True, help_text="Changed fields after.")
    ip_address = models.GenericIPAddressField(
        null=True, blank=True, help_text="The request's address, when the change came from one."
    )
    prev_hash = models.CharField(
        max_length=64, help_text="The hash of the previous event (64 zeros for the first)."
    )
    hash = models.CharField(
        max_length=64, unique=True, help_text="SHA-256 over this event's content and prev_hash."
    )

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["target_type", "target_id"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.action} {self.target_type}:{self.target_id} by {self.actor_label}"
