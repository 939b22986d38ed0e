from django.conf import settings
from django.db import models


class Notification(models.Model):
    """An in-app notification; the same text goes out by email after commit."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="notifications",
        help_text="The recipient.",
    )
    template = models.CharField(
        max_length=100, help_text="The email template pair this was rendered from."
    )
    subject = models.CharField(max_length=200, help_text="The email's subject line.")
    summary = models.CharField(
        max_length=300,
        blank=True,
        help_text="A one-line summary shown in the portal's list of notices.",
    )
    body_text = models.TextField(help_text="The plain-text email body, also shown in the portal.")
    body_html = models.TextField(help_text="The HTML email body.")
    url = models.CharField(
        max_length=500, blank=True, help_text="Where in the portal the notification leads."
    )
    created_at = models.DateTimeField(auto_now_add=True, help_text="When it was written.")
    read_at = models.DateTimeField(
        null=True, blank=True, help_text="When the recipient marked it read; empty while unread."
    )
    email_sent_at = models.DateTimeField(
        null=True, blank=True, help_text="When the email left; empty until the worker sends it."
    )
    email_attempts = models.PositiveSmallIntegerField(
        default=0, help_text="How many times sending the email was tried."
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "read_at"]),
            # The list page: one user's notices, newest first, read from the index in order.
            models.Index(fields=["user", "-created_at", "-id"], name="notification_user_newest"),
        ]

    def __str__(self) -> str:
        return f"{self.subject} → {self.user_id}"


class ReminderLog(models.Model):
    """One row per scheduled reminder sent; the unique key makes a rerun send nothing."""

    key = models.CharField(
        max_length=200,
        unique=True,
        help_text="What was reminded, to whom and for which due date, e.g. "
        "'coc-expiry:42:2026-12-01:30d'.",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="reminders",
        help_text="Who was reminded.",
    )
    notification = models.OneToOneField(
        Notification,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reminder",
        help_text="The notification the reminder was sent as.",
    )
    sent_at = models.DateTimeField(auto_now_add=True, help_text="When it was sent.")

    class Meta:
        ordering = ["-sent_at"]

    def __str__(self) -> str:
        return self.key
