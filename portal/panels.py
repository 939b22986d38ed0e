"""Dashboard panels that later apps fill in: the dashboards live in `portal`, which may not
import the apps built on it, so an app registers a provider for a role's panel when it is
ready (`register_panel`), and the dashboard asks every provider of its role.

A provider takes the signed-in user and returns the panel's context (with the template that
renders it under "template"), or None to leave the panel in its empty state.
"""

from collections.abc import Callable
from typing import Any

from portal.models import User

PanelProvider = Callable[[User], dict[str, Any] | None]
_PANELS: dict[str, dict[str, PanelProvider]] = {}


def register_panel(role: str, panel_id: str, provider: PanelProvider) -> None:
    _PANELS.setdefault(role, {})[panel_id] = provider


def panels_for(role: str, user: User) -> dict[str, dict[str, Any]]:
    """Each registered panel of `role` that has something to show `user`, by panel id."""
    shown = {}
    for panel_id, provider in _PANELS.get(role, {}).items():
        context = provider(user)
        if context is not None:
            shown[panel_id] = context
    return shown
