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
    application_follow_up_start,
    application_start,
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
    return World(owner=owner, member=member, records=records)


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
# The rest take the application's pk, or nothing.
APPLICATION_PK = "applications:"


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


def _may(name: str, caller: Caller, world: World) -> tuple[bool, bool]:
    """(may see the record, may take the URL's action) for an owned row."""
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
