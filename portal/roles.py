"""The portal's roles. Each is a Django group; a user may hold several."""

from django.db import models


class Role(models.TextChoices):
    RESEARCHER = "researcher", "Researcher"
    AUTHORIZED_USER = "authorized_biospecimen_user", "Authorized biospecimen user"
    PRAB_MEMBER = "prab_member", "PRAB member"
    PRAB_CHAIR = "prab_chair", "PRAB chair"
    RAB_MEMBER = "rab_member", "RAB member"
    BIOBANK_STAFF = "biobank_staff", "Biobank staff"
    DRC_STAFF = "drc_staff", "DRC staff"
    AUDITOR = "auditor", "Auditor"
    PROGRAM_ADMIN = "program_admin", "Program admin"


# Roles that govern access to specimens and records: two-factor authentication is required
# before any page past the account pages opens for them.
STAFF_ROLES: frozenset[str] = frozenset(
    {
        Role.PRAB_MEMBER,
        Role.PRAB_CHAIR,
        Role.RAB_MEMBER,
        Role.BIOBANK_STAFF,
        Role.DRC_STAFF,
        Role.AUDITOR,
        Role.PROGRAM_ADMIN,
    }
)


# Who onboards (policy 2.1): researchers, and the authorized biospecimen users named on their
# applications' teams. Their access status is computed, shown and re-checked daily.
ONBOARDING_ROLES: frozenset[str] = frozenset({Role.RESEARCHER, Role.AUTHORIZED_USER})
