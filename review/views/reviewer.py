"""A reviewer's own pages: the conflict-of-interest declaration, then the score sheet."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from portal.errors import DomainError
from portal.http import AuthenticatedHttpRequest
from review.forms import DeclarationForm, ScoreSheetForm
from review.models import Assignment, ScoreSheet
from review.selectors.pages import review_application
from review.services import SheetRefused, assignment_remove, conflict_declare, score_sheet_save
from review.views._common import refused


def _own_assignment(request: AuthenticatedHttpRequest, pk: int) -> Assignment:
    """The viewer's own assignment in a current round, or 404 (anyone else's, a recused
    or removed one included)."""
    assignment = (
        Assignment.objects.filter(
            pk=pk,
            reviewer=request.user,
            state__in=Assignment.ACTIVE,
        )
        .select_related("round__application__applicant")
        .first()
    )
    if assignment is None:
        raise Http404("No such assignment.")
    return assignment


@login_required
@require_http_methods(["GET", "POST"])
def declare(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    assignment = _own_assignment(request, pk)
    if assignment.state != Assignment.State.DECLARING:
        return redirect("review:sheet", pk)
    application = assignment.round.application
    status = 200
    if request.method == "POST":
        form = DeclarationForm(request.POST)
        if form.is_valid():
            conflicted = form.cleaned_data["conflicted"] == "yes"
            try:
                conflict_declare(
                    assignment=assignment,
                    conflicted=conflicted,
                    conflict_type=form.cleaned_data["conflict_type"],
                    description=form.cleaned_data["description"],
                    actor=request.user,
                )
            except DomainError as error:
                refused(request, error)
                status = 400
            else:
                if conflicted:
                    messages.success(
                        request,
                        f"Thank you: you are recused from {application.reference}; the chair "
                        "will assign someone else.",
                    )
                    return redirect("review:mine")
                messages.success(request, "No conflict recorded: the application is open to you.")
                return redirect("review:sheet", pk)
        else:
            status = 400
    else:
        form = DeclarationForm()
    team = [
        str(m.user) for m in application.team.filter(removed_at__isnull=True).select_related("user")
    ]
    return render(
        request,
        "review/declare.html",
        {"assignment": assignment, "application": application, "team": team, "form": form},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def sheet(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    assignment = _own_assignment(request, pk)
    if assignment.state == Assignment.State.DECLARING:
        return redirect("review:declare", pk)
    application = assignment.round.application
    existing = ScoreSheet.objects.filter(assignment=assignment).first()
    if assignment.state == Assignment.State.SUBMITTED:
        return redirect("review:scores", application.pk)
    status = 200
    if request.method == "POST":
        form = ScoreSheetForm(request.POST)
        form.is_valid()
        submit = request.POST.get("action") == "submit"
        try:
            score_sheet_save(
                assignment=assignment, data=form.sheet_data(), submit=submit, actor=request.user
            )
        except SheetRefused as error:
            for field, message in error.fields.items():
                form.add_error(field if field in form.fields else None, message)
            status = 400
        except DomainError as error:
            refused(request, error)
            status = 400
        else:
            if submit:
                messages.success(
                    request, "Score sheet submitted. You can now read the other reviewers' sheets."
                )
                return redirect("review:scores", application.pk)
            messages.success(request, "Draft saved. Only you can see it.")
            return redirect("review:sheet", pk)
    else:
        form = ScoreSheetForm(initial=ScoreSheetForm.initial_from(existing))
    resubmitted = application.submissions.count() > 1
    return render(
        request,
        "review/sheet.html",
        {
            "assignment": assignment,
            "application": application,
            "form": form,
            "resubmitted": resubmitted,
            "saved_at": existing.saved_at if existing else None,
        },
        status=status,
    )


@login_required
@require_POST
def remove(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The chair takes an unsubmitted assignment back (a reviewer who cannot do it)."""
    assignment = Assignment.objects.filter(pk=pk).select_related("reviewer", "round").first()
    if assignment is None:
        raise Http404("No such assignment.")
    application_pk = assignment.round.application_id
    review_application(request.user, application_pk, "review.assign")
    try:
        assignment_remove(
            assignment=assignment, reason=request.POST.get("reason", ""), actor=request.user
        )
    except DomainError as error:
        refused(request, error)
    else:
        messages.success(
            request, f"{assignment.reviewer} no longer reviews it: assign someone else."
        )
    return redirect("review:overview", application_pk)
