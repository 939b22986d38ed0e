"""What stops a submission (policy 2.2, 2.3, 4.4, 4.7, 4.8, 1.1), as a pure function of the
package's records: `package_problems` lists every problem at once, each with the anchor of
the field to fix, so the page can link to it. `submission_problems` loads the records."""

from dataclasses import dataclass, field
from datetime import date

from applications.errors import Problem
from applications.models import Application, ApplicationUpload, TemplateVersion
from applications.sections import SectionSpec, sections_from_data
from portal.clock import program_today
from portal.onboarding.eligibility import AccessStatus
from portal.onboarding.selectors import access_statuses_for


@dataclass(frozen=True)
class MemberFacts:
    pk: int
    user_id: int
    name: str
    accepted: bool
    status: AccessStatus


@dataclass(frozen=True)
class PackageFacts:
    """Everything the check reads, loaded once."""

    application: Application
    version: TemplateVersion
    answers: dict[str, str]
    line_count: int
    applicant_status: AccessStatus
    members: list[MemberFacts]
    upload_kinds: set[str]
    cv_people: set[int]
    today: date
    sections: list[SectionSpec] = field(default_factory=list)


def _failing(status: AccessStatus) -> str:
    return "; ".join(r.label for r in status.requirements if not r.holds)


def version_accepted(version: TemplateVersion, today: date) -> bool:
    """A version is accepted while it is current, and after it is replaced until its last
    accepted day (none set: no end)."""
    return version.is_current or version.accepted_until is None or today <= version.accepted_until


def _section_problems(facts: PackageFacts) -> list[Problem]:
    problems = []
    for spec in facts.sections:
        if not spec.applies(includes_ai_an=facts.application.includes_ai_an):
            continue
        text = facts.answers.get(spec.key, "").strip()
        if spec.required and not text:
            problems.append(Problem(f"section-{spec.key}", f"Write the section “{spec.title}”."))
        elif len(text) > spec.max_length:
            problems.append(
                Problem(
                    f"section-{spec.key}",
                    f"“{spec.title}” is {len(text):,} characters; the limit is "
                    f"{spec.max_length:,}. Shorten it.",
                )
            )
    return problems


def _declaration_problems(a: Application) -> list[Problem]:
    problems = []
    if not a.title.strip():
        problems.append(Problem("id_title", "Give the application a title."))
    if not a.public_summary.strip():
        problems.append(
            Problem("id_public_summary", "Write the plain-language summary for the public.")
        )
    problems += _funding_problems(a)
    if a.recontact_requested is None:
        problems.append(
            Problem(
                "id_recontact_requested",
                "Say whether participants would be re-contacted (policy 1.1).",
            )
        )
    elif a.recontact_requested and not a.recontact_justification.strip():
        problems.append(
            Problem(
                "id_recontact_justification",
                "Explain why participants would be re-contacted; the board must approve it "
                "explicitly.",
            )
        )
    if not a.derivatives_acknowledged:
        problems.append(
            Problem(
                "id_derivatives_acknowledged",
                "Acknowledge the prohibition on immortalized cell lines and other derivatives "
                "(policy 4.8).",
            )
        )
    if not a.fee_acknowledged:
        problems.append(
            Problem("id_fee_acknowledged", "Acknowledge the processing fee (policy 4.4).")
        )
    if a.kind == Application.Kind.ADDITIONAL_SPECIMENS and a.scope_unchanged is None:
        problems.append(
            Problem(
                "id_scope_unchanged",
                "Say whether the study's scope and objectives are unchanged (policy 2.3).",
            )
        )
    return problems


def _funding_problems(a: Application) -> list[Problem]:
    problems = []
    if not a.funding_source:
        problems.append(
            Problem("id_funding_source", "Say whether the funding is public, commercial or both.")
        )
    elif a.funding_source != Application.FundingSource.PUBLIC and not a.commercial_terms_accepted:
        problems.append(
            Problem(
                "id_commercial_terms_accepted",
                "Confirm that the commercial funder accepts the full MTA, Code of Conduct and "
                "data-sharing terms (policy 4.7).",
            )
        )
    if not a.funding_status:
        problems.append(
            Problem(
                "id_funding_status", "Say whether the funding is secured or contingent on approval."
            )
        )
    return problems


def _people_problems(facts: PackageFacts) -> list[Problem]:
    problems = []
    if not facts.applicant_status.eligible:
        problems.append(
            Problem(
                "team",
                "You do not meet every access requirement (policy 2.1). Not met: "
                f"{_failing(facts.applicant_status)}. Renew them on your access page.",
            )
        )
    for m in facts.members:
        if not m.accepted:
            problems.append(
                Problem(f"member-{m.pk}", f"{m.name} has not accepted the invitation yet.")
            )
        elif not m.status.eligible:
            problems.append(
                Problem(
                    f"member-{m.pk}",
                    f"{m.name} does not meet every access requirement. Not met: "
                    f"{_failing(m.status)}.",
                )
            )
    return problems


def _upload_problems(facts: PackageFacts) -> list[Problem]:
    problems = []
    a = facts.application
    if (
        a.funding_status == Application.FundingStatus.SECURED
        and ApplicationUpload.Kind.FUNDING_PROOF not in facts.upload_kinds
    ):
        problems.append(Problem("uploads", "Upload proof of funding (policy 2.3)."))
    people = [(a.applicant_id, "your own")] + [(m.user_id, f"{m.name}'s") for m in facts.members]
    for person_id, whose in people:
        if person_id not in facts.cv_people:
            problems.append(Problem("uploads", f"Upload {whose} CV or biosketch (policy 2.3)."))
    return problems


def package_problems(facts: PackageFacts) -> list[Problem]:
    """Every reason the package cannot be submitted, in the order the page shows its parts."""
    problems: list[Problem] = []
    if not version_accepted(facts.version, facts.today):
        problems.append(
            Problem(
                "template",
                f"Version {facts.version.number} of the template is no longer accepted (its last "
                f"day was {facts.version.accepted_until:%-d %B %Y}). Start a new application on "
                "the current version; you can copy your text across.",
            )
        )
    problems += _declaration_problems(facts.application)
    problems += _section_problems(facts)
    if facts.line_count == 0:
        problems.append(Problem("lines", "Add at least one specimen line."))
    problems += _people_problems(facts)
    problems += _upload_problems(facts)
    return problems


def submission_problems(application: Application, *, today: date | None = None) -> list[Problem]:
    """Load the package's records (a fixed number of queries) and check them."""
    day = today or program_today()
    version = application.template_version
    members = list(
        application.team.filter(removed_at__isnull=True).select_related("user").order_by("pk")
    )
    statuses = access_statuses_for(
        [application.applicant_id, *[m.user_id for m in members]], today=day
    )
    current_uploads = application.uploads.filter(replaced_by__isnull=True)
    facts = PackageFacts(
        application=application,
        version=version,
        answers=dict(application.answers.values_list("key", "text")),
        line_count=application.lines.count(),
        applicant_status=statuses[application.applicant_id],
        members=[
            MemberFacts(
                pk=m.pk,
                user_id=m.user_id,
                name=str(m.user),
                accepted=m.accepted_at is not None,
                status=statuses[m.user_id],
            )
            for m in members
        ],
        upload_kinds=set(current_uploads.values_list("kind", flat=True)),
        cv_people={
            pk
            for pk in current_uploads.filter(kind=ApplicationUpload.Kind.CV).values_list(
                "person_id", flat=True
            )
            if pk is not None
        },
        today=day,
        sections=sections_from_data(version.sections),
    )
    return package_problems(facts)
