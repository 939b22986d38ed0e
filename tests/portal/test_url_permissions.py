"""The URL permission table (portal.url_permissions): every URL of the project is in it, and
every URL answers each caller as its row says (issue 9 item 14)."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from applications.demo import demo_pdf
from applications.models import Application, ApplicationUpload, SpecimenLine
from applications.services import (
    application_accept,
    application_follow_up_start,
    application_screen,
    application_start,
    application_submit,
    specimen_line_add,
    team_invite,
)
from portal.documents import document_store
from portal.models import (
    ConflictOfInterest,
    Consent,
    Notification,
    ResearcherProfile,
    RosterImport,
    User,
)
from portal.roles import Role
from portal.url_permissions import (
    ADMIN_SITE,
    PUBLIC,
    SIGNED_IN,
    STAFF,
    URL_RULES,
    rule_for,
    url_table_markdown,
)
from tests.applications.conftest import PLASMA
from tests.factories import (
    CodeOfConductSignatureFactory,
    RequirementBypassFactory,
    RosterImportFactory,
    UserFactory,
    make_eligible,
)

pytestmark = pytest.mark.django_db

ROLE_USERS = {
    Role.RESEARCHER: "researcher",
    Role.AUTHORIZED_USER: "authorized_user",
    Role.PRAB_MEMBER: "prab_member",
    Role.PRAB_CHAIR: "prab_chair",
    Role.RAB_MEMBER: "rab_member",
    Role.BIOBANK_STAFF: "biobank_staff",
    Role.DRC_STAFF: "drc_staff",
    Role.AUDITOR: "auditor",
    Role.PROGRAM_ADMIN: "program_admin",
}
# Roles that may open any record of an owned row, beyond its owner.
READS_EVERY_APPLICATION = {Role.PRAB_CHAIR, Role.PROGRAM_ADMIN, Role.AUDITOR}
READS_EVERY_DOCUMENT = {Role.AUDITOR, Role.PROGRAM_ADMIN}
ALLOWED = {200, 302}


def _walk(patterns: list[Any], prefix: str = "", namespace: str = "") -> Iterator[tuple[str, str]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = pattern.namespace or ""
            full = f"{namespace}:{inner}" if namespace and inner else (inner or namespace)
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), full)
        elif isinstance(pattern, URLPattern):
            name = pattern.name or ""
            yield prefix + str(pattern.pattern), f"{namespace}:{name}" if namespace else name


def every_url_name() -> list[str]:
    return sorted({name for _, name in _walk(get_resolver().url_patterns)})


def test_every_url_of_the_project_has_exactly_one_row():
    names = every_url_name()
    missing = [name for name in names if rule_for(name) is None]
    unused = [rule.name for rule in URL_RULES if not any(rule.matches(n) for n in names)]
    assert not missing, f"URLs missing from portal/url_permissions.py: {missing}"
    assert not unused, f"Rows that match no URL: {unused}"
    assert "" not in names, "Every URL pattern needs a name to be in the table."


def test_the_published_table_is_current():
    from pathlib import Path

    from django.conf import settings

    published = (Path(settings.BASE_DIR) / "docs" / "urls.md").read_text()
    assert published == url_table_markdown(), "Run: manage.py url_table --write docs/urls.md"


@dataclass
class World:
    """One record of each kind a URL names, owned by `owner` (an eligible researcher)."""

    owner: User
    member: User
    records: dict[str, Any]


def _world(users: dict[str, User]) -> World:
    owner = users[Role.RESEARCHER]
    member = users[Role.AUTHORIZED_USER]
    application = application_start(actor=owner, title="Walked by the URL table test")
    line: SpecimenLine = specimen_line_add(application=application, line=PLASMA, actor=owner)
    invitation = team_invite(
        application=application, email=member.email, role_on_project="", actor=owner
    )
    document = document_store(
        upload=ContentFile(demo_pdf("CV"), name="cv.pdf"), owner=owner, purpose="cv", actor=owner
    )
    upload = ApplicationUpload.objects.create(
        application=application,
        kind="cv",
        person=owner,
        document=document,
        uploaded_by=owner,
        uploaded_at=timezone.now(),
    )
    approved = application_start(actor=owner, title="Approved, to amend")
    Application.objects.filter(pk=approved.pk).update(status=Application.Status.APPROVED)
    amendment = application_follow_up_start(
        original=Application.objects.get(pk=approved.pk), kind="amendment", actor=owner
    )
    profile, _ = ResearcherProfile.objects.get_or_create(user=owner)
    records = {
        "application": application,
        "amendment": amendment,
        "line": line,
        "invitation": invitation,
        "upload": upload,
        "document": document,
        "notification": Notification.objects.create(
            user=owner, template="generic_notice", subject="s", summary="s", body_text="b"
        ),
        "conflict": ConflictOfInterest.objects.create(
            profile=profile, kind=ConflictOfInterest.Kind.values[0], description="A board seat."
        ),
        "consent": Consent.objects.filter(user=owner).first(),
        "signature": CodeOfConductSignatureFactory(user=owner),
        "roster": RosterImport.objects.filter(is_current=True).first() or RosterImportFactory(),
        "bypass": RequirementBypassFactory(user=owner),
    }
    records.update(_review_records(users, owner))
    return World(owner=owner, member=member, records=records)


def _review_records(users: dict[str, User], owner: User) -> dict[str, Any]:
    """An application of the owner's in review, ready for decision, with the PRAB member
    among its three reviewers and an open question to the RAB; a second one denied at a
    meeting and appealed with a document."""
    from review.models import AppealDocument
    from review.services import (
        Vote,
        agenda_add,
        appeal_submit,
        attendance_set,
        board_member_save,
        decision_record,
        escalate,
        meeting_schedule,
    )
    from tests.applications.conftest import complete
    from tests.review.conftest import assign as review_assign
    from tests.review.conftest import declare_none, submit_sheet

    chair, admin, reviewer = (
        users[Role.PRAB_CHAIR],
        users[Role.PROGRAM_ADMIN],
        users[Role.PRAB_MEMBER],
    )
    elsi = UserFactory(roles=[Role.PRAB_MEMBER], two_factor=True)
    scientist = UserFactory(roles=[Role.PRAB_MEMBER], two_factor=True)
    for person, expertise in (
        (chair, "scientific"),
        (reviewer, "participant"),
        (elsi, "elsi"),
        (scientist, "scientific"),
    ):
        board_member_save(user=person, expertise=expertise, institution="", actor=admin)

    def ready(title: str) -> Application:
        application = complete(application_start(actor=owner, title=title))
        application_submit(application=application, actor=owner)
        application_screen(application=application, actor=chair)
        application_accept(application=application, actor=chair)
        assignments = review_assign(application, chair, [reviewer, elsi, scientist])
        for assignment in assignments:
            declare_none(assignment)
            submit_sheet(assignment)
        return Application.objects.get(pk=application.pk)

    in_review = ready("In review, walked by the URL table test")
    denied = ready("Denied and appealed")
    question = escalate(application=in_review, question="Is this within policy 4.7?", actor=chair)
    meeting = meeting_schedule(
        title="PRAB meeting",
        kind="regular",
        ai_an_review=False,
        starts_at=timezone.now(),
        actor=chair,
    )
    attendance_set(meeting=meeting, present=[chair, reviewer, elsi, scientist], actor=chair)
    agenda_add(meeting=meeting, application=in_review, actor=chair)
    agenda_add(meeting=meeting, application=denied, actor=chair)
    decision_record(
        application=denied,
        meeting=meeting,
        outcome="deny",
        vote=Vote(3, 0, 0),
        reasons="It duplicates an approved study.",
        actor=chair,
    )
    appeal = appeal_submit(
        application=denied,
        grounds="It does not duplicate it.",
        files=[ContentFile(demo_pdf("Letter"), name="letter.pdf")],
        actor=owner,
    )
    return {
        "review": in_review,
        "assignment": in_review.review_rounds.get().assignments.get(reviewer=reviewer),
        "reviewer": reviewer,
        "escalation": question,
        "meeting": meeting,
        "appeal": appeal,
        "appeal_document": AppealDocument.objects.get(appeal=appeal),
    }


KWARGS: dict[str, Callable[[World], dict[str, Any]]] = {
    "role-dashboard": lambda w: {"role": Role.RESEARCHER.value},
    "notification-mark-read": lambda w: {"pk": w.records["notification"].pk},
    "document-download": lambda w: {"pk": w.records["document"].pk},
    "access-conflict-retire": lambda w: {"pk": w.records["conflict"].pk},
    "access-consent-give": lambda w: {"kind": Consent.Kind.values[0]},
    "access-consent-withdraw": lambda w: {"pk": w.records["consent"].pk},
    "access-code-of-conduct-make-current": lambda w: {"pk": w.records["signature"].version_id},
    "access-code-of-conduct-signed-copy": lambda w: {"pk": w.records["signature"].pk},
    "access-roster-import": lambda w: {"pk": w.records["roster"].pk},
    "access-roster-confirm": lambda w: {"pk": w.records["roster"].pk},
    "access-roster-discard": lambda w: {"pk": w.records["roster"].pk},
    "access-roster-restore": lambda w: {"pk": w.records["roster"].pk},
    "access-person": lambda w: {"pk": w.owner.pk},
    "access-person-bypass-grant": lambda w: {"pk": w.owner.pk},
    "access-person-bypass-revoke": lambda w: {
        "pk": w.owner.pk,
        "bypass_pk": w.records["bypass"].pk,
    },
    "applications:team-accept": lambda w: {"member": w.records["invitation"].pk},
    "applications:changes": lambda w: {"pk": w.records["amendment"].pk},
    "applications:section": lambda w: {"pk": w.records["application"].pk, "key": "abstract"},
    "applications:line-remove": lambda w: {
        "pk": w.records["application"].pk,
        "line": w.records["line"].pk,
    },
    "applications:team-remove": lambda w: {
        "pk": w.records["application"].pk,
        "member": w.records["invitation"].pk,
    },
    "applications:upload-download": lambda w: {
        "pk": w.records["application"].pk,
        "upload": w.records["upload"].pk,
    },
}
KWARGS.update(
    {
        "review:declare": lambda w: {"pk": w.records["assignment"].pk},
        "review:sheet": lambda w: {"pk": w.records["assignment"].pk},
        "review:unassign": lambda w: {"pk": w.records["assignment"].pk},
        "review:escalation": lambda w: {"pk": w.records["escalation"].pk},
        "review:appeal-detail": lambda w: {"pk": w.records["appeal"].pk},
        "review:appeal-document": lambda w: {
            "pk": w.records["appeal"].pk,
            "document": w.records["appeal_document"].pk,
        },
        "review:meeting": lambda w: {"pk": w.records["meeting"].pk},
        "review:agenda": lambda w: {"pk": w.records["meeting"].pk},
        "review:attendance": lambda w: {"pk": w.records["meeting"].pk},
        "review:meeting-notes": lambda w: {"pk": w.records["meeting"].pk},
        "review:minutes": lambda w: {"pk": w.records["meeting"].pk},
        "review:decide": lambda w: {
            "pk": w.records["meeting"].pk,
            "application_pk": w.records["review"].pk,
        },
    }
)
# The rest take the application's pk (the one in review for the review app's), or nothing.
APPLICATION_PK = "applications:"
REVIEW_PK = "review:"


# Arguments that allauth's and the admin's own URLs take (the record need not exist: the
# table only asks that those who may not open them are turned away).
OTHER_KWARGS: list[dict[str, Any]] = [
    {"object_id": "1"},
    {"app_label": "portal"},
    {"content_type_id": 1, "object_id": "1"},
    {"id": 1},
    {"key": "MQ:abc:def"},
    {"uidb36": "1", "key": "set-password"},
]


def _url(name: str, world: World) -> str | None:
    if name in KWARGS:
        return reverse(name, kwargs=KWARGS[name](world))
    candidates: list[dict[str, Any]] = [{}]
    if name.startswith(APPLICATION_PK):
        candidates.append({"pk": world.records["application"].pk})
    elif name.startswith(REVIEW_PK):
        candidates.append({"pk": world.records["review"].pk})
    elif name.startswith(("admin:", "account_")):
        candidates += OTHER_KWARGS
    for kwargs in candidates:
        try:
            return reverse(name, kwargs=kwargs)
        except Exception:  # noqa: BLE001, S112  # not these arguments: try the next
            continue
    return None


# URLs about an application: its applicant, its team and the staff who read applications
# open them; those who may open it but not act get a refusal they can read (302 back to the
# application with a message), everyone else 404.
VIEW_APPLICATION = {
    "applications:detail",
    "applications:details",
    "applications:section",
    "applications:lines",
    "applications:team",
    "applications:uploads",
    "applications:upload-download",
    "applications:pdf",
    "applications:changes",
}
APPLICANT_ACTIONS = {
    "applications:submit",
    "applications:withdraw",
    "applications:follow-up",
    "applications:line-remove",
    "applications:team-remove",
}


@dataclass(frozen=True)
class Caller:
    label: str  # a role, "anonymous" or "non-owner"
    user: User | None
    roles: frozenset[str]


# The review app's owned rows: who may open the application in review (its applicant, the
# chair and program admins not recused, auditors, its reviewers once they declared, and the
# RAB while its question is open), and who may act on it.
BOARD_READERS = {Role.PRAB_CHAIR, Role.PROGRAM_ADMIN, Role.AUDITOR, Role.RAB_MEMBER}
CHAIR_ACTIONS = {
    "review:assign",
    "review:suggestion",
    "review:escalate",
    "review:consult",
    "review:fast-track",
    "review:decide",
    "review:unassign",
}


def _may_review(name: str, caller: Caller, world: World) -> tuple[bool, bool]:
    user, roles = caller.user, caller.roles
    reviewer = user == world.records["reviewer"]
    board = bool(roles & BOARD_READERS) or reviewer
    owner = user == world.owner
    chair = Role.PRAB_CHAIR in roles
    answers = {
        "review:declare": (reviewer, reviewer),
        "review:sheet": (reviewer, reviewer),
        "review:chair-conflict": (bool(roles & {Role.PRAB_CHAIR, Role.PROGRAM_ADMIN}),) * 2,
        "review:funding": (bool(roles & {Role.BIOBANK_STAFF, Role.PROGRAM_ADMIN}),) * 2,
        "review:changes": (board or owner,) * 2,
        "review:resubmit": (board or owner, owner),
        "review:appeal": (owner, owner),
        "review:appeal-detail": (board or owner,) * 2,
        "review:appeal-document": (board or owner,) * 2,
        **dict.fromkeys(CHAIR_ACTIONS, (chair, chair)),
    }
    # The overview, scores, discussion and the question to the RAB: the board's readers.
    return answers.get(name, (board, board))


def _may(name: str, caller: Caller, world: World) -> tuple[bool, bool]:
    """(may see the record, may take the URL's action) for an owned row."""
    if name.startswith(REVIEW_PK):
        return _may_review(name, caller, world)
    return _may_applications(name, caller, world)


def _may_applications(name: str, caller: Caller, world: World) -> tuple[bool, bool]:
    user = caller.user
    if name == "role-dashboard":
        holds = Role.RESEARCHER in caller.roles
        return holds, holds
    if name == "applications:team-accept":
        return user == world.member, user == world.member
    # The amendment has no team of its own.
    viewers = {world.owner} if name == "applications:changes" else {world.owner, world.member}
    readers = bool(caller.roles & READS_EVERY_APPLICATION)
    if name in VIEW_APPLICATION:
        seen = user in viewers or readers
        return seen, seen
    if name in APPLICANT_ACTIONS:
        return user in viewers or readers, user == world.owner
    if name == "document-download":
        seen = user == world.owner or bool(caller.roles & READS_EVERY_DOCUMENT)
        return seen, seen
    return user == world.owner, user == world.owner


def _expected(name: str, caller: Caller, world: World, method: str) -> set[int]:
    """The answers the row allows `caller`."""
    rule = rule_for(name)
    assert rule is not None
    if rule.who == ADMIN_SITE:
        # Its own staff sign-in turns away anyone who is not staff; roles decide the rest.
        return {200, 302, 403, 404, 405} if caller.roles & STAFF else {302, 403}
    if caller.user is None:
        return ALLOWED if rule.who == PUBLIC else {302}
    if name.startswith(("account_", "mfa_")) or (method == "GET" and "GET" not in rule.methods):
        # allauth decides (never an error); a POST-only URL answers GET with 405 before
        # any permission check, for everyone signed in.
        return {200, 302, 403, 404, 405} if name.startswith(("account_", "mfa_")) else {405}
    permitted = rule.who in (PUBLIC, SIGNED_IN) or bool(caller.roles & set(rule.who))
    if rule.owned:
        sees, acts = _may(name, caller, world)
        if permitted and sees and not acts:
            return {302}  # back to the record, with the refusal as a message
        permitted = permitted and acts
    return ALLOWED if permitted else {404}


def _methods(rule: Any, name: str, caller: Caller, world: World) -> list[str]:
    """GET for everyone; a POST-only URL is also tried by POST, but only by callers it must
    refuse (no state changes for those who may take it)."""
    tries = ["GET"]
    if (
        rule is not None
        and "GET" not in rule.methods
        and (caller.user is None or _expected(name, caller, world, "POST") in ({404}, {302}))
    ):
        tries.append("POST")
    return tries


def _answers(name: str, url: str, callers: list[Caller], world: World) -> list[str]:
    rule = rule_for(name)
    wrong = []
    for caller in callers:
        fresh = Client()
        if caller.user is not None:
            fresh.force_login(caller.user)
        for method in _methods(rule, name, caller, world):
            response = fresh.get(url) if method == "GET" else fresh.post(url, {})
            allowed = _expected(name, caller, world, method)
            if response.status_code not in allowed:
                wrong.append(
                    f"{name} {method} {url} as {caller.label}: {response.status_code}, "
                    f"table allows {sorted(allowed)}"
                )
    return wrong


def test_every_url_answers_every_caller_as_its_row_says(request, settings, tmp_path):
    settings.PRIVATE_DOCUMENT_ROOT = tmp_path
    users = {role: request.getfixturevalue(fixture) for role, fixture in ROLE_USERS.items()}
    for role in (Role.RESEARCHER, Role.AUTHORIZED_USER):
        make_eligible(users[role])
    non_owner = make_eligible(UserFactory(roles=[Role.RESEARCHER], two_factor=True))
    world = _world(users)
    callers = [
        Caller("anonymous", None, frozenset()),
        Caller("non-owner", non_owner, frozenset({Role.RESEARCHER})),
        *[Caller(role.value, user, frozenset({role.value})) for role, user in users.items()],
    ]
    wrong: list[str] = []
    for name in every_url_name():
        url = "/admin/no-such-page/" if name == "admin:" else _url(name, world)
        if url is None:
            wrong.append(f"{name}: the test cannot build its URL; add its arguments to KWARGS")
            continue
        wrong += _answers(name, url, callers, world)
    assert not wrong, "\n".join(wrong)
