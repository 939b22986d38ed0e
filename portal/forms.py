"""The portal's base form: limits on free text, told in the portal's words."""

from typing import Any

from django import forms
from django.core.validators import MaxLengthValidator

TOO_LONG = "Keep this to %(limit_value)d characters or fewer; it has %(show_value)d now."
# Free text with no limit of its own (a Textarea) gets this one.
DEFAULT_TEXT_LIMIT = 5000


class PortalForm(forms.Form):
    """Every text field has a length limit, and the message says what to do."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if not isinstance(field, forms.CharField):
                continue
            if field.max_length is None:
                field.max_length = DEFAULT_TEXT_LIMIT
                field.validators.append(MaxLengthValidator(DEFAULT_TEXT_LIMIT))
                field.widget.attrs.setdefault("maxlength", str(DEFAULT_TEXT_LIMIT))
            field.error_messages.setdefault("max_length", TOO_LONG)
            if field.error_messages["max_length"].startswith("Ensure this value"):
                field.error_messages["max_length"] = TOO_LONG
