"""Template versions (policy 2.2): a program admin sees each version and publishes a new one;
an application keeps the version it started on."""

import json
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from applications.models import ApplicationTemplate
from applications.sections import SectionSpec, sections_from_data
from applications.services import template_version_publish
from portal.errors import DomainError
from portal.forms import PortalForm
from portal.http import AuthenticatedHttpRequest
from portal.permissions import can

JSON_LIMIT = 100_000


class PublishForm(PortalForm):
    sections = forms.CharField(
        max_length=JSON_LIMIT,
        widget=forms.Textarea(attrs={"rows": 18, "class": "font-monospace"}),
        help_text="The sections as JSON, in order: key, title, guidance, required, max_length, "
        "visibility ('board' or 'public') and shown_when (null, or 'ai_an').",
    )
    fee_schedule = forms.CharField(
        max_length=JSON_LIMIT,
        widget=forms.Textarea(attrs={"rows": 5, "class": "font-monospace"}),
        help_text='The processing fee schedule as JSON: [{"item": …, "amount": …}, …].',
    )
    notes = forms.CharField(
        max_length=3000, widget=forms.Textarea(attrs={"rows": 2}), label="What changed"
    )
    previous_accepted_until = forms.DateField(
        required=False,
        label="Last day drafts on the current version may be submitted",
        help_text="Empty: they may be submitted with no end.",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def clean_sections(self) -> list[SectionSpec]:
        try:
            return sections_from_data(json.loads(self.cleaned_data["sections"]))
        except (ValueError, TypeError) as error:
            raise forms.ValidationError(
                f"This is not a list of sections the portal can read ({error}). Start again "
                "from the current version's text."
            ) from error

    def clean_fee_schedule(self) -> list[dict[str, Any]]:
        try:
            rows = json.loads(self.cleaned_data["fee_schedule"])
        except ValueError as error:
            raise forms.ValidationError(f"This is not JSON ({error}).") from error
        if not isinstance(rows, list) or not all(
            isinstance(r, dict) and set(r) == {"item", "amount"} for r in rows
        ):
            raise forms.ValidationError('Give a list of {"item": …, "amount": …} rows.')
        return rows


@login_required
@require_http_methods(["GET", "POST"])
def template_versions(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not can(request.user, "template_version.publish"):
        raise Http404("No such page.")
    template = ApplicationTemplate.objects.prefetch_related("versions").first()
    if template is None:
        raise Http404("No template.")
    versions = list(template.versions.all())
    current = next((v for v in versions if v.is_current), versions[0] if versions else None)
    form = PublishForm(
        request.POST or None,
        initial={
            "sections": json.dumps(current.sections if current else [], indent=1),
            "fee_schedule": json.dumps(current.fee_schedule if current else [], indent=1),
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            version = template_version_publish(
                template=template,
                sections=form.cleaned_data["sections"],
                fee_schedule=form.cleaned_data["fee_schedule"],
                notes=form.cleaned_data["notes"],
                previous_accepted_until=form.cleaned_data["previous_accepted_until"],
                actor=request.user,
            )
        except DomainError as refused:
            form.add_error("sections", refused.message)
        else:
            messages.success(
                request, f"Version {version.number} published: new applications start on it."
            )
            return redirect(reverse("applications:templates"))
    return render(
        request,
        "applications/templates.html",
        {
            "template": template,
            "versions": [(v, sections_from_data(v.sections)) for v in versions],
            "form": form,
        },
        status=400 if form.errors else 200,
    )
