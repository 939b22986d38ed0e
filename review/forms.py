"""Forms of board review: they check shape; the services check policy."""

from typing import Any, cast

from django import forms

from applications.models import SpecimenLine
from portal.forms import PortalForm
from review.criteria import CRITERIA, SCORE_LABELS
from review.models import (
    BoardMember,
    ConflictDeclaration,
    Consultation,
    Decision,
    Meeting,
    ScoreSheet,
)

SCORE_CHOICES = [("", "Choose a score"), *((str(k), v) for k, v in SCORE_LABELS.items())]


class AssignForm(PortalForm):
    reviewers = forms.MultipleChoiceField(
        widget=forms.CheckboxSelectMultiple,
        help_text="At least three, with a participant representative and an ELSI member.",
        error_messages={"required": "Choose the reviewers."},
    )
    due_on = forms.DateField(
        label="Reviews due",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={
            "required": "Give the date the score sheets are due.",
            "invalid": "Give the due date as a date, e.g. 2027-01-31.",
        },
    )

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["reviewers"]).choices = choices


class DeclarationForm(PortalForm):
    conflicted = forms.ChoiceField(
        label="Do you have a conflict of interest with this application?",
        choices=[("no", "No, I have no conflict"), ("yes", "Yes, I have a conflict")],
        widget=forms.RadioSelect,
        error_messages={"required": "Say whether you have a conflict of interest."},
    )
    conflict_type = forms.ChoiceField(
        required=False,
        label="Type of conflict",
        choices=[("", "Choose if you have a conflict"), *ConflictDeclaration.Type.choices],
    )
    description = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Describe the conflict; the chair and the record see it.",
    )


class ChairConflictForm(PortalForm):
    conflict_type = forms.ChoiceField(
        label="Type of conflict", choices=[("", "Choose"), *ConflictDeclaration.Type.choices]
    )
    description = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    hand_to = forms.ChoiceField(
        label="Hand the application to", help_text="Another chair or a program admin."
    )

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["hand_to"]).choices = [("", "Choose"), *choices]


class SuggestionForm(PortalForm):
    member = forms.IntegerField(widget=forms.HiddenInput)
    decision = forms.ChoiceField(choices=[("confirm", "Confirm"), ("dismiss", "Dismiss")])
    reason = forms.CharField(
        required=False,
        max_length=1000,
        label="Why it is a false positive",
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ScoreSheetForm(PortalForm):
    """One score and comment per criterion of policy 3.1, then the overall impact."""

    # Scores are free text to the form with a select to pick from: the service names a
    # forged or out-of-range value in words (review.scoring.sheet_problems).
    overall = forms.CharField(
        label="Overall impact",
        required=False,
        max_length=10,
        widget=forms.Select(choices=SCORE_CHOICES),
    )
    recommendation = forms.ChoiceField(
        required=False, choices=[("", "Choose"), *ScoreSheet.Recommendation.choices]
    )
    comments_for_applicant = forms.CharField(
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="The applicant reads these with the decision.",
    )
    confidential_comments = forms.CharField(
        required=False,
        max_length=5000,
        label="Confidential comments for the board",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Never shown to the applicant.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for criterion in CRITERIA:
            self.fields[f"score_{criterion.key}"] = forms.CharField(
                label=criterion.title,
                help_text=criterion.question,
                widget=forms.Select(choices=SCORE_CHOICES),
                required=False,
                max_length=10,
            )
            self.fields[f"comment_{criterion.key}"] = forms.CharField(
                label=f"Comment on {criterion.title.lower()}",
                required=False,
                max_length=3000,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
        # The criteria first, in the policy's order.
        order = [f for c in CRITERIA for f in (f"score_{c.key}", f"comment_{c.key}")]
        self.order_fields(order)

    def sheet_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "scores": {
                c.key: {
                    "score": data.get(f"score_{c.key}", ""),
                    "comment": data.get(f"comment_{c.key}", ""),
                }
                for c in CRITERIA
            },
            "overall": data.get("overall", ""),
            "recommendation": data.get("recommendation", ""),
            "comments_for_applicant": data.get("comments_for_applicant", ""),
            "confidential_comments": data.get("confidential_comments", ""),
        }

    @staticmethod
    def initial_from(sheet: Any) -> dict[str, Any]:
        if sheet is None:
            return {}
        initial: dict[str, Any] = {
            "overall": str(sheet.overall or ""),
            "recommendation": sheet.recommendation,
            "comments_for_applicant": sheet.comments_for_applicant,
            "confidential_comments": sheet.confidential_comments,
        }
        for c in CRITERIA:
            entry = sheet.scores.get(c.key, {})
            initial[f"score_{c.key}"] = str(entry.get("score") or "")
            initial[f"comment_{c.key}"] = entry.get("comment", "")
        return initial


class DiscussionForm(PortalForm):
    body = forms.CharField(
        label="Your message",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Write a message before posting."},
    )


class EscalateForm(PortalForm):
    question = forms.CharField(
        label="Question for the RAB",
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Write the question for the RAB."},
    )


class DeterminationForm(PortalForm):
    determination = forms.CharField(
        label="The RAB's determination",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Write the RAB's determination."},
    )


class ConsultationForm(PortalForm):
    party = forms.ChoiceField(label="Who was consulted", choices=Consultation.Party.choices)
    held_on = forms.DateField(
        label="Held on",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Give the date as a date, e.g. 2026-11-30."},
    )
    summary = forms.CharField(max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))


class FastTrackForm(PortalForm):
    comments_for_applicant = forms.CharField(
        required=False,
        label="Comments for the applicant",
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class MeetingForm(PortalForm):
    title = forms.CharField(max_length=200)
    kind = forms.ChoiceField(choices=Meeting.Kind.choices, widget=forms.RadioSelect)
    ai_an_review = forms.BooleanField(
        required=False,
        label="Held to review requests that include American Indian or Alaska Native "
        "biospecimens (policy 3.3)",
    )
    starts_at = forms.DateTimeField(
        label="Starts at",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        error_messages={"invalid": "Give the date and time, e.g. 2027-01-15 14:00."},
        help_text="Program time.",
    )


class AgendaForm(PortalForm):
    application = forms.ChoiceField(label="Application")

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["application"]).choices = [
            ("", "Choose an application in review"),
            *choices,
        ]


class AttendanceForm(PortalForm):
    present = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple, label="Members present"
    )

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["present"]).choices = choices


