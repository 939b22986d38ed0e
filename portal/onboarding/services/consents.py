"""The two consents of policy 2.1: each given and withdrawn on its own, with its wording.

A consent row stores the wording version and the SHA-256 of the text shown (the wordings
are in `portal.onboarding.wordings`), so that an auditor can tell which words were agreed
to even after the wording changes. Rows are never deleted: withdrawing sets `withdrawn_at`,
and giving a consent again afterwards adds a new row.
"""

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from portal.actions import PortalAction
from portal.audit import audit_record
from portal.lifecycles import ensure_transition
from portal.models import Consent, User
from portal.onboarding.helpers import wording_sha256
from portal.onboarding.services.access import access_recheck_after_commit
from portal.onboarding.wordings import consent_wording
from portal.permissions import ensure_can


@transaction.atomic
def consent_give(*, user: User, kind: str, actor: User) -> Consent:
    """The researcher gives one consent to the current wording.

    Only the user themself may consent. Stores the wording version and the SHA-256 of the
    exact text shown, timed now. Giving a consent that is already given (and not withdrawn)
    changes nothing and returns the existing record. Audited as `consent.give`.
    """
    ensure_can(actor, "consent.give", user)
    kind = Consent.Kind(kind)
    # The user row serialises two submissions of the same consent form.
    User.objects.select_for_update().filter(pk=user.pk).first()
    existing = Consent.objects.filter(user=user, kind=kind, withdrawn_at__isnull=True).first()
    if existing is not None:
        return existing
    version = settings.CONSENT_WORDING_VERSION
    text = consent_wording(kind, version=version)
    consent = Consent.objects.create(
        user=user,
        kind=kind,
        wording_version=version,
        wording_sha256=wording_sha256(text),
        given_at=timezone.now(),
    )
    audit_record(
        actor=actor,
        action=PortalAction.CONSENT_GIVE,
        target=consent,
        before={"given": False},
        after={
            "kind": consent.kind,
            "given": True,
            "wording_version": consent.wording_version,
            "wording_sha256": consent.wording_sha256,
            "given_at": consent.given_at,
        },
    )
    access_recheck_after_commit(user_ids=[user.pk])
    return consent


@transaction.atomic
def consent_withdraw(*, consent: Consent, actor: User) -> Consent:
    """The researcher withdraws a consent they gave.

    Only the consent's owner may withdraw it. The record is kept with `withdrawn_at` set;
    the researcher is no longer eligible until they consent again. Withdrawing a consent
    already withdrawn changes nothing. Audited as `consent.withdraw`.
    """
    consent = Consent.objects.select_for_update().select_related("user").get(pk=consent.pk)
    ensure_can(actor, "consent.withdraw", consent)
    if consent.state == Consent.State.WITHDRAWN:
        return consent
    ensure_transition(consent, to=Consent.State.WITHDRAWN)
    consent.withdrawn_at = timezone.now()
    consent.save(update_fields=["withdrawn_at"])
    audit_record(
        actor=actor,
        action=PortalAction.CONSENT_WITHDRAW,
        target=consent,
        before={"kind": consent.kind, "given": True, "withdrawn_at": None},
        after={"kind": consent.kind, "given": False, "withdrawn_at": consent.withdrawn_at},
    )
    access_recheck_after_commit(user_ids=[consent.user_id])
    return consent
