"""The RAB's pages: a question from the PRAB, an appeal."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from applications.selectors import application_for
from portal.documents import document_open
from portal.errors import DomainError
from portal.http import AuthenticatedHttpRequest
from portal.permissions import can
from review.forms import AppealDetermineForm, DeterminationForm
from review.models import Appeal, AppealDocument, Escalation
from review.services import appeal_determine, escalation_answer
from review.views._common import refused


def _escalation(request: AuthenticatedHttpRequest, pk: int) -> Escalation:
    escalation = Escalation.objects.filter(pk=pk).select_related("application").first()
    if escalation is None:
        raise Http404("No such question.")
    application_for(request.user, escalation.application_id)  # 404 when not theirs to see
    if not (
        can(request.user, "review.rab.view")
        or can(request.user, "review.view", escalation.application)
    ):
        raise Http404("No such question.")
    return escalation


@login_required
@require_http_methods(["GET", "POST"])
def escalation(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    item = _escalation(request, pk)
    may_answer = item.is_open and can(request.user, "review.escalation.answer", item)
    status = 200
    form = DeterminationForm()
    if request.method == "POST":
        if not may_answer:
            raise Http404("No such page.")
        form = DeterminationForm(request.POST)
        if form.is_valid():
            try:
                escalation_answer(
                    escalation=item,
                    determination=form.cleaned_data["determination"],
                    actor=request.user,
                )
            except DomainError as error:
                form.add_error("determination", error.message)
                status = 400
            else:
                messages.success(request, "The RAB's determination is recorded; the chair is told.")
                return redirect("review:rab")
        else:
            status = 400
    return render(
        request,
        "review/escalation.html",
        {"item": item, "application": item.application, "form": form, "may_answer": may_answer},
        status=status,
    )


def _appeal(request: AuthenticatedHttpRequest, pk: int) -> Appeal:
    appeal = Appeal.objects.filter(pk=pk).select_related("application", "decision").first()
    if appeal is None:
        raise Http404("No such appeal.")
    application = application_for(request.user, appeal.application_id)
    if not (
        can(request.user, "review.rab.view")
        or can(request.user, "review.view", application)
        or application.applicant_id == request.user.pk
    ):
        raise Http404("No such appeal.")
    return appeal


@login_required
@require_http_methods(["GET", "POST"])
def appeal_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    appeal = _appeal(request, pk)
    application = appeal.application
    may_determine = appeal.outcome == Appeal.Outcome.PENDING and can(
        request.user, "review.appeal.uphold", application
    )
    status = 200
    form = AppealDetermineForm()
    if request.method == "POST":
        if not may_determine:
            raise Http404("No such page.")
        form = AppealDetermineForm(request.POST)
        if form.is_valid():
            try:
                appeal_determine(
                    appeal=appeal,
                    uphold=form.cleaned_data["outcome"] == "uphold",
                    determination=form.cleaned_data["determination"],
                    actor=request.user,
                )
            except DomainError as error:
                refused(request, error)
                status = 400
            else:
                messages.success(
                    request, "The RAB's determination is recorded; the applicant is told."
                )
                return redirect("review:rab")
        else:
            status = 400
    return render(
        request,
        "review/appeal_detail.html",
        {
            "appeal": appeal,
            "application": application,
            "documents": list(appeal.documents.select_related("document")),
            "form": form,
            "may_determine": may_determine,
        },
        status=status,
    )


@login_required
@require_GET
def appeal_document(request: AuthenticatedHttpRequest, pk: int, document: int) -> FileResponse:
    appeal = _appeal(request, pk)
    row = (
        AppealDocument.objects.filter(pk=document, appeal=appeal).select_related("document").first()
    )
    if row is None:
        raise Http404("No such document.")
    response = FileResponse(
        document_open(document=row.document),
        as_attachment=True,
        filename=row.document.original_name,
        content_type=row.document.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
