"""Board meetings: the list, one meeting with its agenda and attendance, recording a
decision, and the minutes as a PDF."""

from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from applications.selectors import application_for
from portal.errors import DomainError
from portal.http import AuthenticatedHttpRequest
from portal.pdf import render_pdf
from portal.permissions import can
from review.forms import AgendaForm, AttendanceForm, DecisionForm, MeetingForm, RecontactForm
from review.models import Meeting
from review.selectors import meeting_detail, meetings_list
from review.selectors.pages import (
    agenda_candidates,
    board_choices,
    people,
    review_application,
    scoring_summary,
)
from review.selectors.records import quorum_for
from review.services import (
    Vote,
    agenda_add,
    attendance_set,
    decision_record,
    meeting_notes_save,
    meeting_schedule,
    recontact_decide,
)
from review.views._common import refused


@login_required
@require_http_methods(["GET", "POST"])
def meetings(request: AuthenticatedHttpRequest) -> HttpResponse:
    rows = meetings_list(request.user)
    may_schedule = can(request.user, "review.meeting.manage")
    status = 200
    form = MeetingForm(initial={"kind": Meeting.Kind.REGULAR})
    if request.method == "POST":
        if not may_schedule:
            raise Http404("No such page.")
        form = MeetingForm(request.POST)
        if form.is_valid():
            starts_at = form.cleaned_data["starts_at"]
            if timezone.is_naive(starts_at):
                starts_at = starts_at.replace(tzinfo=ZoneInfo(settings.TIME_ZONE))
            try:
                meeting = meeting_schedule(
                    title=form.cleaned_data["title"],
                    kind=form.cleaned_data["kind"],
                    ai_an_review=form.cleaned_data["ai_an_review"],
                    starts_at=starts_at,
                    actor=request.user,
                )
            except DomainError as error:
                form.add_error(None, error.message)
                status = 400
            else:
                messages.success(request, f"{meeting.title} scheduled; quorum {meeting.quorum}.")
                return redirect("review:meeting", meeting.pk)
        else:
            status = 400
    return render(
        request,
        "review/meetings.html",
        {"meetings": rows, "form": form, "may_schedule": may_schedule, "now": timezone.now()},
        status=status,
    )


def meeting_page(
    request: AuthenticatedHttpRequest, pk: int, *, agenda_form: Any = None, status: int = 200
) -> HttpResponse:
    context = meeting_detail(request.user, pk)
    meeting = context["meeting"]
    may_manage = can(request.user, "review.meeting.manage")
    choices = [
        (str(a.pk), f"{a.reference}: {a.title}") for a in agenda_candidates(meeting, request.user)
    ]
    return render(
        request,
        "review/meeting.html",
        {
            **context,
            "may_manage": may_manage,
            "agenda_form": agenda_form or AgendaForm(choices=choices),
            "attendance_form": AttendanceForm(
                choices=board_choices(),
                initial={"present": [str(p.pk) for p in context["present"]]},
            ),
        },
        status=status,
    )


@login_required
@require_GET
def meeting(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return meeting_page(request, pk)


def _managed(request: AuthenticatedHttpRequest, pk: int) -> Meeting:
    if not can(request.user, "review.meeting.manage"):
        raise Http404("No such page.")
    found = Meeting.objects.filter(pk=pk).first()
    if found is None:
        raise Http404("No such meeting.")
    return found


@login_required
@require_POST
def agenda(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    found = _managed(request, pk)
    choices = [(str(a.pk), a.reference) for a in agenda_candidates(found, request.user)]
    form = AgendaForm(request.POST, choices=choices)
    if not form.is_valid():
        return meeting_page(request, pk, agenda_form=form, status=400)
    application = application_for(request.user, int(form.cleaned_data["application"]))
    try:
        agenda_add(meeting=found, application=application, actor=request.user)
    except DomainError as error:
        refused(request, error)
    else:
        messages.success(request, f"{application.reference} is on the agenda.")
    return redirect("review:meeting", pk)


@login_required
@require_POST
def attendance(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    found = _managed(request, pk)
    form = AttendanceForm(request.POST, choices=board_choices())
    if not form.is_valid():
        messages.error(request, "Choose the members present from the list.")
        return redirect("review:meeting", pk)
    present = people(form.cleaned_data["present"])
    try:
        attendance_set(meeting=found, present=present, actor=request.user)
    except DomainError as error:
        refused(request, error)
    else:
        messages.success(request, f"Attendance recorded: {len(present)} present.")
    return redirect("review:meeting", pk)


@login_required
@require_POST
def notes(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    found = _managed(request, pk)
    try:
        meeting_notes_save(meeting=found, notes=request.POST.get("notes", ""), actor=request.user)
    except DomainError as error:
        refused(request, error)
    else:
        messages.success(request, "Notes saved: the minutes print them.")
    return redirect("review:meeting", pk)


def _vote(data: dict[str, Any]) -> Vote:
    return Vote(data["votes_for"], data["votes_against"], data["abstentions"])


@login_required
@require_http_methods(["GET", "POST"])
def decide(request: AuthenticatedHttpRequest, pk: int, application_pk: int) -> HttpResponse:
    found = Meeting.objects.filter(pk=pk).first()
    if found is None:
        raise Http404("No such meeting.")
    application = review_application(request.user, application_pk, "review.decide")
    status = 200
    form = DecisionForm(initial={"votes_for": 0, "votes_against": 0, "abstentions": 0})
    recontact_form = RecontactForm(initial={"votes_for": 0, "votes_against": 0, "abstentions": 0})
    if request.method == "POST" and request.POST.get("form") == "recontact":
        recontact_form = RecontactForm(request.POST)
        if recontact_form.is_valid():
            try:
                recontact_decide(
                    application=application,
                    meeting=found,
                    approved=recontact_form.cleaned_data["approved"] == "yes",
                    vote=_vote(recontact_form.cleaned_data),
                    conditions=recontact_form.cleaned_data["conditions"],
                    actor=request.user,
                )
            except DomainError as error:
                refused(request, error)
                status = 400
            else:
                messages.success(request, "The decision on re-contacting participants is recorded.")
                return redirect("review:meeting", pk)
        else:
            status = 400
    elif request.method == "POST":
        form = DecisionForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                decision = decision_record(
                    application=application,
                    meeting=found,
                    outcome=data["outcome"],
                    vote=_vote(data),
                    reasons=data["reasons"],
                    required_changes=data["required_changes"],
                    comments_for_applicant=data["comments_for_applicant"],
                    actor=request.user,
                )
            except DomainError as error:
                refused(request, error)
                status = 400
            else:
                messages.success(
                    request,
                    f"{application.reference}: {decision.get_outcome_display().lower()}. "
                    "The applicant is told.",
                )
                return redirect("review:meeting", pk)
        else:
            status = 400
    return render(
        request,
        "review/decide.html",
        {
            "meeting": found,
            "application": application,
            "form": form,
            "recontact_form": recontact_form,
            "quorum": quorum_for(found, application),
            **scoring_summary(request.user, application),
        },
        status=status,
    )


@login_required
@require_GET
def minutes(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    context = meeting_detail(request.user, pk)
    pdf = render_pdf("pdf/minutes.html", {**context, "printed_at": timezone.now()})
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="minutes-{pk}.pdf"'
    return response
