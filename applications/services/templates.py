"""Publishing application template versions (policy 2.2): a template changes only by a new
version; applications keep the version they started on."""

from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from applications.actions import ApplicationAction
from applications.models import ApplicationTemplate, TemplateVersion
from applications.sections import (
    DEFAULT_FEE_SCHEDULE,
    DEFAULT_SECTIONS,
    SectionSpec,
    sections_problems,
    sections_sha256,
    sections_to_data,
)
from portal.audit import audit_record
from portal.errors import DomainError
from portal.models import User
from portal.permissions import ensure_can

FIRST_TEMPLATE_NAME = "Biospecimen access request"


@transaction.atomic
def template_version_publish(
    *,
    template: ApplicationTemplate,
    sections: list[SectionSpec],
    fee_schedule: list[dict[str, Any]],
    notes: str,
    previous_accepted_until: date | None,
    actor: User | None,
) -> TemplateVersion:
    """A program admin (or the system, loading the first version) publishes a new version
    and makes it the one new applications start on. The previous current version stays
    accepted for submission until `previous_accepted_until` (None: drafts on it may still
    be submitted with no end). Audited as `template_version.publish`."""
    ensure_can(actor, "template_version.publish", template)
    problems = sections_problems(sections)
    if problems:
        raise DomainError("The version cannot be published: " + " ".join(problems))
    template = ApplicationTemplate.objects.select_for_update().get(pk=template.pk)
    previous = template.versions.filter(is_current=True).first()
    if previous is not None:
        previous.is_current = False
        previous.accepted_until = previous_accepted_until
        previous.save(update_fields=["is_current", "accepted_until"])
    number = (template.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = TemplateVersion.objects.create(
        template=template,
        number=number,
        sections=sections_to_data(sections),
        fee_schedule=fee_schedule,
        notes=notes,
        sha256=sections_sha256(sections),
        published_at=timezone.now(),
        published_by=actor,
        is_current=True,
    )
    audit_record(
        actor=actor,
        action=ApplicationAction.TEMPLATE_VERSION_PUBLISH,
        target=version,
        before={"current": previous.number if previous else None},
        after={
            "current": number,
            "sha256": version.sha256,
            "previous_accepted_until": previous_accepted_until,
        },
    )
    return version


def ensure_first_template_version() -> TemplateVersion:
    """The current version of the program's template, publishing version 1 (the sections of
    `applications.sections`) as the system if there is none: after a database flush (the
    browser tests) or on a database loaded without the migration's data."""
    current = TemplateVersion.objects.filter(is_current=True).first()
    if current is not None:
        return current
    template, _ = ApplicationTemplate.objects.get_or_create(name=FIRST_TEMPLATE_NAME)
    return template_version_publish(
        template=template,
        sections=list(DEFAULT_SECTIONS),
        fee_schedule=list(DEFAULT_FEE_SCHEDULE),
        notes="The first version: the sections of policy 2.2 and the AI/AN fields of 3.3.",
        previous_accepted_until=None,
        actor=None,
    )
