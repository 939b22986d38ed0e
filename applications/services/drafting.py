"""Writing the package while it is a draft (or returned): starting it, its details, its
sections with a guard against two tabs overwriting each other, and its specimen lines."""

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from applications.actions import ApplicationAction
from applications.errors import NotEditable, SectionConflict
from applications.models import (
    UNIT_FACTORS,
    Application,
    ApplicationTemplate,
    SectionAnswer,
    SpecimenLine,
    TemplateVersion,
)
from applications.sections import sections_from_data
from portal.audit import audit_record
from portal.errors import DomainError
from portal.models import User
from portal.permissions import ensure_can

# The details form's fields that `application_details_save` accepts.
DETAIL_FIELDS = (
    "title",
    "public_summary",
    "funding_source",
    "commercial_terms_accepted",
    "funding_status",
    "recontact_requested",
    "recontact_justification",
    "derivatives_acknowledged",
    "fee_acknowledged",
    "budget_notes",
    "scope_unchanged",
)


def _locked_editable(application: Application, *, actor: User, action: str) -> Application:
    application = Application.objects.select_for_update().get(pk=application.pk)
    ensure_can(actor, action, application)
    if not application.editable:
        raise NotEditable(
            f"This application is {application.get_status_display().lower()} and can no longer "
            "be changed. "
            + (
                "Withdraw it first if you need to change it."
                if application.status in (Application.Status.SUBMITTED,)
                else "Start an amendment from it if the project has changed."
            )
        )
    return application


def current_template_version() -> TemplateVersion:
    version = TemplateVersion.objects.filter(is_current=True).select_related("template").first()
    if version is None:
        raise DomainError(
            "No application template has been published yet. Ask a program admin to publish one."
        )
    return version


@transaction.atomic
def application_start(
    *,
    actor: User,
    title: str,
    template: ApplicationTemplate | None = None,
    kind: str = Application.Kind.NEW,
    original: Application | None = None,
) -> Application:
    """A researcher starts a draft on the current template version. An amendment or an
    additional-specimen request starts from an approved application of theirs, pre-filled
    with its details, sections and specimen lines (see `application_follow_up_start`).
    Audited as `application.start`."""
    ensure_can(actor, "application.start")
    version = template.versions.get(is_current=True) if template else current_template_version()
    title = title.strip()
    if not title:
        raise DomainError("Give the application a title; you can change it later.")
    application = Application.objects.create(
        reference=f"tmp-{uuid.uuid4().hex[:16]}",
        kind=kind,
        applicant=actor,
        template_version=version,
        original=original,
        title=title[:200],
        status_changed_at=timezone.now(),
    )
    application.reference = f"BSA-{timezone.now():%Y}-{application.pk:05d}"
    application.save(update_fields=["reference"])
    audit_record(
        actor=actor,
        action=ApplicationAction.APPLICATION_START,
        target=application,
        after={
            "reference": application.reference,
            "kind": kind,
            "template_version": version.number,
            "original": original.reference if original else None,
        },
    )
    return application


@transaction.atomic
def application_details_save(
    *, application: Application, changes: dict[str, Any], actor: User
) -> Application:
    """The applicant saves the package's details (title, summary, declarations). Only the
    fields in DETAIL_FIELDS are taken. Audited as `application.details_save` with what
    changed; saving the same values again writes nothing."""
    application = _locked_editable(application, actor=actor, action="application.edit")
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for field in DETAIL_FIELDS:
        if field in changes and getattr(application, field) != changes[field]:
            before[field] = getattr(application, field)
            after[field] = changes[field]
            setattr(application, field, changes[field])
    if not after:
        return application
    application.save(update_fields=[*after, "updated_at"])
    audit_record(
        actor=actor,
        action=ApplicationAction.APPLICATION_DETAILS_SAVE,
        target=application,
        before=before,
        after=after,
    )
    return application


@transaction.atomic
def application_section_save(
    *, application: Application, key: str, text: str, base_revision: int, actor: User
) -> SectionAnswer:
    """The applicant saves one section's text (autosave calls this too).

    `base_revision` is the revision the text was loaded at: a save from an older revision
    (another tab saved in between) raises SectionConflict with both texts, and changes
    nothing. Text longer than the section's limit is kept (so nothing typed is lost) and
    reported by the completeness check. Audited as `application.section_save` with the
    length, not the text (the answer row keeps the text).
    """
    application = _locked_editable(application, actor=actor, action="application.edit")
    keys = {s.key for s in sections_from_data(application.template_version.sections)}
    if key not in keys:
        raise DomainError("This section is not part of the application's template version.")
    answer, _ = SectionAnswer.objects.select_for_update().get_or_create(
        application=application, key=key, defaults={"updated_by": actor}
    )
    if answer.revision != base_revision:
        raise SectionConflict(key=key, theirs=answer.text, yours=text, revision=answer.revision)
    if answer.text == text:
        return answer
    before_length = len(answer.text)
    answer.text = text
    answer.revision += 1
    answer.updated_by = actor
    answer.save()
    application.save(update_fields=["updated_at"])
    audit_record(
        actor=actor,
        action=ApplicationAction.APPLICATION_SECTION_SAVE,
        target=application,
        before={"section": key, "length": before_length},
        after={"section": key, "length": len(text), "revision": answer.revision},
    )
    return answer


