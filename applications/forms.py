"""Forms of the application package: they check shape; the services check policy."""

from typing import Any

from django import forms

from applications.models import Application, ApplicationUpload, SpecimenLine
from applications.services import LineInput
from portal.forms import PortalForm

YES_NO = [("yes", "Yes"), ("no", "No")]


def _yes_no(value: str | None) -> bool | None:
    return {"yes": True, "no": False}.get(value or "")


class StartForm(PortalForm):
    title = forms.CharField(
        max_length=200,
        help_text="A working title; you can change it until you submit. The public directory "
        "shows it once the project is approved.",
    )


class DetailsForm(PortalForm):
    title = forms.CharField(
        max_length=200, help_text="Shown in the public directory once approved."
    )
    public_summary = forms.CharField(
        required=False,
        label="Plain-language summary",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Two or three sentences for the public directory, once approved.",
    )
    funding_source = forms.ChoiceField(
        required=False,
        choices=Application.FundingSource.choices,
        widget=forms.RadioSelect,
        label="Who funds the research?",
    )
    commercial_terms_accepted = forms.BooleanField(
        required=False,
        label="The commercial funder accepts the full MTA, the Biospecimen Code of Conduct, the "
        "data-sharing terms and the program's policies (policy 4.7).",
    )
    funding_status = forms.ChoiceField(
        required=False,
        choices=Application.FundingStatus.choices,
        widget=forms.RadioSelect,
        label="Is the funding secured?",
        help_text="Contingent funding leads to conditional approval until you upload proof "
        "(policy 2.3).",
    )
    recontact_requested = forms.ChoiceField(
        required=False,
        choices=YES_NO,
        widget=forms.RadioSelect,
        label="Would participants be re-contacted?",
        help_text="Only with the board's explicit approval (policy 1.1).",
    )
    recontact_justification = forms.CharField(
        required=False,
        label="Why re-contact participants?",
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    derivatives_acknowledged = forms.BooleanField(
        required=False,
        label="I will not produce immortalized cell lines or other derivatives that perpetuate "
        "the use of these biospecimens beyond the approved research (policy 4.8).",
    )
    fee_acknowledged = forms.BooleanField(
        required=False,
        label="I have read the processing fee schedule above and will pay the fee if approved "
        "(policy 4.4).",
    )
    budget_notes = forms.CharField(
        required=False,
        label="Budget for returning data",
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="How your budget covers preparing the dataset and its documentation for "
        "return to the program, and supporting data curation and QC (policy 4.4).",
    )
    scope_unchanged = forms.ChoiceField(
        required=False,
        choices=YES_NO,
        widget=forms.RadioSelect,
        label="Are the study's scope and objectives unchanged?",
        help_text="If they are, the PRAB chair may approve the request without full review "
        "(policy 2.3).",
    )

    def __init__(self, *args: Any, application: Application, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if application.kind != Application.Kind.ADDITIONAL_SPECIMENS:
            del self.fields["scope_unchanged"]

    @staticmethod
    def initial_for(application: Application) -> dict[str, Any]:
        def yes_no(value: bool | None) -> str:
            return "" if value is None else ("yes" if value else "no")

        return {
            "title": application.title,
            "public_summary": application.public_summary,
            "funding_source": application.funding_source,
            "commercial_terms_accepted": application.commercial_terms_accepted,
            "funding_status": application.funding_status,
            "recontact_requested": yes_no(application.recontact_requested),
            "recontact_justification": application.recontact_justification,
            "derivatives_acknowledged": application.derivatives_acknowledged,
            "fee_acknowledged": application.fee_acknowledged,
            "budget_notes": application.budget_notes,
            "scope_unchanged": yes_no(application.scope_unchanged),
        }

    def changes(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["recontact_requested"] = _yes_no(data.get("recontact_requested"))
        if "scope_unchanged" in data:
            data["scope_unchanged"] = _yes_no(data.get("scope_unchanged"))
        return data


class SectionForm(forms.Form):
    # The section's own limit is checked on submission, so that a long draft is kept.
    text = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 14}))
    base_revision = forms.IntegerField(min_value=0, widget=forms.HiddenInput)


class LineForm(PortalForm):
    specimen_type = forms.ChoiceField(choices=SpecimenLine.Type.choices, label="Specimen type")
    other_description = forms.CharField(
        required=False, max_length=200, label="Description (for “Other”)"
    )
    volume_per_aliquot = forms.DecimalField(
        max_digits=10,
        decimal_places=3,
        label="Volume per aliquot",
        help_text="Greater than zero; mass for DNA.",
    )
    unit = forms.ChoiceField(choices=SpecimenLine.Unit.choices)
    aliquots_per_participant = forms.IntegerField(min_value=1, max_value=100)
    participants = forms.IntegerField(min_value=1, max_value=1_000_000, label="Participants")
    subpopulation_criteria = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Which participants: ages, conditions, groups.",
    )
    includes_ai_an = forms.BooleanField(
        required=False,
        label="Includes biospecimens from American Indian or Alaska Native participants "
        "(policy 3.3: extra sections and a dedicated review)",
    )
    qc_samples = forms.IntegerField(min_value=0, max_value=10_000, initial=0, label="QC samples")
    justification = forms.CharField(
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Why this type and this volume (policy 2.3, 4.6: the minimum necessary).",
    )

    def line(self) -> LineInput:
        data = self.cleaned_data
        return LineInput(
            specimen_type=data["specimen_type"],
            other_description=data["other_description"],
            volume_per_aliquot=data["volume_per_aliquot"],
            unit=data["unit"],
            aliquots_per_participant=data["aliquots_per_participant"],
            participants=data["participants"],
            subpopulation_criteria=data["subpopulation_criteria"],
            includes_ai_an=data["includes_ai_an"],
            qc_samples=data["qc_samples"] or 0,
            justification=data["justification"],
        )


class InviteForm(PortalForm):
    email = forms.EmailField(
        label="Their sign-in email address",
        help_text="They need a portal account; they accept the invitation after signing in.",
    )
    role_on_project = forms.CharField(
        required=False, max_length=120, label="Role on the project", help_text="Optional."
    )


class ReturnForm(PortalForm):
    comments = forms.CharField(
        min_length=10,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What the applicant must fix. They see these comments.",
    )


class UploadForm(forms.Form):
    kind = forms.ChoiceField(choices=ApplicationUpload.Kind.choices, label="What is it?")
    person = forms.TypedChoiceField(
        required=False, coerce=int, empty_value=None, label="Whose CV or biosketch"
    )
    file = forms.FileField(help_text="A PDF or Word (.docx) file.")

    def __init__(self, *args: Any, people: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].choices = [("", "Not a CV"), *people]  # type: ignore[attr-defined]
