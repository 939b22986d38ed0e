"""The form that confirms revoking a bypass (granting one is in forms_roster)."""

from django import forms

from portal.forms import PortalForm
from portal.onboarding.services.bypass import REVOKE_REASON_MIN

REVOKE_REASON_MAX = 2000


class BypassRevokeForm(PortalForm):
    reason = forms.CharField(
        label="Why revoke it",
        min_length=REVOKE_REASON_MIN,
        max_length=REVOKE_REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The person's record and the audit log show this reason.",
        error_messages={
            "required": "Say why the bypass is revoked: the record and the audit log show it.",
            "min_length": f"Say a little more: at least {REVOKE_REASON_MIN} characters.",
            "max_length": f"Keep the reason to {REVOKE_REASON_MAX:,} characters or fewer.",
        },
    )
    confirm = forms.BooleanField(
        label="Yes, revoke this bypass now",
        error_messages={"required": "Tick the box to confirm, or go back to the record."},
    )
