"""Application templates and versions, applications, their sections, specimen lines, team
members, supplementary uploads and submissions."""

from applications.models.application import Application
from applications.models.parts import (
    UNIT_FACTORS,
    ApplicationUpload,
    SectionAnswer,
    SpecimenLine,
    Submission,
    TeamMember,
)
from applications.models.templates import ApplicationTemplate, TemplateVersion

__all__ = [
    "UNIT_FACTORS",
    "Application",
    "ApplicationTemplate",
    "ApplicationUpload",
    "SectionAnswer",
    "SpecimenLine",
    "Submission",
    "TeamMember",
    "TemplateVersion",
]
