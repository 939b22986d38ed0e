"""One application under review: the chair's overview and its forms, assignment, the
scores, the discussion, what changed after revisions, and the applicant's resubmission
and appeal."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from applications.diff import submission_diff
from applications.errors import ApplicationIncomplete
from applications.selectors import application_for
from portal.clock import program_today
from portal.errors import DomainError
from portal.fragments import cached_block, short_digest
from portal.http import AuthenticatedHttpRequest
from portal.permissions import can
from review.forms import (
    AppealForm,
    AssignForm,
    ChairConflictForm,
    ConsultationForm,
    DiscussionForm,
    EscalateForm,
    FastTrackForm,
    SuggestionForm,
)
from review.selectors.pages import (
    applicant_outcome,
    default_due_date,
    discussion_for,
    hand_over_choices,
    people,
    person,
    review_application,
    review_overview,
    reviewer_candidates,
    scoring_summary,
)
from review.services import (
    appeal_submit,
    application_resubmit,
    approve_without_review,
    chair_conflict_declare,
    consultation_record,
    discussion_post,
    escalate,
    funding_accept,
    review_assign,
    suggestion_decide,
)
from review.views._common import overview_url, refused


def overview_page(
    request: AuthenticatedHttpRequest,
    application: Any,
    *,
    forms: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    context = review_overview(user, application)
    forms = forms or {}
    return render(
        request,
        "review/overview.html",
        {
            "application": application,
            **context,
            "can_assign": can(user, "review.assign", application),
            "can_escalate": can(user, "review.escalate", application),
            "can_consult": can(user, "review.consultation.record", application),
            "can_fast_track": can(user, "review.approve_without_review", application)
            and application.kind == "additional_specimens"
            and application.status == "in_review",
            "can_declare": can(user, "review.chair.declare", application),
            "can_accept_funding": application.status == "conditionally_approved"
            and can(user, "review.funding.accept", application),
            "escalate_form": forms.get("escalate") or EscalateForm(),
            "consult_form": forms.get("consult") or ConsultationForm(),
            "fast_track_form": forms.get("fast_track") or FastTrackForm(),
            "conflict_form": forms.get("conflict")
            or ChairConflictForm(choices=hand_over_choices(user)),
        },
        status=status,
    )


@login_required
@require_GET
def overview(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return overview_page(request, review_application(request.user, pk))


@login_required
@require_http_methods(["GET", "POST"])
def assign(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    application = review_application(request.user, pk, "review.assign")
    candidates = reviewer_candidates(application)
    choices = [
        (str(c.user.pk), str(c.user))
        for c in candidates
        if not c.recused and not c.assigned and not c.reviewed_before
    ]
    status = 200
    if request.method == "POST":
        form = AssignForm(request.POST, choices=choices)
        if form.is_valid():
            chosen = people(form.cleaned_data["reviewers"])
            try:
                review_assign(
                    application=application,
                    reviewers=chosen,
                    due_on=form.cleaned_data["due_on"],
                    actor=request.user,
                )
            except DomainError as error:
                refused(request, error)
                status = 400
            else:
                messages.success(
                    request,
                    f"{len(chosen)} reviewer{'s' if len(chosen) != 1 else ''} assigned to "
                    f"{application.reference}; each is asked to declare conflicts first.",
                )
                return redirect(overview_url(pk))
        else:
            status = 400
    else:
        form = AssignForm(choices=choices, initial={"due_on": default_due_date(program_today())})
    return render(
        request,
        "review/assign.html",
        {
            "application": application,
            "form": form,
            "candidates": candidates,
            "chosen": set(request.POST.getlist("reviewers")),
            "suggestion_form": SuggestionForm(),
        },
        status=status,
    )


@login_required
@require_POST
def suggestion(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    application = review_application(request.user, pk, "review.conflict.decide")
    form = SuggestionForm(request.POST)
    if form.is_valid():
        member = person(form.cleaned_data["member"])
        if member is None:
            raise Http404("No such member.")
        try:
            suggestion_decide(
                application=application,
                member=member,
                confirm=form.cleaned_data["decision"] == "confirm",
                reason=form.cleaned_data["reason"],
                actor=request.user,
            )
        except DomainError as error:
            refused(request, error)
        else:
            messages.success(
                request,
                f"{member} is recused from {application.reference}."
                if form.cleaned_data["decision"] == "confirm"
                else f"The suggested conflict for {member} was dismissed; it will not be "
                "suggested again.",
            )
    else:
        messages.error(request, "Choose whether to confirm or dismiss the suggestion.")
    return redirect(f"{overview_url(pk)}assign/")


@login_required
@require_GET
def scores(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    application = review_application(request.user, pk)
    summary = scoring_summary(request.user, application)
    # Each sheet's block is rendered once (a submitted sheet does not change).
    blocks = cached_block(
        "review/_sheet.html",
        summary["sheets"],
        key=lambda sheet: f"{sheet.pk}:{short_digest(repr(sheet))}",
        contexts=lambda missing: [{"s": sheet} for sheet in missing],
        assemble="".join,
    )
    return render(
        request,
        "review/scores.html",
        {
            "application": application,
            **summary,
            "sheet_blocks": mark_safe(blocks),  # noqa: S308  # our own fragments, autoescaped
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def discussion(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    application = review_application(request.user, pk)
    may_post = can(request.user, "review.discuss", application)
    status = 200
    form = DiscussionForm()
    if request.method == "POST":
        form = DiscussionForm(request.POST)
        if form.is_valid():
            try:
                discussion_post(
                    application=application, body=form.cleaned_data["body"], actor=request.user
                )
            except DomainError as error:
                form.add_error("body", error.message)
                status = 400
            else:
                messages.success(request, "Message posted.")
                return redirect(f"{overview_url(pk)}discussion/#latest")
        else:
            status = 400
    return render(
        request,
        "review/discussion.html",
        {
            "application": application,
            "posts": discussion_for(application),
            "form": form,
            "may_post": may_post,
        },
        status=status,
    )


@login_required
@require_GET
def changes(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """What the applicant changed in their latest resubmission, for the reviewers."""
    application = application_for(request.user, pk)
    submissions = list(application.submissions.order_by("-number")[:2])
    diff = []
    if len(submissions) > 1:
        latest, previous = submissions
        diff = submission_diff(previous.snapshot, latest.snapshot)
    return render(
        request,
        "review/changes.html",
        {"application": application, "submissions": submissions, "changes": diff},
    )


def _chair_post(request: AuthenticatedHttpRequest, pk: int, action: str) -> Any:
    return review_application(request.user, pk, action)


@login_required
@require_POST
def escalate_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    application = _chair_post(request, pk, "review.escalate")
    form = EscalateForm(request.POST)
    if not form.is_valid():
        return overview_page(request, application, forms={"escalate": form}, status=400)
    try:
        escalate(
            application=application, question=form.cleaned_data["question"], actor=request.user
        )
    except DomainError as error:
        form.add_error("question", error.message)
        return overview_page(request, application, forms={"escalate": form}, status=400)
    messages.success(request, "The question went to the RAB; no decision until it answers.")
    return redirect(overview_url(pk))


@login_required
@require_POST
def consult(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    application = _chair_post(request, pk, "review.consultation.record")
    form = ConsultationForm(request.POST)
    if not form.is_valid():
        return overview_page(request, application, forms={"consult": form}, status=400)
    try:
        consultation_record(application=application, actor=request.user, **form.cleaned_data)
    except DomainError as error:
        refused(request, error)
        return overview_page(request, application, forms={"consult": form}, status=400)
    messages.success(request, "Consultation recorded.")
    return redirect(overview_url(pk))


@login_required
@require_POST
def chair_conflict(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    application = _chair_post(request, pk, "review.chair.declare")
    form = ChairConflictForm(request.POST, choices=hand_over_choices(request.user))
    if not form.is_valid():
        return overview_page(request, application, forms={"conflict": form}, status=400)
    hand_to = person(form.cleaned_data["hand_to"])
    try:
        chair_conflict_declare(
            application=application,
            conflict_type=form.cleaned_data["conflict_type"],
            description=form.cleaned_data["description"],
            hand_to=hand_to,
            actor=request.user,
        )
    except DomainError as error:
        refused(request, error)
        return overview_page(request, application, forms={"conflict": form}, status=400)
    messages.success(
        request,
        f"Your conflict is recorded and {application.reference} was handed to {hand_to}. "
        "You are recused from it.",
    )
    return redirect("review:queue")


@login_required
@require_POST
def fast_track(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    application = _chair_post(request, pk, "review.approve_without_review")
    form = FastTrackForm(request.POST)
    if not form.is_valid():
        return overview_page(request, application, forms={"fast_track": form}, status=400)
    try:
        approve_without_review(
            application=application,
            comments_for_applicant=form.cleaned_data["comments_for_applicant"],
            actor=request.user,
        )
    except DomainError as error:
        refused(request, error)
        return overview_page(request, application, forms={"fast_track": form}, status=400)
    messages.success(request, f"{application.reference} approved without full review.")
    return redirect(overview_url(pk))


@login_required
@require_POST
def funding(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    application = application_for(request.user, pk)
    if not can(request.user, "review.funding.accept", application):
        raise Http404("No such page.")
    try:
        funding_accept(application=application, actor=request.user)
    except DomainError as error:
        refused(request, error)
    else:
        messages.success(
            request, f"Proof of funding accepted: {application.reference} is approved."
        )
    return redirect("applications:detail", pk)


@login_required
@require_POST
def resubmit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    application = application_for(request.user, pk)
    try:
        application_resubmit(application=application, actor=request.user)
    except ApplicationIncomplete as error:
        for problem in error.problems:
            messages.error(request, problem.message)
    except DomainError as error:
        refused(request, error)
    else:
        messages.success(
            request,
            f"{application.reference} went back to its reviewers, who will see what you changed.",
        )
    return redirect("applications:detail", pk)


@login_required
@require_http_methods(["GET", "POST"])
def appeal(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    application = application_for(request.user, pk)
    if not can(request.user, "review.appeal", application):
        raise Http404("No such page.")
    outcome = applicant_outcome(application, request.user)
    status = 200
    if request.method == "POST":
        form = AppealForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                appeal_submit(
                    application=application,
                    grounds=form.cleaned_data["grounds"],
                    files=form.cleaned_data["documents"],
                    actor=request.user,
                )
            except DomainError as error:
                refused(request, error)
                status = 400
            else:
                messages.success(request, "Your appeal went to the Resource Access Board.")
                return redirect("applications:detail", pk)
        else:
            status = 400
    else:
        form = AppealForm()
    return render(
        request,
        "review/appeal.html",
        {"application": application, "form": form, **(outcome or {})},
        status=status,
    )
