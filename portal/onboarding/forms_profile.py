"""Forms for the researcher profile, conflicts of interest and the annual review.

They check shape only (required, lengths, the ORCID iD's form and check digit); the
services decide everything else.
"""

from typing import Any

from django import forms
from django.conf import settings

from portal.forms import PortalForm
from portal.models import ConflictOfInterest, ResearcherProfile, User
from portal.onboarding.validators import normalise_orcid, normalise_phone


def _help(model: type[Any], field: str) -> str:
    return str(model._meta.get_field(field).help_text)


class ProfileForm(PortalForm):
    full_name = forms.CharField(
        label="Full name",
        max_length=User._meta.get_field("full_name").max_length,
        help_text="The name you sign with. If you change it, sign the Code of Conduct again "
        "under the new name.",
        error_messages={"required": "Enter your full name as you sign documents."},
    )
    phone = forms.CharField(
        label="Work telephone",
        max_length=ResearcherProfile._meta.get_field("phone").max_length,
        required=False,
        help_text="A work number; add the country code if it is outside the United States.",
    )
    postal_address = forms.CharField(
        label="Work postal address",
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_help(ResearcherProfile, "postal_address"),
    )
    institution = forms.CharField(
        label="Institution",
        max_length=ResearcherProfile._meta.get_field("institution").max_length,
        help_text="Your primary institution: your employer of record.",
        error_messages={"required": "Enter your institution: your annual profile review needs it."},
    )
    job_title = forms.CharField(
        label="Job title",
        max_length=ResearcherProfile._meta.get_field("job_title").max_length,
        required=False,
    )
    other_affiliations = forms.CharField(
        label="Other affiliations",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_help(ResearcherProfile, "other_affiliations"),
    )
    orcid = forms.CharField(
        label="ORCID iD (optional)",
        # Long enough for a pasted https://orcid.org/ link; stored as the bare iD.
        max_length=64,
        required=False,
        help_text="Like 0000-0002-1825-0097. You may paste the https://orcid.org/ link.",
    )
    research_purposes = forms.CharField(
        label="Research purposes",
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Describe each research purpose in plain language, one paragraph each.",
        error_messages={
            "required": "Describe your research purposes: your annual profile review needs them."
        },
    )

    def clean_orcid(self) -> str:
        return normalise_orcid(self.cleaned_data.get("orcid", ""))

    def clean_phone(self) -> str:
        return normalise_phone(
            self.cleaned_data.get("phone", ""), region=settings.PHONE_DEFAULT_REGION
        )

    @classmethod
    def initial_for(cls, user: User, profile: ResearcherProfile | None) -> dict[str, str]:
        initial = {"full_name": user.full_name}
        if profile is not None:
            for name in cls.base_fields:
                if name != "full_name":
                    initial[name] = getattr(profile, name)
        return initial


class ConflictForm(PortalForm):
    kind = forms.ChoiceField(
        label="Kind of conflict",
        choices=ConflictOfInterest.Kind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Say whether the conflict is financial or non-financial."},
    )
    description = forms.CharField(
        label="Description",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_help(ConflictOfInterest, "description"),
        error_messages={
            "required": "Describe the conflict: what it is and how you keep it from "
            "influencing the research."
        },
    )


class ReviewConfirmForm(PortalForm):
    attest = forms.BooleanField(
        label="I have reviewed my contact information, affiliations, conflicts of interest "
        "and research purposes, and they are current.",
        error_messages={
            "required": "Tick the box to confirm that your profile is current, or update it first."
        },
    )
