"""The researcher's pages: their applications, the package section by section, the specimen
lines, the team, submission and withdrawal. Every application is read through
`application_for`, so someone not on it gets 404; every write is a service."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from applications.checks import submission_problems
from applications.diff import package_diff
from applications.errors import ApplicationIncomplete, SectionConflict
from applications.extensions import detail_panels
from applications.forms import (
    DetailsForm,
    InviteForm,
    LineForm,
    ReturnForm,
    SectionForm,
    StartForm,
    UploadForm,
)
from applications.models import Application, ApplicationUpload, SpecimenLine, TeamMember
from applications.sections import sections_from_data
from applications.selectors import (
    application_for,
    invitations_for,
    my_applications,
    section_states,
    specimen_totals,
    upload_history,
)
from applications.services import (
    application_details_save,
    application_follow_up_start,
    application_section_save,
    application_start,
    application_submit,
    application_withdraw,
    package_snapshot,
    specimen_line_add,
    specimen_line_remove,
    team_accept,
    team_invite,
    team_remove,
)
from applications.services.uploads import application_upload_add
from portal.documents import document_open
from portal.errors import DomainError
from portal.fragments import cached_block, short_digest
from portal.http import AuthenticatedHttpRequest
from portal.onboarding.selectors import access_statuses_for
from portal.pdf import render_pdf
from portal.permissions import can


def _overview(application: Application) -> str:
    return reverse("applications:detail", args=[application.pk])


def _list_page(
    request: AuthenticatedHttpRequest, form: StartForm, *, status: int = 200
) -> HttpResponse:
    applications = my_applications(request.user)
    base = reverse("applications:detail", args=[0]).removesuffix("0/")
    rows = cached_block(
        "applications/_my_row.html",
        applications,
        key=lambda a: f"{a.pk}:{short_digest(repr(a))}:{base}",
        contexts=lambda missing: [{"a": a, "url": f"{base}{a.pk}/"} for a in missing],
        assemble="".join,
    )
    return render(
        request,
        "applications/list.html",
        {
            "applications": applications,
            "rows": mark_safe(rows),  # noqa: S308  # our own fragments, autoescaped
            "invitations": invitations_for(request.user),
            "can_start": can(request.user, "application.start"),
            "form": form,
        },
        status=status,
    )


@login_required
@require_GET
def application_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _list_page(request, StartForm())


@login_required
@require_POST
def application_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not can(request.user, "application.start"):
        raise Http404("No such page.")
    form = StartForm(request.POST)
    if form.is_valid():
        try:
            application = application_start(actor=request.user, title=form.cleaned_data["title"])
        except DomainError as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(
                request,
                f"{application.reference} started. Fill it in part by part; "
                "every change is saved as you go.",
            )
            return redirect(_overview(application))
    return _list_page(request, form, status=400)


def _checklist(application: Application) -> dict[str, Any]:
    states = section_states(application)
    problems = submission_problems(application) if application.editable else []
    done = sum(1 for s in states if s.done)
    parts = len(states) + 3  # sections, plus details, lines and uploads
    unresolved = {p.anchor for p in problems}
    done += int(not unresolved & {"id_title", "id_public_summary", "id_funding_source"})
    done += int("lines" not in unresolved)
    done += int("uploads" not in unresolved)
    return {
        "sections": states,
        "problems": problems,
        "progress": round(100 * done / parts) if application.editable else 100,
    }


def detail_page(
    request: AuthenticatedHttpRequest,
    application: Application,
    *,
    return_form: ReturnForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """The application's overview: its checklist, its submissions and what the viewer may
    do next (the screening forms for screeners)."""
    user = request.user
    withdrawable = (
        Application.LIFECYCLE.find(application.status, Application.Status.WITHDRAWN) is not None
    )
    return render(
        request,
        "applications/detail.html",
        {
            "application": application,
            **_checklist(application),
            "submissions": list(application.submissions.order_by("-number")),
            "can_edit": application.editable and can(user, "application.edit", application),
            "can_submit": application.editable and can(user, "application.submit", application),
            "can_withdraw": withdrawable and can(user, "application.withdraw", application),
            "can_screen": can(user, "application.screen", application),
            "can_follow_up": can(user, "application.edit", application),
            "return_form": return_form or ReturnForm(),
            "totals": specimen_totals(application),
            "panels": detail_panels(application, user),
        },
        status=status,
    )


@login_required
@require_GET
def application_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return detail_page(request, application_for(request.user, pk))


@login_required
@require_http_methods(["GET", "POST"])
def application_details(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    application = application_for(request.user, pk)
    if request.method == "POST":
        form = DetailsForm(request.POST, application=application)
        if form.is_valid():
            try:
                application_details_save(
                    application=application, changes=form.changes(), actor=request.user
                )
            except DomainError as refused:
                form.add_error(None, refused.message)
            else:
                messages.success(request, "Details saved.")
                return redirect(_overview(application))
    else:
        form = DetailsForm(initial=DetailsForm.initial_for(application), application=application)
    return render(
        request,
        "applications/details.html",
        {
            "application": application,
            "form": form,
            "fees": application.template_version.fee_schedule,
        },
        status=400 if form.errors else 200,
    )


def _autosave(
    request: AuthenticatedHttpRequest, application: Application, key: str
) -> JsonResponse:
    """A save sent by static/js/autosave.js: JSON back, 409 with the other text on a clash."""
    form = SectionForm(request.POST)
    if not form.is_valid():
        return JsonResponse({"error": "The page is out of date: reload it."}, status=400)
    try:
        answer = application_section_save(
            application=application,
            key=key,
            text=form.cleaned_data["text"],
            base_revision=form.cleaned_data["base_revision"],
            actor=request.user,
        )
    except SectionConflict as clash:
        return JsonResponse(
            {
                "conflict": True,
                "message": clash.message,
                "theirs": clash.theirs,
                "revision": clash.revision,
            },
            status=409,
        )
    except DomainError as refused:
        return JsonResponse({"error": refused.message}, status=400)
    return JsonResponse(
        {
            "revision": answer.revision,
            "length": len(answer.text),
            "saved_at": answer.updated_at.isoformat(),
        }
    )


@login_required
@require_http_methods(["GET", "POST"])
def application_section(request: AuthenticatedHttpRequest, pk: int, key: str) -> HttpResponse:
    """One section, saved by its form or by autosave (static/js/autosave.js, which sends
    `X-Autosave: 1`). A clash with a save made elsewhere shows both texts."""
    application = application_for(request.user, pk)
    states = {s.spec.key: s for s in section_states(application)}
    state = states.get(key)
    if state is None:
        raise Http404("No such section.")
    if request.method == "POST" and request.headers.get("X-Autosave") == "1":
        return _autosave(request, application, key)
    conflict: SectionConflict | None = None
    form = SectionForm(
        request.POST or None, initial={"text": state.text, "base_revision": state.revision}
    )
    if request.method == "POST" and form.is_valid():
        try:
            application_section_save(
                application=application,
                key=key,
                text=form.cleaned_data["text"],
                base_revision=form.cleaned_data["base_revision"],
                actor=request.user,
            )
        except SectionConflict as clash:
            conflict = clash
            # Their text is shown beside; yours stays in the box, now based on theirs.
            form = SectionForm(initial={"text": clash.yours, "base_revision": clash.revision})
        except DomainError as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(request, f"“{state.spec.title}” saved.")
            return redirect(_overview(application) + f"#section-{key}")
    keys = list(states)
    index = keys.index(key)
    return render(
        request,
        "applications/section.html",
        {
            "application": application,
            "state": state,
            "form": form,
            "conflict": conflict,
            "editable": application.editable and can(request.user, "application.edit", application),
            "previous": states[keys[index - 1]] if index > 0 else None,
            "next": states[keys[index + 1]] if index + 1 < len(keys) else None,
        },
        status=409 if conflict else (400 if form.errors else 200),
    )


@login_required
@require_http_methods(["GET", "POST"])
def application_lines(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    application = application_for(request.user, pk)
    form = LineForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            specimen_line_add(application=application, line=form.line(), actor=request.user)
        except DomainError as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(request, "Specimen line added.")
            return redirect(reverse("applications:lines", args=[application.pk]))
    return render(
        request,
        "applications/lines.html",
        {
            "application": application,
            "lines": list(application.lines.all()),
            "totals": specimen_totals(application),
            "form": form,
            "editable": application.editable and can(request.user, "application.edit", application),
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def application_line_remove(request: AuthenticatedHttpRequest, pk: int, line: int) -> HttpResponse:
    application = application_for(request.user, pk)
    specimen_line = get_object_or_404(SpecimenLine, pk=line, application=application)
    try:
        specimen_line_remove(specimen_line=specimen_line, actor=request.user)
    except DomainError as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, "Specimen line removed.")
    return redirect(reverse("applications:lines", args=[application.pk]))


@login_required
@require_http_methods(["GET", "POST"])
def application_team(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    application = application_for(request.user, pk)
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            member = team_invite(
                application=application,
                email=form.cleaned_data["email"],
                role_on_project=form.cleaned_data["role_on_project"],
                actor=request.user,
            )
        except DomainError as refused:
            form.add_error("email", refused.message)
        else:
            messages.success(request, f"{member.user} was invited; they accept after signing in.")
            return redirect(reverse("applications:team", args=[application.pk]))
    members = list(application.team.filter(removed_at__isnull=True).select_related("user"))
    statuses = access_statuses_for([application.applicant_id, *[m.user_id for m in members]])
    return render(
        request,
        "applications/team.html",
        {
            "application": application,
            "members": [(m, statuses[m.user_id]) for m in members],
            "applicant_status": statuses[application.applicant_id],
            "form": form,
            "can_manage": application.editable
            and can(request.user, "application.team.manage", application),
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def team_member_remove(request: AuthenticatedHttpRequest, pk: int, member: int) -> HttpResponse:
    application = application_for(request.user, pk)
    row = get_object_or_404(TeamMember, pk=member, application=application)
    try:
        team_remove(member=row, actor=request.user)
    except DomainError as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, f"{row.user} was taken off the team.")
    return redirect(reverse("applications:team", args=[application.pk]))


@login_required
@require_POST
def team_invitation_accept(request: AuthenticatedHttpRequest, member: int) -> HttpResponse:
    row = get_object_or_404(
        TeamMember.objects.select_related("application"), pk=member, user=request.user
    )
    try:
        team_accept(member=row, actor=request.user)
    except DomainError as refused:
        messages.error(request, refused.message)
        return redirect(reverse("applications:list"))
    messages.success(
        request,
        f"You joined the team of {row.application.reference}. Keep your access requirements "
        "current: everyone named must meet them before the application is submitted.",
    )
    return redirect(_overview(row.application))


@login_required
@require_POST
def application_submit_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    application = application_for(request.user, pk)
    try:
        submission = application_submit(application=application, actor=request.user)
    except ApplicationIncomplete as refused:
        messages.error(request, refused.message)
        return redirect(_overview(application) + "#problems")
    except DomainError as refused:
        messages.error(request, refused.message)
        return redirect(_overview(application))
    messages.success(
        request,
        f"{application.reference} was submitted (submission {submission.number}). You and the "
        "team were sent a confirmation; program staff will screen it next.",
    )
    return redirect(_overview(application))


@login_required
@require_POST
def application_withdraw_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    application = application_for(request.user, pk)
    if request.POST.get("confirm") != "yes":
        messages.error(request, "Tick the box to confirm that you want to withdraw it.")
        return redirect(_overview(application) + "#withdraw")
    try:
        application_withdraw(application=application, actor=request.user)
    except DomainError as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, f"{application.reference} was withdrawn.")
    return redirect(_overview(application))


@login_required
@require_POST
def application_follow_up(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    original = application_for(request.user, pk)
    try:
        follow_up = application_follow_up_start(
            original=original, kind=request.POST.get("kind", ""), actor=request.user
        )
    except DomainError as refused:
        messages.error(request, refused.message)
        return redirect(_overview(original))
    messages.success(
        request,
        f"{follow_up.reference} started from {original.reference}, with its text and specimen "
        "lines copied in. Change what differs; the changes page compares the two.",
    )
    return redirect(_overview(follow_up))


@login_required
@require_GET
def application_changes(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    application = application_for(request.user, pk)
    if application.original is None:
        raise Http404("This application has no original to compare with.")
    return render(
        request,
        "applications/changes.html",
        {"application": application, "changes": package_diff(application)},
    )


@login_required
@require_GET
def application_pdf(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The whole package as a PDF: as last submitted (with its hash), or the draft as it is."""
    application = application_for(request.user, pk)
    submission = application.submissions.order_by("-number").first()
    snapshot = submission.snapshot if submission else package_snapshot(application)
    answers = snapshot["sections"]
    sections = [
        {"title": spec.title, "text": answers.get(spec.key, "")}
        for spec in sections_from_data(application.template_version.sections)
        if spec.applies(includes_ai_an=snapshot["details"]["includes_ai_an"])
    ]
    pdf = render_pdf(
        "pdf/application.html",
        {
            "snapshot": snapshot,
            "submission": submission,
            "sections": sections,
            "kind_label": application.get_kind_display(),
            "printed_at": timezone.now(),
        },
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{application.reference}.pdf"'
    return response


def _people_for_cvs(application: Application) -> list[tuple[int, str]]:
    members = application.team.filter(removed_at__isnull=True).select_related("user")
    return [(application.applicant_id, f"{application.applicant} (principal investigator)")] + [
        (m.user_id, str(m.user)) for m in members
    ]


@login_required
@require_http_methods(["GET", "POST"])
def application_uploads(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Supplementary documents: each listed with who added it and when; a replaced one stays
    in the history. Only clean PDF and DOCX files are kept (portal.document_checks)."""
    application = application_for(request.user, pk)
    people = _people_for_cvs(application)
    form = UploadForm(request.POST or None, request.FILES or None, people=people)
    if request.method == "POST" and form.is_valid():
        replaces = None
        if request.POST.get("replaces"):
            replaces = get_object_or_404(
                ApplicationUpload, pk=request.POST["replaces"], application=application
            )
        person_id = form.cleaned_data["person"]
        person = None
        if person_id == application.applicant_id:
            person = application.applicant
        elif person_id:
            member = application.team.filter(user_id=person_id).select_related("user").first()
            person = member.user if member else None
        try:
            added = application_upload_add(
                application=application,
                kind=form.cleaned_data["kind"],
                upload=form.cleaned_data["file"],
                actor=request.user,
                person=person,
                replaces=replaces,
            )
        except DomainError as refused:
            form.add_error("file", refused.message)
        else:
            messages.success(request, f"“{added.document.original_name}” was added.")
            return redirect(reverse("applications:uploads", args=[application.pk]))
    uploads = upload_history(application)
    # Approved on condition of funding (2.3): the proof may still be added.
    funding_only = application.status == Application.Status.CONDITIONALLY_APPROVED
    return render(
        request,
        "applications/uploads.html",
        {
            "application": application,
            "current": [u for u in uploads if u.replaced_by_id is None],
            "replaced": [u for u in uploads if u.replaced_by_id is not None],
            "form": form,
            "can_upload": (application.editable or funding_only)
            and can(request.user, "application.upload", application),
            "funding_only": funding_only,
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_GET
def application_upload_download(
    request: AuthenticatedHttpRequest, pk: int, upload: int
) -> FileResponse:
    """A supplementary document, for anyone who may see the application (as an attachment,
    never shown inline)."""
    application = application_for(request.user, pk)
    row = get_object_or_404(
        ApplicationUpload.objects.select_related("document"), pk=upload, application=application
    )
    document = row.document
    response = FileResponse(
        document_open(document=document),
        as_attachment=True,
        filename=document.original_name,
        content_type=document.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
