"""Reads on the two consents of policy 2.1: each with its current wording and the history."""

from dataclasses import dataclass

from django.conf import settings
from django.db.models import QuerySet

from portal.models import Consent, User
from portal.onboarding.wordings import CONSENT_TITLES, consent_wording


@dataclass(frozen=True)
class ConsentState:
    """One consent as the consents page shows it: its wording and the user's records."""

    kind: str
    title: str
    wording: str
    wording_version: str
    current: Consent | None
    history: tuple[Consent, ...]

    @property
    def given(self) -> bool:
        return self.current is not None

    @property
    def current_on_older_wording(self) -> bool:
        return self.current is not None and self.current.wording_version != self.wording_version


def consent_states_for(*, user: User) -> list[ConsentState]:
    """Each consent kind with its current wording, the user's current consent and history.

    One query for all of the user's consent records.
    """
    records = list(Consent.objects.filter(user=user).order_by("-given_at", "-id"))
    states = []
    for kind in Consent.Kind:
        history = tuple(c for c in records if c.kind == kind)
        current = next((c for c in history if c.withdrawn_at is None), None)
        states.append(
            ConsentState(
                kind=kind.value,
                title=CONSENT_TITLES[kind],
                wording=consent_wording(kind),
                wording_version=settings.CONSENT_WORDING_VERSION,
                current=current,
                history=history,
            )
        )
    return states


def consents_of(*, user: User) -> QuerySet[Consent]:
    """The user's own consent records (to scope a withdrawal to its owner)."""
    return Consent.objects.filter(user=user)
