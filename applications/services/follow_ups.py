"""Amendments (policy 3.2) and additional-specimen requests (2.3): new applications linked to
an approved one, started pre-filled from it, and compared with it part by part."""

from django.db import transaction

from applications.models import Application, SectionAnswer, SpecimenLine
from applications.services.drafting import DETAIL_FIELDS, application_start
from portal.errors import DomainError
from portal.models import User
from portal.permissions import ensure_can

FOLLOW_UP_KINDS = (Application.Kind.AMENDMENT, Application.Kind.ADDITIONAL_SPECIMENS)
_LINE_FIELDS = (
    "specimen_type",
    "other_description",
    "volume_per_aliquot",
    "unit",
    "aliquots_per_participant",
    "participants",
    "subpopulation_criteria",
    "includes_ai_an",
    "qc_samples",
    "justification",
    "normalised_total",
)


@transaction.atomic
def application_follow_up_start(*, original: Application, kind: str, actor: User) -> Application:
    """The principal investigator of an approved application starts an amendment or an
    additional-specimen request from it, on the current template version, with its details,
    section answers and specimen lines copied in (the acknowledgements are asked again).
    Audited as `application.start` naming the original."""
    original = Application.objects.select_for_update().get(pk=original.pk)
    ensure_can(actor, "application.edit", original)
    if kind not in FOLLOW_UP_KINDS:
        raise DomainError("Choose an amendment or a request for additional specimens.")
    if original.status != Application.Status.APPROVED:
        raise DomainError(
            "Amendments and additional-specimen requests start from an approved application."
        )
    follow_up = application_start(
        actor=actor,
        title=original.title,
        template=original.template_version.template,
        kind=kind,
        original=original,
    )
    for field in DETAIL_FIELDS:
        if field in ("derivatives_acknowledged", "fee_acknowledged", "scope_unchanged"):
            continue
        setattr(follow_up, field, getattr(original, field))
    follow_up.includes_ai_an = original.includes_ai_an
    follow_up.save()
    keys = {s["key"] for s in follow_up.template_version.sections}
    SectionAnswer.objects.bulk_create(
        SectionAnswer(application=follow_up, key=a.key, text=a.text, updated_by=actor)
        for a in original.answers.all()
        if a.key in keys
    )
    SpecimenLine.objects.bulk_create(
        SpecimenLine(application=follow_up, **{f: getattr(line, f) for f in _LINE_FIELDS})
        for line in original.lines.order_by("pk")
    )
    return follow_up
