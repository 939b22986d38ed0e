"""Forms for consents and the Code of Conduct. They check shape; the services check policy."""

from collections.abc import Mapping, Sequence
from typing import Any

from django import forms

from portal.forms import PortalForm
from portal.onboarding.wordings import DEFAULT_TITLE

INITIALS_MARKER = "[initials]"


class ConsentGiveForm(PortalForm):
    agree = forms.BooleanField(
        label="I have read the wording above and I give this consent.",
        error_messages={
            "required": "Tick the box to show that you agree, then press Give this consent."
        },
    )


class CodeOfConductSignForm(PortalForm):
    """The signature form for one version; one initials box per statement that asks for it."""

    version = forms.CharField(widget=forms.HiddenInput, max_length=20)
    has_read = forms.BooleanField(
        label="I have read the whole text of the Code of Conduct above.",
        error_messages={
            "required": "Read the whole text above, then tick this box to say you have."
        },
    )
    printed_name = forms.CharField(
        label="Your full name",
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
        error_messages={"required": "Type your full name."},
    )
    password = forms.CharField(
        label="Your password",
        strip=False,
        help_text="Re-enter the password you sign in with, to confirm that it is you signing.",
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": "Re-enter your password to sign."},
    )

    def __init__(self, *args: Any, statements: Sequence[Mapping[str, Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.statements = list(statements)
        for index, statement in enumerate(self.statements):
            if statement.get("initials"):
                self.fields[self.initials_field(index)] = forms.CharField(
                    label=f"Your initials for statement {index + 1}",
                    max_length=10,
                    required=False,
                    widget=forms.TextInput(
                        attrs={"autocomplete": "off", "size": "5", "class": "initials-input"}
                    ),
                )

    @staticmethod
    def initials_field(index: int) -> str:
        return f"initials_{index}"

    def statement_rows(self) -> list[tuple[int, str, forms.BoundField | None]]:
        """(number, text, initials field or None) for each statement, in order."""
        return [
            (
                index + 1,
                str(statement.get("text", "")),
                self[self.initials_field(index)] if statement.get("initials") else None,
            )
            for index, statement in enumerate(self.statements)
        ]

    def initials(self) -> dict[int, str]:
        return {
            index: self.cleaned_data.get(self.initials_field(index)) or ""
            for index, statement in enumerate(self.statements)
            if statement.get("initials")
        }


class CodeOfConductMakeCurrentForm(PortalForm):
    """Make a published version the one to sign; the version it replaces keeps a grace period."""

    previous_accepted_until = forms.DateField(
        required=False,
        label="Signatures on the version signed now still count through",
        help_text="The last day on which signatures on the version it replaces still count "
        "(YYYY-MM-DD). Leave empty to retire that version at once: its signers must sign the "
        "new version before they are eligible again.",
        widget=forms.DateInput(attrs={"type": "date"}),
    )


class CodeOfConductPublishForm(PortalForm):
    version = forms.CharField(
        label="Version label",
        max_length=20,
        help_text="A new label, for example 2027.1. A label can be used only once.",
    )
    title = forms.CharField(max_length=200, initial=DEFAULT_TITLE)
    body = forms.CharField(
        label="Full text",
        max_length=100_000,
        widget=forms.Textarea(attrs={"rows": 18}),
        help_text="Plain text. Separate paragraphs with a blank line.",
    )
    statements = forms.CharField(
        label="Statements to acknowledge",
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=(
            "One statement per line, in order. Start a line with "
            f"{INITIALS_MARKER} when the signer must initial that statement."
        ),
    )

    def clean_statements(self) -> list[dict[str, Any]]:
        parsed = []
        for line in self.cleaned_data["statements"].splitlines():
            text = line.strip()
            needs_initials = text.lower().startswith(INITIALS_MARKER)
            if needs_initials:
                text = text[len(INITIALS_MARKER) :].strip()
            if text:
                parsed.append({"text": text, "initials": needs_initials})
        if not parsed:
            raise forms.ValidationError("Write at least one statement, one per line.")
        return parsed
