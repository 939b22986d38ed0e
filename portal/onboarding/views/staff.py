"""Staff pages: researchers and authorized users with their verdict, and one person's record.

Program admins, auditors, the PRAB chair and biobank staff may look; anyone else gets 404.
Only program admins see the bypass form. The list computes every row's status with one
batch (`access_statuses_for`), so a page costs the same number of queries whatever its size.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from portal.errors import DomainError
from portal.fragments import cached_block, short_digest
from portal.http import AuthenticatedHttpRequest
from portal.models import RequirementBypass, User
from portal.onboarding.eligibility import (
    REQUIREMENT_LABELS,
    Requirement,
)
from portal.onboarding.forms_bypass import BypassRevokeForm
from portal.onboarding.forms_people import PeopleFilterForm
from portal.onboarding.forms_roster import BypassGrantForm
from portal.onboarding.selectors import (
    PersonRow,
    access_status_for,
    bypasses_of,
    completion_dates_for,
    consents_of,
    current_roster_entries_for,
    email_addresses_of,
    onboarding_people,
    onboarding_people_page,
    program_today,
)
from portal.onboarding.services.bypass import requirement_bypass_grant, requirement_bypass_revoke
from portal.onboarding.views import allowed_or_404
from portal.onboarding.views.requirements import requirement_rows
from portal.permissions import can
from portal.roles import Role

# Between a person's card and their table row in their one cached fragment (_person.html).
PART_BREAK = "<!-- part -->"

# By the stored value: a bypass row holds the requirement as a plain string.


# The record speaks of the person, not to them.
THIRD_PERSON_LABELS: dict[Requirement, str] = {
    Requirement.CONSENT_PUBLIC_DISPLAY: "Consent to public display of name and projects",
    Requirement.CONSENT_VIOLATION_RELEASE: "Consent to public release of name if found in "
    "violation",
}


_REQUIREMENT_LABELS: dict[str, str] = {
    r.value: THIRD_PERSON_LABELS.get(r, label) for r, label in REQUIREMENT_LABELS.items()
}


@dataclass(frozen=True)
class PersonLine:
    """One person in the list, as the page words it."""

    row: PersonRow
    roles: str

    @property
    def failing(self) -> list[str]:
        return [REQUIREMENT_LABELS[Requirement(value)] for value in self.row.failing]

    @property
    def earliest_lapse(self) -> date | None:
        expiry = self.row.earliest_expiry
        return expiry + timedelta(days=1) if expiry else None

    @property
    def key(self) -> str:
        """Everything the line shows, for its cached fragment's key."""
        return f"{self.row.pk}:{short_digest(repr(self.row))}"


@login_required
@require_GET
def people_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    viewer = allowed_or_404(request, "access.people.view")
    # Unbound without a query string, so a first visit shows no errors.
    form = PeopleFilterForm(request.GET) if request.GET else PeopleFilterForm()
    asked = form.cleaned_or_defaults() if request.GET else PeopleFilterForm.DEFAULTS
    query = str(asked["q"]).strip()
    page, count = onboarding_people_page(
        viewer=viewer,
        query=query,
        verdict=str(asked["verdict"]),
        expiring=bool(asked["expiring"]),
        sort=str(asked["sort"]),
        cursor=request.GET.get("after") or request.GET.get("before") or "",
        last=request.GET.get("page") == "last",
    )
    role_labels = dict(Role.choices)
    rows = [
        PersonLine(row=row, roles=", ".join(role_labels[name] for name in row.roles))
        for row in page.rows
    ]
    # Each person's card and table row are one cached fragment, and the page's rows one
    # cached block of them (portal.fragments).
    record_url = reverse("access-person", args=[0]).removesuffix("0/")

    def assemble(fragments: list[SafeString]) -> tuple[str, str]:
        parts = [fragment.split(PART_BREAK) for fragment in fragments]
        return "".join(card for card, _ in parts), "".join(line for _, line in parts)

    cards, lines = cached_block(
        "onboarding/staff/_person.html",
        rows,
        key=lambda line: f"{line.key}:{record_url}",
        contexts=lambda missing: [
            {"line": line, "url": f"{record_url}{line.row.pk}/"} for line in missing
        ],
        assemble=assemble,
    )
    return render(
        request,
        "onboarding/staff/people.html",
        {
            "query": query,
            "form": form,
            "filtered": any(request.GET.get(k) for k in ("q", "verdict", "expiring")),
            "page": page,
            "count": count,
            "rows": rows,
            # Our own fragments, rendered with autoescaping (portal.fragments).
            "cards": mark_safe(cards),  # noqa: S308
            "lines": mark_safe(lines),  # noqa: S308
        },
    )