class VoteFields(PortalForm):
    votes_for = forms.IntegerField(min_value=0, max_value=200, initial=0, label="Votes for")
    votes_against = forms.IntegerField(min_value=0, max_value=200, initial=0, label="Against")
    abstentions = forms.IntegerField(min_value=0, max_value=200, initial=0)


class DecisionForm(VoteFields):
    outcome = forms.ChoiceField(
        label="The board's decision",
        choices=[
            (value, label)
            for value, label in Decision.Outcome.choices
            if value != Decision.Outcome.APPROVE_WITHOUT_REVIEW
        ],
        widget=forms.RadioSelect,
    )
    reasons = forms.CharField(
        required=False,
        label="Reasons for a denial",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The applicant reads them.",
    )
    required_changes = forms.CharField(
        required=False,
        label="Changes required (for revisions)",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    comments_for_applicant = forms.CharField(
        required=False,
        label="Comments for the applicant",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Nothing confidential: the applicant reads these.",
    )
    field_order = ["outcome", "votes_for", "votes_against", "abstentions"]


class RecontactForm(VoteFields):
    approved = forms.ChoiceField(
        label="Re-contact of participants",
        choices=[("yes", "Approved"), ("no", "Not approved")],
        widget=forms.RadioSelect,
    )
    conditions = forms.CharField(
        required=False,
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="How it must be done: only through the program (policy 1.1).",
    )
    field_order = ["approved", "votes_for", "votes_against", "abstentions", "conditions"]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data]
        return [single(data, initial)] if data else []


class AppealForm(PortalForm):
    grounds = forms.CharField(
        label="Grounds for your appeal",
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": "Give the grounds for your appeal."},
    )
    documents = MultipleFileField(
        required=False,
        label="Supporting documents",
        help_text="PDF or DOCX, up to five.",
    )


class AppealDetermineForm(PortalForm):
    outcome = forms.ChoiceField(
        label="The RAB's determination",
        choices=[
            ("uphold", "Uphold the denial (final)"),
            ("return", "Return to the PRAB for a new review with new reviewers"),
        ],
        widget=forms.RadioSelect,
    )
    determination = forms.CharField(
        label="Reasons",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="The applicant reads them.",
    )


class BoardMemberForm(PortalForm):
    expertise = forms.ChoiceField(choices=BoardMember.Expertise.choices)
    institution = forms.CharField(max_length=255, required=False)


class VolumeForm(PortalForm):
    specimen_type = forms.ChoiceField(label="Specimen type", choices=SpecimenLine.Type.choices)
    volume = forms.DecimalField(
        min_value=0,
        max_digits=14,
        decimal_places=3,
        help_text="In mL (µg for DNA).",
        error_messages={"min_value": "A volume cannot be negative: enter 0 when none is left."},
    )
    note = forms.CharField(required=False, max_length=300)
