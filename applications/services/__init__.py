"""Every write to applications: one function per domain action (STYLE.md)."""

from applications.services.drafting import (
    DETAIL_FIELDS,
    LineInput,
    application_details_save,
    application_section_save,
    application_start,
    current_template_version,
    line_problems,
    specimen_line_add,
    specimen_line_change,
    specimen_line_remove,
)
from applications.services.follow_ups import FOLLOW_UP_KINDS, application_follow_up_start
from applications.services.lifecycle import (
    application_accept,
    application_return,
    application_screen,
    application_submit,
    application_withdraw,
    package_snapshot,
    snapshot_sha256,
)
from applications.services.team import NotAPortalUser, team_accept, team_invite, team_remove
from applications.services.templates import (
    ensure_first_template_version,
    template_version_publish,
)

__all__ = [
    "DETAIL_FIELDS",
    "FOLLOW_UP_KINDS",
    "LineInput",
    "NotAPortalUser",
    "application_accept",
    "application_details_save",
    "application_follow_up_start",
    "application_return",
    "application_screen",
    "application_section_save",
    "application_start",
    "application_submit",
    "application_withdraw",
    "current_template_version",
    "ensure_first_template_version",
    "line_problems",
    "package_snapshot",
    "snapshot_sha256",
    "specimen_line_add",
    "specimen_line_change",
    "specimen_line_remove",
    "team_accept",
    "team_invite",
    "team_remove",
    "template_version_publish",
]
