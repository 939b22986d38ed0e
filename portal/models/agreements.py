from django.conf import settings
from django.db import models


class AgreementVersion(models.Model):
    """A published version of an agreement people sign (the Code of Conduct, later the MTA).

    The text is published once and never edited; its SHA-256 is taken over a canonical JSON
    of the title, body and statements, and every signature keeps that hash. Which version
    is signed now, and until when an older one still counts, is data set by a program admin
    through an audited service (`portal.agreements`), never a setting.
    """

    version = models.CharField(
        max_length=20, unique=True, help_text="The version's label, e.g. 2026.1; never reused."
    )
    title = models.CharField(max_length=200, help_text="The agreement's title as published.")
    body = models.TextField(help_text="The full text the signer reads (plain text).")
    statements = models.JSONField(
        help_text="The statements the signer acknowledges, in order: "
        '[{"text": "...", "initials": true}, ...].'
    )
    sha256 = models.CharField(
        max_length=64, help_text="SHA-256 of the title, body and statements as published."
    )
    published_at = models.DateTimeField(auto_now_add=True, help_text="When it was published.")
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The program admin who published it; empty for the text shipped with the portal.",
    )
    is_current = models.BooleanField(
        default=False,
        help_text="The version people are asked to sign now. Exactly one version is current "
        "once any has been made current.",
    )
    made_current_at = models.DateTimeField(
        null=True, blank=True, help_text="When a program admin last made this version current."
    )
    accepted_until = models.DateField(
        null=True,
        blank=True,
        help_text="For a version that is no longer current: the last day signatures on it "
        "still count (the grace period). Empty on an older version: signatures on it no "
        "longer count (retired).",
    )

    class Meta:
        abstract = True
        ordering = ["-published_at", "-id"]

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"
