"""Every URL of the project, with who may open it: one table, walked by a test.

`tests/portal/test_url_permissions.py` lists every URL pattern the project serves and fails
on one missing here (or a row that matches none), then requests each URL as an anonymous
visitor, as a user of each role and, where the URL takes a record that must be the user's
own, as a user of the right role who does not own it; any answer the row does not allow
fails the test. Later issues add their rows. `manage.py url_table` writes the published copy
(docs/urls.md).

The rows speak of the roles of `portal.roles`. A refused signed-in user gets 404 (the page
does not exist for them, DESIGN.md "Permissions"); an anonymous visitor is sent to sign in.
"""

from dataclasses import dataclass

from portal.roles import ONBOARDING_ROLES, STAFF_ROLES, Role

PUBLIC = "anyone"
SIGNED_IN = "signed in"
ADMIN_SITE = "admin site"

_ADMIN = frozenset({Role.PROGRAM_ADMIN})
_ONBOARDING = frozenset(ONBOARDING_ROLES)
_RESEARCHER = frozenset({Role.RESEARCHER})
_PEOPLE = frozenset({Role.PROGRAM_ADMIN, Role.AUDITOR, Role.PRAB_CHAIR, Role.BIOBANK_STAFF})
_ROSTER = frozenset({Role.PROGRAM_ADMIN, Role.AUDITOR})
_SCREENERS = frozenset({Role.PRAB_CHAIR, Role.PROGRAM_ADMIN})
_QUEUE = frozenset({Role.PRAB_CHAIR, Role.PROGRAM_ADMIN, Role.AUDITOR})
_EVERY_ROLE = frozenset(Role)
_BOARD = frozenset({Role.PRAB_MEMBER, Role.PRAB_CHAIR})
_RAB_READERS = frozenset({Role.RAB_MEMBER, Role.AUDITOR})
_MEETINGS = frozenset({Role.PRAB_MEMBER, Role.PRAB_CHAIR, Role.PROGRAM_ADMIN, Role.AUDITOR})
_REVIEW_READERS = frozenset(
    {Role.PRAB_MEMBER, Role.PRAB_CHAIR, Role.PROGRAM_ADMIN, Role.AUDITOR, Role.RAB_MEMBER}
)
_ASSIGNEE = "the assigned reviewer"
_HANDLER = "a chair not recused (the handler, once handed over)"
_REVIEW_SEES = (
    "chairs and admins not recused; reviewers once their sheet is in; the RAB while a "
    "question or appeal is before it"
)


@dataclass(frozen=True)
class UrlRule:
    name: str
    """The URL's name with its namespace (`applications:detail`); a name ending in `*`
    covers every name it starts (allauth's and the admin's own pages)."""
    who: str | frozenset[str]
    """PUBLIC, SIGNED_IN, ADMIN_SITE, or the roles that may open it."""
    owned: str = ""
    """Non-empty when the URL names a record that must be the user's own (or one they are
    on): says whose. Anyone else with the role gets 404."""
    methods: tuple[str, ...] = ("GET",)
    """What the URL answers to; a POST-only URL answers a GET with 405."""
    note: str = ""

    def matches(self, name: str) -> bool:
        if self.name.endswith("*"):
            return name.startswith(self.name[:-1])
        return name == self.name

    @property
    def who_label(self) -> str:
        if isinstance(self.who, str):
            return self.who
        if self.who == _EVERY_ROLE:
            return "every role"
        return ", ".join(Role(r).label for r in sorted(self.who))


GET, POST, BOTH = ("GET",), ("POST",), ("GET", "POST")

