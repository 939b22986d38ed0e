from typing import Any

from django.apps import AppConfig


def _recheck_after_two_factor_change(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    """Glue: turning two-factor on or off can move a verdict; re-check that user at once."""
    from portal.onboarding.services.access import access_recheck_after_commit

    access_recheck_after_commit(user_ids=[user.pk])


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Portal"

    def ready(self) -> None:
        from allauth.mfa import signals

        from portal.facts import connect_invalidation

        connect_invalidation()
        signals.authenticator_added.connect(_recheck_after_two_factor_change)
        signals.authenticator_removed.connect(_recheck_after_two_factor_change)
