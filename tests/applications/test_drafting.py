"""Writing the package: sections guarded against two tabs, specimen lines checked and
normalised, the team invited and accepted, template versions kept."""

from decimal import Decimal

import pytest

from applications.actions import ApplicationAction
from applications.errors import SectionConflict
from applications.models import Application, SectionAnswer, SpecimenLine
from applications.sections import DEFAULT_SECTIONS
from applications.services import (
    LineInput,
    NotAPortalUser,
    application_section_save,
    application_start,
    line_problems,
    specimen_line_add,
    team_accept,
    team_invite,
    template_version_publish,
)
from portal.errors import DomainError
from portal.models import AuditEvent
from portal.roles import Role
from tests.applications.conftest import PLASMA
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_save_from_an_older_revision_is_refused_with_both_texts_and_changes_nothing(draft):
    first_tab = application_section_save(
        application=draft, key="aims", text="Aim 1.", base_revision=0, actor=draft.applicant
    )
    assert first_tab.revision == 1
    events = AuditEvent.objects.count()

    with pytest.raises(SectionConflict) as refused:
        application_section_save(
            application=draft, key="aims", text="Aim A.", base_revision=0, actor=draft.applicant
        )

    assert (refused.value.theirs, refused.value.yours) == ("Aim 1.", "Aim A.")
    assert refused.value.revision == 1
    assert SectionAnswer.objects.get(application=draft, key="aims").text == "Aim 1."
    assert AuditEvent.objects.count() == events


def test_saving_a_section_is_audited_with_its_length_not_its_text(draft):
    application_section_save(
        application=draft, key="aims", text="Secret aims.", base_revision=0, actor=draft.applicant
    )
    event = AuditEvent.objects.get(action=ApplicationAction.APPLICATION_SECTION_SAVE)
    assert event.after == {"section": "aims", "length": 12, "revision": 1}


def test_a_section_not_in_the_version_is_refused(draft):
    with pytest.raises(DomainError, match="not part of"):
        application_section_save(
            application=draft, key="nope", text="x", base_revision=0, actor=draft.applicant
        )


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"volume_per_aliquot": Decimal(0)}, "volume_per_aliquot", "greater than zero"),
        ({"volume_per_aliquot": Decimal(-1)}, "volume_per_aliquot", "greater than zero"),
        ({"unit": "gallons"}, "unit", "mL, µL, µg or ng"),
        ({"unit": "ug"}, "unit", "DNA is requested by mass"),
        ({"specimen_type": "other"}, "other_description", "Describe the specimen"),
        ({"participants": 0}, "participants", "At least one participant"),
        ({"justification": " "}, "justification", "Justify"),
    ],
)
def test_a_bad_specimen_line_is_refused_field_by_field(draft, changes, field, words):
    line = LineInput(**{**PLASMA.__dict__, **changes})
    assert words in line_problems(line)[field]
    with pytest.raises(DomainError, match=words):
        specimen_line_add(application=draft, line=line, actor=draft.applicant)
    assert not SpecimenLine.objects.filter(application=draft).exists()


def test_volumes_are_normalised_to_the_types_base_unit(draft):
    microlitres = LineInput(**{**PLASMA.__dict__, "volume_per_aliquot": Decimal(250), "unit": "ul"})
    dna = LineInput(
        **{
            **PLASMA.__dict__,
            "specimen_type": "dna",
            "volume_per_aliquot": Decimal(500),
            "unit": "ng",
        }
    )
    plasma = specimen_line_add(application=draft, line=microlitres, actor=draft.applicant)
    genomic = specimen_line_add(application=draft, line=dna, actor=draft.applicant)

    assert plasma.normalised_total == Decimal("200.000")  # 0.25 mL x 2 x 400
    assert genomic.normalised_total == Decimal("400.000")  # 0.5 µg x 2 x 400


def test_a_team_member_who_is_not_a_portal_user_is_to_be_invited_to_sign_up(draft):
    with pytest.raises(NotAPortalUser, match="sign up"):
        team_invite(
            application=draft, email="nobody@example.org", role_on_project="", actor=draft.applicant
        )


def test_the_applicant_cannot_name_themself(draft):
    with pytest.raises(DomainError, match="principal investigator"):
        team_invite(
            application=draft,
            email=draft.applicant.email,
            role_on_project="",
            actor=draft.applicant,
        )


def test_accepting_an_invitation_gives_the_authorized_user_role(draft):
    technician = UserFactory(roles=[])
    member = team_invite(
        application=draft,
        email=technician.email.upper(),
        role_on_project="laboratory manager",
        actor=draft.applicant,
    )
    assert technician.notifications.filter(template="team_invited").exists()

    team_accept(member=member, actor=technician)

    assert Role.AUTHORIZED_USER in type(technician).objects.get(pk=technician.pk).role_names
    assert draft.applicant.notifications.filter(template="team_accepted").exists()


def test_an_application_keeps_its_template_version_when_a_new_one_is_published(
    draft, program_admin
):
    new = template_version_publish(
        template=draft.template_version.template,
        sections=list(DEFAULT_SECTIONS[:3]),
        fee_schedule=[],
        notes="Shorter.",
        previous_accepted_until=None,
        actor=program_admin,
    )
    draft.refresh_from_db()
    assert draft.template_version.number == 1
    assert new.number == 2
    assert new.is_current
    later = application_start(actor=draft.applicant, title="Later")
    assert later.template_version == new
    assert AuditEvent.objects.filter(action=ApplicationAction.TEMPLATE_VERSION_PUBLISH).count() == 1


def test_only_a_program_admin_publishes_a_template_version(draft):
    from portal.errors import PermissionRefused

    with pytest.raises(PermissionRefused):
        template_version_publish(
            template=draft.template_version.template,
            sections=list(DEFAULT_SECTIONS),
            fee_schedule=[],
            notes="",
            previous_accepted_until=None,
            actor=draft.applicant,
        )


def test_a_version_with_duplicate_keys_is_refused(program_admin, template_version):
    with pytest.raises(DomainError, match="more than one section"):
        template_version_publish(
            template=template_version.template,
            sections=[DEFAULT_SECTIONS[0], DEFAULT_SECTIONS[0]],
            fee_schedule=[],
            notes="",
            previous_accepted_until=None,
            actor=program_admin,
        )


def test_references_are_numbered_by_year(draft):
    assert draft.reference.startswith("BSA-")
    assert Application.objects.filter(reference=draft.reference).count() == 1
