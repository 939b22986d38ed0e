"""The people list's search, filters and sort (staff pages)."""

from typing import ClassVar

from django import forms

from portal.forms import PortalForm

VERDICTS = [
    ("", "Any verdict"),
    ("eligible", "Eligible"),
    ("not_eligible", "Not eligible"),
    ("unchecked", "Not checked yet"),
]
SORTS = [
    ("name", "Name, A to Z"),
    ("-name", "Name, Z to A"),
    ("email", "Email, A to Z"),
    ("-email", "Email, Z to A"),
    ("verdict", "Not eligible first"),
    ("-verdict", "Eligible first"),
    ("expiry", "Next expiry, soonest first"),
    ("-expiry", "Next expiry, latest first"),
]


class PeopleFilterForm(PortalForm):
    q = forms.CharField(
        label="Name or email address",
        required=False,
        min_length=3,
        max_length=200,
        error_messages={
            "min_length": "Type at least 3 characters of a name or email address to search.",
            "max_length": "Search with 200 characters or fewer.",
        },
    )
    verdict = forms.ChoiceField(label="Verdict", choices=VERDICTS, required=False)
    expiring = forms.BooleanField(label="Expiring within 30 days", required=False)
    sort = forms.ChoiceField(label="Sort by", choices=SORTS, required=False)

    DEFAULTS: ClassVar[dict[str, object]] = {
        "q": "",
        "verdict": "",
        "expiring": False,
        "sort": "name",
    }

    def cleaned_or_defaults(self) -> dict[str, object]:
        """The valid values, with a bad one (a hand-edited URL) falling back to its default."""
        defaults = self.DEFAULTS
        if self.is_valid():
            data = {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}
            return {**defaults, **data}
        return {
            k: self.cleaned_data.get(k, v) if k not in self.errors else v
            for k, v in defaults.items()
        }
