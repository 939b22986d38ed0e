"""What the review pages share."""

from django.contrib import messages
from django.http import HttpRequest

from portal.errors import DomainError
from review.errors import ReviewRefused


def refused(request: HttpRequest, error: DomainError) -> None:
    """Show a refusal: each unmet condition as its own message."""
    if isinstance(error, ReviewRefused) and len(error.problems) > 1:
        for problem in error.problems:
            messages.error(request, problem)
    else:
        messages.error(request, error.message)


def overview_url(pk: int) -> str:
    return f"/review/applications/{pk}/"