@dataclass(frozen=True)
class LineInput:
    """A specimen line as the form cleaned it."""

    specimen_type: str
    volume_per_aliquot: Decimal
    unit: str
    aliquots_per_participant: int
    participants: int
    justification: str
    other_description: str = ""
    subpopulation_criteria: str = ""
    includes_ai_an: bool = False
    qc_samples: int = 0


def line_problems(line: LineInput) -> dict[str, str]:
    """What is wrong with a specimen line, by field (the form shows each next to it)."""
    problems: dict[str, str] = {}
    if line.specimen_type not in SpecimenLine.Type.values:
        problems["specimen_type"] = "Choose a specimen type from the list."
    if line.specimen_type == SpecimenLine.Type.OTHER and not line.other_description.strip():
        problems["other_description"] = "Describe the specimen when the type is “Other”."
    if line.unit not in UNIT_FACTORS:
        problems["unit"] = "Choose a unit from the list: mL, µL, µg or ng."
    elif (line.specimen_type == SpecimenLine.Type.DNA) != (
        line.unit in (SpecimenLine.Unit.UG, SpecimenLine.Unit.NG)
    ):
        problems["unit"] = (
            "DNA is requested by mass (µg or ng); other specimens by volume (mL or µL)."
        )
    if line.volume_per_aliquot <= 0:
        problems["volume_per_aliquot"] = "Give a volume per aliquot greater than zero."
    if line.aliquots_per_participant < 1:
        problems["aliquots_per_participant"] = "At least one aliquot per participant."
    if line.participants < 1:
        problems["participants"] = "At least one participant."
    if not line.justification.strip():
        problems["justification"] = "Justify this type and volume (policy 2.3)."
    return problems


def normalised_total(line: LineInput) -> Decimal:
    factor = UNIT_FACTORS[line.unit]
    return line.volume_per_aliquot * factor * line.aliquots_per_participant * line.participants


def _line_fields(line: LineInput) -> dict[str, Any]:
    return {
        "specimen_type": line.specimen_type,
        "other_description": line.other_description.strip(),
        "volume_per_aliquot": line.volume_per_aliquot,
        "unit": line.unit,
        "aliquots_per_participant": line.aliquots_per_participant,
        "participants": line.participants,
        "subpopulation_criteria": line.subpopulation_criteria,
        "includes_ai_an": line.includes_ai_an,
        "qc_samples": line.qc_samples,
        "justification": line.justification,
        "normalised_total": normalised_total(line),
    }


def _flag_ai_an(application: Application) -> None:
    flagged = application.lines.filter(includes_ai_an=True).exists()
    if flagged != application.includes_ai_an:
        application.includes_ai_an = flagged
        application.save(update_fields=["includes_ai_an", "updated_at"])


def _line_summary(fields: dict[str, Any]) -> dict[str, Any]:
    return {k: fields[k] for k in ("specimen_type", "unit", "normalised_total", "includes_ai_an")}


@transaction.atomic
def specimen_line_add(*, application: Application, line: LineInput, actor: User) -> SpecimenLine:
    """The applicant adds a specimen line. Refused with a message per field if the line is
    not complete. A line for AI/AN participants flags the application (policy 3.3).
    Audited as `specimen_line.add`."""
    application = _locked_editable(application, actor=actor, action="application.edit")
    problems = line_problems(line)
    if problems:
        raise DomainError(" ".join(problems.values()))
    fields = _line_fields(line)
    created = SpecimenLine.objects.create(application=application, **fields)
    _flag_ai_an(application)
    audit_record(
        actor=actor,
        action=ApplicationAction.SPECIMEN_LINE_ADD,
        target=application,
        after={"line": created.pk, **_line_summary(fields)},
    )
    return created


@transaction.atomic
def specimen_line_change(
    *, specimen_line: SpecimenLine, line: LineInput, actor: User
) -> SpecimenLine:
    """The applicant changes a specimen line. Audited as `specimen_line.change`."""
    application = _locked_editable(
        specimen_line.application, actor=actor, action="application.edit"
    )
    specimen_line = SpecimenLine.objects.get(pk=specimen_line.pk, application=application)
    problems = line_problems(line)
    if problems:
        raise DomainError(" ".join(problems.values()))
    fields = _line_fields(line)
    before = _line_summary({k: getattr(specimen_line, k) for k in fields})
    for name, value in fields.items():
        setattr(specimen_line, name, value)
    specimen_line.save()
    _flag_ai_an(application)
    audit_record(
        actor=actor,
        action=ApplicationAction.SPECIMEN_LINE_CHANGE,
        target=application,
        before={"line": specimen_line.pk, **before},
        after={"line": specimen_line.pk, **_line_summary(fields)},
    )
    return specimen_line


@transaction.atomic
def specimen_line_remove(*, specimen_line: SpecimenLine, actor: User) -> None:
    """The applicant removes a specimen line. Audited as `specimen_line.remove`."""
    application = _locked_editable(
        specimen_line.application, actor=actor, action="application.edit"
    )
    specimen_line = SpecimenLine.objects.get(pk=specimen_line.pk, application=application)
    summary = _line_summary({k: getattr(specimen_line, k) for k in _line_fields_names()})
    specimen_line.delete()
    _flag_ai_an(application)
    audit_record(
        actor=actor,
        action=ApplicationAction.SPECIMEN_LINE_REMOVE,
        target=application,
        before={"line": summary},
    )


def _line_fields_names() -> tuple[str, ...]:
    return ("specimen_type", "unit", "normalised_total", "includes_ai_an")
