"""Forms for the roster page and the bypass form on a researcher's record (shape only).

Whether a roster's lines are good is decided by `portal.onboarding.roster_files`, and whether
a bypass may be granted by the service in `portal.onboarding.services.bypass`.
"""

from django import forms
from django.core.files.uploadedfile import UploadedFile

from portal.forms import PortalForm
from portal.onboarding.eligibility import REQUIREMENT_LABELS, Requirement
from portal.onboarding.services.roster import DROP_REASON_MAX, DROP_REASON_MIN

# A roster line is well under 200 bytes; this leaves room for several hundred thousand users.
ROSTER_MAX_BYTES = 50 * 1024 * 1024


class RosterUploadForm(PortalForm):
    roster = forms.FileField(
        label="Roster file (CSV)",
        help_text="The Controlled Tier roster exported from the Researcher Workbench: a CSV "
        "file whose first line is email,workbench_username,access_expires_on, with dates as "
        "YYYY-MM-DD.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_roster(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["roster"]
        if upload.size is not None and upload.size > ROSTER_MAX_BYTES:
            raise forms.ValidationError(
                f"The file is larger than {ROSTER_MAX_BYTES // (1024 * 1024)} MB; "
                "check that it is the roster export and not another file."
            )
        return upload


class RosterConfirmForm(PortalForm):
    """Putting a reviewed roster in force; a large drop needs the box and a reason."""

    drop_confirmed = forms.BooleanField(
        required=False,
        label="I have checked this drop with the Researcher Workbench and these researchers "
        "should lose Controlled Tier authorization",
    )
    drop_reason = forms.CharField(
        required=False,
        max_length=DROP_REASON_MAX,
        label="Why the roster drops these entries",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Kept with the import and in the audit log.",
        error_messages={
            "max_length": f"Keep the reason to {DROP_REASON_MAX:,} characters or fewer; "
            "shorten it and confirm again."
        },
    )

    def __init__(self, *args: object, needs_drop_confirmation: bool = False, **kwargs: object):
        super().__init__(*args, **kwargs)
        self.needs_drop_confirmation = needs_drop_confirmation

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if self.needs_drop_confirmation:
            if not data.get("drop_confirmed"):
                self.add_error(
                    "drop_confirmed",
                    "Tick the box to confirm the drop, or set this roster aside.",
                )
            if len(str(data.get("drop_reason", "")).strip()) < DROP_REASON_MIN:
                self.add_error(
                    "drop_reason",
                    f"Say why these entries are dropped, in at least {DROP_REASON_MIN} characters.",
                )
        return data


class BypassGrantForm(PortalForm):
    requirement = forms.ChoiceField(
        choices=[("", "Choose a requirement")]
        + [(r.value, REQUIREMENT_LABELS[r]) for r in Requirement],
        help_text="The one requirement to waive for this person.",
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Why it is waived, and what you checked (at least 20 characters). "
        "The person's record and the audit log show this reason.",
    )
    expires_on = forms.DateField(
        required=False,
        label="Last day of the bypass",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Leave empty to waive until a program admin revokes it.",
    )
