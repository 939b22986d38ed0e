"""Demo applications for `manage.py seed_demo` (DEBUG only): one in each state this app
knows, so that every page shows real content. Rosa Researcher is the principal
investigator; Tomas Teammember is on one team; Charles Chair screens."""

from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import transaction

from applications.models import Application, ApplicationUpload
from applications.sections import sections_from_data
from applications.services import (
    LineInput,
    application_details_save,
    application_follow_up_start,
    application_return,
    application_screen,
    application_section_save,
    application_start,
    application_submit,
    application_withdraw,
    specimen_line_add,
    team_accept,
    team_invite,
)
from applications.services.demo import application_approve_for_demo
from portal.models import User

PI = "researcher@demo.example.org"
MEMBER = "teammember@demo.example.org"
CHAIR = "prab.chair@demo.example.org"


def demo_pdf(title: str) -> bytes:
    """A small, valid one-page PDF saying `title` (no JavaScript, nothing embedded)."""
    text = title.replace("\\", "").replace("(", "").replace(")", "")
    stream = f"BT /F1 14 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 "
        b"4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{n} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return bytes(out)


def _upload(application: Application, kind: str, person: User | None, name: str) -> None:
    from applications.services.uploads import application_upload_add

    application_upload_add(
        application=application,
        kind=kind,
        upload=ContentFile(demo_pdf(name), name=f"{name}.pdf"),
        actor=application.applicant,
        person=person,
    )


PLASMA = LineInput(
    specimen_type="plasma",
    volume_per_aliquot=Decimal("0.5"),
    unit="ml",
    aliquots_per_participant=2,
    participants=400,
    subpopulation_criteria="Adults 40 to 75 with at least one year of wearable sleep data.",
    qc_samples=8,
    justification="One aliquot for the cytokine panel, one held back for replication.",
)


def _fill(application: Application, *, sections: int | None = None) -> None:
    """Details, sections (all, or the first `sections`), a line and the uploads."""
    pi = application.applicant
    application_details_save(
        application=application,
        changes={
            "public_summary": f"A study of {application.title.lower()} using the cohort's "
            "biospecimens.",
            "funding_source": Application.FundingSource.PUBLIC,
            "funding_status": Application.FundingStatus.SECURED,
            "recontact_requested": False,
            "derivatives_acknowledged": True,
            "fee_acknowledged": True,
            "budget_notes": "Curation and QC support are in the grant's data-management line.",
        },
        actor=pi,
    )
    specs = sections_from_data(application.template_version.sections)
    applicable = [s for s in specs if s.applies(includes_ai_an=application.includes_ai_an)]
    for spec in applicable[:sections]:
        application_section_save(
            application=application,
            key=spec.key,
            text=f"{spec.title} for “{application.title}”: {spec.guidance}",
            base_revision=0,
            actor=pi,
        )
    if sections is None:
        specimen_line_add(application=application, line=PLASMA, actor=pi)
        _upload(application, ApplicationUpload.Kind.FUNDING_PROOF, None, "Notice of award")
        _upload(application, ApplicationUpload.Kind.CV, pi, "Biosketch Rosa Researcher")


@transaction.atomic
def seed_demo_applications(users: dict[str, User]) -> list[str]:
    """Rosa's applications in each state; a second run changes nothing."""
    pi, member, chair = users[PI], users[MEMBER], users[CHAIR]
    if Application.objects.filter(applicant=pi).exists():
        return []
    draft = application_start(actor=pi, title="Inflammation markers and sleep quality")
    _fill(draft, sections=4)
    specimen_line_add(application=draft, line=PLASMA, actor=pi)
    invitation = team_invite(
        application=draft, email=member.email, role_on_project="Laboratory manager", actor=pi
    )
    team_accept(member=invitation, actor=member)

    submitted = application_start(actor=pi, title="Vitamin D and bone density in older adults")
    _fill(submitted)
    application_submit(application=submitted, actor=pi)

    screening = application_start(actor=pi, title="Air pollution exposure and DNA methylation")
    _fill(screening)
    application_submit(application=screening, actor=pi)
    application_screen(application=screening, actor=chair)

    returned = application_start(actor=pi, title="Urinary metabolites and kidney function")
    _fill(returned)
    application_submit(application=returned, actor=pi)
    application_screen(application=returned, actor=chair)
    application_return(
        application=returned,
        comments="The statistical power section gives no effect size, and the proof of funding "
        "is for a different grant. Please correct both and resubmit.",
        actor=chair,
    )

    withdrawn = application_start(actor=pi, title="Gut microbiome pilot")
    _fill(withdrawn, sections=2)
    application_withdraw(application=withdrawn, actor=pi)

    ai_an = application_start(
        actor=pi, title="Diabetes risk in American Indian and Alaska Native communities"
    )
    specimen_line_add(
        application=ai_an,
        line=LineInput(**{**PLASMA.__dict__, "specimen_type": "serum", "includes_ai_an": True}),
        actor=pi,
    )
    ai_an.refresh_from_db()
    _fill(ai_an, sections=3)

    approved = application_start(actor=pi, title="Cardiometabolic biomarkers across ancestries")
    _fill(approved)
    application_submit(application=approved, actor=pi)
    # Board review decides approvals; until it is built, the demo stands in for it.
    approved = application_approve_for_demo(application=approved)
    amendment = application_follow_up_start(
        original=approved, kind=Application.Kind.AMENDMENT, actor=pi
    )
    answer = amendment.answers.get(key="aims")
    application_section_save(
        application=amendment,
        key="aims",
        text=answer.text + " A new aim: compare the markers across the two collection sites.",
        base_revision=answer.revision,
        actor=pi,
    )
    return [
        f"{draft.reference} draft (team: Tomas Teammember)",
        f"{submitted.reference} submitted, {screening.reference} in screening, "
        f"{returned.reference} returned with comments, {withdrawn.reference} withdrawn",
        f"{ai_an.reference} AI/AN draft, {approved.reference} approved with amendment "
        f"{amendment.reference} in draft",
    ]
