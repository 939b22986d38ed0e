"""Every read onboarding's views, services, jobs and commands share, in one place.

`access` gathers the records eligibility is computed from (one query for a batch of users);
`conduct`, `consents`, `profile` and `roster` read those records for their pages; `people`
lists researchers for staff, scoped to the viewer. Import from this package:
`from portal.onboarding.selectors import access_status_for`.
"""

from portal.clock import program_date, program_today
from portal.onboarding.selectors.access import (
    CompletionDates,
    access_records_for_users,
    access_status_for,
    access_statuses_for,
    active_bypass_q,
    completion_dates_for,
)
from portal.onboarding.selectors.conduct import (
    SignatureRow,
    StatementRow,
    VersionRow,
    code_of_conduct_history_for,
    code_of_conduct_label_taken,
    code_of_conduct_signature_verify,
    code_of_conduct_version_digest,
    code_of_conduct_versions_overview,
    has_signed_code_of_conduct,
    latest_code_of_conduct,
    latest_signature_of,
    signature_holds_through,
    signatures_of,
    signed_copy_context,
    statement_rows,
)
from portal.onboarding.selectors.consents import ConsentState, consent_states_for, consents_of
from portal.onboarding.selectors.people import (
    PeopleCount,
    PersonRow,
    bypasses_of,
    current_roster_entries_for,
    email_addresses_of,
    onboarding_people,
    onboarding_people_filtered,
    onboarding_people_page,
)
from portal.onboarding.selectors.profile import (
    conflicts_of,
    own_conflicts,
    profile_of,
    profile_reviews_of,
    profile_snapshot,
)
from portal.onboarding.selectors.roster import (
    RosterChange,
    RosterDiff,
    RosterPreview,
    RosterPreviewLine,
    current_roster_import,
    roster_awaiting_review,
    roster_diff,
    roster_entries_of,
    roster_imports,
    roster_preview,
    roster_verdicts,
)

__all__ = [
    "CompletionDates",
    "ConsentState",
    "PeopleCount",
    "PersonRow",
    "RosterChange",
    "RosterDiff",
    "RosterPreview",
    "RosterPreviewLine",
    "SignatureRow",
    "StatementRow",
    "VersionRow",
    "access_records_for_users",
    "access_status_for",
    "access_statuses_for",
    "active_bypass_q",
    "bypasses_of",
    "code_of_conduct_history_for",
    "code_of_conduct_label_taken",
    "code_of_conduct_signature_verify",
    "code_of_conduct_version_digest",
    "code_of_conduct_versions_overview",
    "completion_dates_for",
    "conflicts_of",
    "consent_states_for",
    "consents_of",
    "current_roster_entries_for",
    "current_roster_import",
    "email_addresses_of",
    "has_signed_code_of_conduct",
    "latest_code_of_conduct",
    "latest_signature_of",
    "onboarding_people",
    "onboarding_people_filtered",
    "onboarding_people_page",
    "own_conflicts",
    "profile_of",
    "profile_reviews_of",
    "profile_snapshot",
    "program_date",
    "program_today",
    "roster_awaiting_review",
    "roster_diff",
    "roster_entries_of",
    "roster_imports",
    "roster_preview",
    "roster_verdicts",
    "signature_holds_through",
    "signatures_of",
    "signed_copy_context",
    "statement_rows",
]
