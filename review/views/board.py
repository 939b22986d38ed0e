"""The board's members (expertise, institution, load) and the biobank's available volumes."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from portal.errors import DomainError
from portal.http import AuthenticatedHttpRequest
from portal.permissions import can
from review.forms import BoardMemberForm, VolumeForm
from review.selectors import board_people, stock_levels
from review.selectors.pages import person
from review.services import board_member_save, volume_record


@login_required
@require_http_methods(["GET", "POST"])
def board(request: AuthenticatedHttpRequest) -> HttpResponse:
    people = board_people(request.user)
    may_manage = can(request.user, "review.board.manage")
    status = 200
    if request.method == "POST":
        if not may_manage:
            raise Http404("No such page.")
        member = person(request.POST.get("member", ""))
        form = BoardMemberForm(request.POST, prefix=f"m{member.pk}" if member else None)
        if member is None:
            messages.error(request, "Choose a member from the list.")
            status = 400
        elif form.is_valid():
            try:
                board_member_save(user=member, actor=request.user, **form.cleaned_data)
            except DomainError as error:
                messages.error(request, error.message)
                status = 400
            else:
                messages.success(request, f"{member}'s expertise and institution saved.")
                return redirect("review:board")
        else:
            messages.error(request, "Choose an expertise from the list.")
            status = 400
    rows = [
        {
            **p,
            "form": BoardMemberForm(
                prefix=f"m{p['user'].pk}",
                initial={
                    "expertise": p["record"].expertise if p["record"] else "",
                    "institution": p["record"].institution if p["record"] else "",
                },
            ),
        }
        for p in people
    ]
    return render(
        request,
        "review/board.html",
        {"rows": rows, "may_manage": may_manage},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def stock(request: AuthenticatedHttpRequest) -> HttpResponse:
    levels = stock_levels(request.user)
    may_record = can(request.user, "review.stock.record")
    status = 200
    form = VolumeForm()
    if request.method == "POST":
        if not may_record:
            raise Http404("No such page.")
        form = VolumeForm(request.POST)
        if form.is_valid():
            try:
                volume_record(actor=request.user, **form.cleaned_data)
            except DomainError as error:
                form.add_error(None, error.message)
                status = 400
            else:
                messages.success(request, "Available volume recorded.")
                return redirect("review:stock")
        else:
            status = 400
    return render(
        request,
        "review/stock.html",
        {"levels": levels, "form": form, "may_record": may_record},
        status=status,
    )