URL_RULES: tuple[UrlRule, ...] = (
    # The portal.
    UrlRule("home", PUBLIC, note="signed-in users are sent to their dashboard"),
    UrlRule("healthz", PUBLIC, note="JSON status for the load balancer"),
    UrlRule("dashboard", SIGNED_IN),
    UrlRule("role-dashboard", _EVERY_ROLE, owned="a role the user holds"),
    UrlRule("notifications", SIGNED_IN),
    UrlRule("notification-mark-read", SIGNED_IN, owned="the user's notice", methods=POST),
    UrlRule("document-download", SIGNED_IN, owned="the uploader's document"),
    # Onboarding (policy 2.1).
    UrlRule(
        "access-requirements", SIGNED_IN, note="staff are told the requirements are researchers'"
    ),
    UrlRule("access-profile", SIGNED_IN, methods=BOTH),
    UrlRule("access-conflict-declare", SIGNED_IN, methods=POST),
    UrlRule("access-conflict-retire", SIGNED_IN, owned="the declarer's conflict", methods=POST),
    UrlRule("access-profile-review", SIGNED_IN, methods=BOTH),
    UrlRule("access-consents", SIGNED_IN),
    UrlRule("access-consent-give", SIGNED_IN, methods=POST),
    UrlRule("access-consent-withdraw", SIGNED_IN, owned="the consent's giver", methods=POST),
    UrlRule("access-code-of-conduct", SIGNED_IN, methods=BOTH),
    UrlRule("access-code-of-conduct-history", SIGNED_IN),
    UrlRule("access-code-of-conduct-publish", _ADMIN, methods=BOTH),
    UrlRule("access-code-of-conduct-make-current", _ADMIN, methods=POST),
    UrlRule(
        "access-code-of-conduct-signed-copy",
        SIGNED_IN,
        owned="the signer's signature",
        methods=POST,
    ),
    UrlRule("access-roster", _ROSTER, methods=BOTH, note="uploads: program admins only"),
    UrlRule("access-roster-import", _ROSTER),
    UrlRule("access-roster-confirm", _ADMIN, methods=POST),
    UrlRule("access-roster-discard", _ADMIN, methods=POST),
    UrlRule("access-roster-restore", _ADMIN, methods=POST),
    UrlRule("access-people", _PEOPLE),
    UrlRule("access-person", _PEOPLE),
    UrlRule("access-person-bypass-grant", _ADMIN, methods=POST),
    UrlRule("access-person-bypass-revoke", _ADMIN, methods=BOTH),
    # Sign-in, accounts and two-factor authentication (allauth's own pages).
    UrlRule(
        "account_*",
        PUBLIC,
        methods=BOTH,
        note="allauth: sign-in, sign-up, e-mail, "
        "password; pages for a signed-in account send others to sign in",
    ),
    UrlRule("mfa_*", SIGNED_IN, methods=BOTH, note="allauth: two-factor authentication"),
    # The administration site (its own staff sign-in; roles decide what it shows).
    UrlRule("admin:*", ADMIN_SITE, methods=BOTH),
    # Applications (policy 2.2, 2.3).
    UrlRule("applications:list", SIGNED_IN),
    UrlRule("applications:new", _RESEARCHER, methods=POST),
    UrlRule("applications:queue", _QUEUE),
    UrlRule("applications:templates", _ADMIN, methods=BOTH),
    UrlRule("applications:team-accept", SIGNED_IN, owned="the person invited", methods=POST),
    UrlRule(
        "applications:detail",
        SIGNED_IN,
        owned="the applicant, the team, or staff who read applications",
    ),
    UrlRule("applications:details", SIGNED_IN, owned="as the application", methods=BOTH),
    UrlRule("applications:section", SIGNED_IN, owned="as the application", methods=BOTH),
    UrlRule("applications:lines", SIGNED_IN, owned="as the application", methods=BOTH),
    UrlRule("applications:line-remove", SIGNED_IN, owned="the applicant", methods=POST),
    UrlRule("applications:team", SIGNED_IN, owned="as the application", methods=BOTH),
    UrlRule("applications:team-remove", SIGNED_IN, owned="the applicant", methods=POST),
    UrlRule("applications:submit", SIGNED_IN, owned="the applicant", methods=POST),
    UrlRule("applications:withdraw", SIGNED_IN, owned="the applicant", methods=POST),
    UrlRule("applications:follow-up", SIGNED_IN, owned="the applicant", methods=POST),
    UrlRule("applications:uploads", SIGNED_IN, owned="as the application", methods=BOTH),
    UrlRule("applications:upload-download", SIGNED_IN, owned="as the application"),
    UrlRule("applications:pdf", SIGNED_IN, owned="as the application"),
    UrlRule("applications:changes", SIGNED_IN, owned="as the application"),
    UrlRule("applications:screen", _SCREENERS, methods=POST),
    UrlRule("applications:accept", _SCREENERS, methods=POST),
    UrlRule("applications:return", _SCREENERS, methods=POST),
    # Board review (policy 1.2, 2.3, 3.1 to 3.5, 4.5).
    UrlRule("review:queue", _QUEUE),
    UrlRule("review:mine", _BOARD),
    UrlRule("review:rab", _RAB_READERS),
    UrlRule("review:declare", _BOARD, owned=_ASSIGNEE, methods=BOTH),
    UrlRule("review:sheet", _BOARD, owned=_ASSIGNEE, methods=BOTH),
    UrlRule("review:overview", _REVIEW_READERS, owned=_REVIEW_SEES),
    UrlRule("review:scores", _REVIEW_READERS, owned=_REVIEW_SEES),
    UrlRule("review:discussion", _REVIEW_READERS, owned=_REVIEW_SEES, methods=BOTH),
    UrlRule("review:changes", SIGNED_IN, owned="as the application"),
    UrlRule("review:assign", _SCREENERS, owned=_HANDLER, methods=BOTH),
    UrlRule("review:unassign", _SCREENERS, owned=_HANDLER, methods=POST),
    UrlRule("review:suggestion", _SCREENERS, owned=_HANDLER, methods=POST),
    UrlRule("review:chair-conflict", _SCREENERS, owned="not recused", methods=POST),
    UrlRule("review:escalate", _SCREENERS, owned=_HANDLER, methods=POST),
    UrlRule("review:consult", _SCREENERS, owned=_HANDLER, methods=POST),
    UrlRule("review:fast-track", _SCREENERS, owned=_HANDLER, methods=POST),
    UrlRule(
        "review:funding",
        frozenset({Role.BIOBANK_STAFF, Role.PROGRAM_ADMIN}),
        owned="an application approved on condition of funding",
        methods=POST,
    ),
    UrlRule("review:resubmit", SIGNED_IN, owned="the applicant", methods=POST),
    UrlRule("review:appeal", _RESEARCHER, owned="the applicant", methods=BOTH),
    UrlRule(
        "review:escalation",
        _REVIEW_READERS,
        owned="the RAB, the chair and the application's reviewers",
        methods=BOTH,
        note="RAB members answer",
    ),
    UrlRule(
        "review:appeal-detail",
        SIGNED_IN,
        owned="the RAB, the chair and the applicant",
        methods=BOTH,
        note="RAB members determine",
    ),
    UrlRule("review:appeal-document", SIGNED_IN, owned="the RAB, the chair and the applicant"),
    UrlRule("review:meetings", _MEETINGS, methods=BOTH, note="chair and program admins schedule"),
    UrlRule("review:meeting", _MEETINGS),
    UrlRule("review:agenda", _SCREENERS, methods=POST),
    UrlRule("review:attendance", _SCREENERS, methods=POST),
    UrlRule("review:meeting-notes", _SCREENERS, methods=POST),
    UrlRule("review:decide", _SCREENERS, owned=_HANDLER, methods=BOTH),
    UrlRule("review:minutes", _MEETINGS),
    UrlRule("review:board", _QUEUE, methods=BOTH, note="program admins record expertise"),
    UrlRule(
        "review:stock",
        frozenset({Role.BIOBANK_STAFF, Role.PRAB_CHAIR, Role.PROGRAM_ADMIN, Role.AUDITOR}),
        methods=BOTH,
        note="biobank staff record volumes",
    ),
)

STAFF = frozenset(STAFF_ROLES)


def rule_for(name: str) -> UrlRule | None:
    """The one row that covers the URL named `name` (exact rows before prefixes)."""
    exact = [rule for rule in URL_RULES if rule.name == name]
    if exact:
        return exact[0]
    covering = [rule for rule in URL_RULES if rule.name.endswith("*") and rule.matches(name)]
    return covering[0] if len(covering) == 1 else None


def url_table_markdown() -> str:
    lines = [
        "# URL permission table",
        "",
        "Generated by `manage.py url_table` from `portal/url_permissions.py`; a test requests",
        "every URL as every role and fails on any answer this table does not allow, or on a",
        "URL missing from it. A refused signed-in user gets 404; an anonymous visitor is sent",
        "to sign in.",
        "",
        "| URL name | who may open it | own records only | methods | note |",
        "|---|---|---|---|---|",
    ]
    for rule in URL_RULES:
        lines.append(
            f"| `{rule.name}` | {rule.who_label} | {rule.owned} | {', '.join(rule.methods)} "
            f"| {rule.note} |"
        )
    return "\n".join(lines) + "\n"
