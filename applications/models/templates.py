"""Application templates (policy 2.2): a template is changed only by publishing a new version,
and an application keeps the version it started on.

A version holds its sections as data (`TemplateVersion.sections`): each section's key,
title, guidance, whether it is required, its length limit, who may see it (the board alone,
or the public once the project is approved) and, for the extra fields of a request that
includes American Indian or Alaska Native biospecimens (3.3), the answer that makes it shown.
`applications.template_sections` reads them into `SectionSpec`s; the version's hash lets an
auditor tell which words an applicant answered.
"""

from django.conf import settings
from django.db import models


class ApplicationTemplate(models.Model):
    """A program's application form, e.g. "Biospecimen access request"."""

    name = models.CharField(max_length=200, unique=True, help_text="The form's name.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TemplateVersion(models.Model):
    """One published version of a template. Never edited: a change is a new version."""

    template = models.ForeignKey(
        ApplicationTemplate, on_delete=models.PROTECT, related_name="versions"
    )
    number = models.PositiveIntegerField(help_text="1, 2, 3 … within the template.")
    sections = models.JSONField(
        help_text="The sections, in order: key, title, guidance, required, max_length, "
        "visibility ('board' or 'public') and shown_when (null, or 'ai_an' for the fields "
        "of policy 3.3)."
    )
    fee_schedule = models.JSONField(
        default=list,
        help_text="The processing fee (policy 4.4) as published with this version: a list of "
        "{item, amount} rows shown to the applicant, who acknowledges it.",
    )
    notes = models.TextField(blank=True, help_text="What changed from the previous version.")
    sha256 = models.CharField(max_length=64, help_text="SHA-256 of the sections as published.")
    published_at = models.DateTimeField(help_text="When the version was published.")
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The program admin who published it (empty: loaded with the portal).",
    )
    is_current = models.BooleanField(
        default=False, help_text="New applications start on this version (one per template)."
    )
    accepted_until = models.DateField(
        null=True,
        blank=True,
        help_text="Applications on this version may still be submitted until this day "
        "(program time); empty: for as long as it is current, or always if it never was "
        "replaced.",
    )

    class Meta:
        ordering = ["template", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["template", "number"], name="template_version_unique"),
            models.UniqueConstraint(
                fields=["template"],
                condition=models.Q(is_current=True),
                name="template_one_current_version",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.template.name}, version {self.number}"