@dataclass(frozen=True)
class BypassRow:
    bypass: RequirementBypass
    label: str
    active: bool
    revoke_reason: str


def _record_context(
    request: AuthenticatedHttpRequest, person: User, *, form: BypassGrantForm | None = None
) -> dict[str, object]:
    today = program_today()
    status = access_status_for(person, today=today)
    dates = completion_dates_for(user=person)
    bypasses = [
        BypassRow(
            bypass=b,
            label=_REQUIREMENT_LABELS.get(b.requirement, b.requirement),
            # `active` is the selector's annotation; its return type does not declare it yet.
            active=b.active,  # type: ignore[attr-defined]
            revoke_reason=b.revoke_reason or "",  # type: ignore[attr-defined]
        )
        for b in bypasses_of(person=person, today=today)
    ]
    emails = email_addresses_of(person=person)
    verified = [e["email"].lower() for e in emails if e["verified"]]
    roster_entries = current_roster_entries_for(emails=verified)
    may_bypass = can(request.user, "requirement_bypass.grant", person)
    return {
        "person": person,
        "today": today,
        "status": status,
        # The rows the person's own requirements page shows, with the same dates.
        "requirements": [
            (row, THIRD_PERSON_LABELS.get(row.status.requirement, row.status.label))
            for row in requirement_rows(person, status, dates)
        ],
        "consents": consents_of(user=person).order_by("-given_at", "-id"),
        "dates": dates,
        "bypasses": bypasses,
        "emails": emails,
        "roster_entries": roster_entries,
        "can_bypass": may_bypass,
        "form": form or (BypassGrantForm() if may_bypass else None),
    }


@login_required
@require_GET
def person_record(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    viewer = allowed_or_404(request, "access.people.view")
    person = get_object_or_404(onboarding_people(viewer=viewer), pk=pk)
    return render(request, "onboarding/staff/person.html", _record_context(request, person))


@login_required
@require_POST
def person_bypass_grant(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(onboarding_people(viewer=request.user), pk=pk)
    actor = allowed_or_404(request, "requirement_bypass.grant", person)
    form = BypassGrantForm(request.POST)
    if form.is_valid():
        try:
            requirement_bypass_grant(
                user=person,
                requirement=form.cleaned_data["requirement"],
                reason=form.cleaned_data["reason"],
                expires_on=form.cleaned_data["expires_on"],
                actor=actor,
            )
        except DomainError as refused:
            form.add_error(None, refused.message)
        else:
            label = REQUIREMENT_LABELS[Requirement(form.cleaned_data["requirement"])]
            messages.success(request, f"{label} is waived for {person}. The reason is recorded.")
            return redirect("access-person", pk=person.pk)
    context = _record_context(request, person, form=form)
    return render(request, "onboarding/staff/person.html", context, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def person_bypass_revoke(
    request: AuthenticatedHttpRequest, pk: int, bypass_pk: int
) -> HttpResponse:
    """Revoke a bypass: a page that says what will follow and asks for a reason and a
    confirmation; only a confirmed POST with a reason revokes."""
    person = get_object_or_404(onboarding_people(viewer=request.user), pk=pk)
    bypass = get_object_or_404(bypasses_of(person=person), pk=bypass_pk)
    actor = allowed_or_404(request, "requirement_bypass.revoke", bypass)
    form = BypassRevokeForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            requirement_bypass_revoke(
                bypass=bypass, actor=actor, reason=form.cleaned_data["reason"]
            )
        except DomainError as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(
                request, "The bypass is revoked; the requirement counts again from now."
            )
            return redirect("access-person", pk=person.pk)
    context = {
        "person": person,
        "bypass": bypass,
        "label": _REQUIREMENT_LABELS[bypass.requirement],
        "form": form,
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "onboarding/staff/bypass_revoke.html", context, status=status)


urlpatterns: list[URLPattern] = [
    path("people/", people_list, name="access-people"),
    path("people/<int:pk>/", person_record, name="access-person"),
    path("people/<int:pk>/bypasses/", person_bypass_grant, name="access-person-bypass-grant"),
    path(
        "people/<int:pk>/bypasses/<int:bypass_pk>/revoke/",
        person_bypass_revoke,
        name="access-person-bypass-revoke",
    ),
]
