"""Where the apps built on this one plug in, since this app may not import them (the
import contract: portal <- applications <- review <- compliance).

- `register_visibility(grant=..., exclude=...)`: who else may open an application (a
  reviewer assigned to it) and who may not although their role would let them (a board
  member recused by a conflict of interest). Each is a function of the viewer returning a
  `Q` over applications, or None when it has nothing to say about that viewer.
- `register_detail_panel(provider)`: a block on the application's overview page; the
  provider takes the application and the viewer and returns the block's context (with its
  "template"), or None.
- `register_after_accept(callback)`: called inside the transaction that accepts an
  application into review (the review app opens its review round there).
"""

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.db.models import Q

from portal.models import User

if TYPE_CHECKING:
    from applications.models import Application

VisibilityRule = Callable[[User], Q | None]
DetailPanel = Callable[["Application", User], dict[str, Any] | None]
AfterAccept = Callable[["Application", User], None]

_GRANTS: list[VisibilityRule] = []
_EXCLUSIONS: list[VisibilityRule] = []
_PANELS: list[DetailPanel] = []
_AFTER_ACCEPT: list[AfterAccept] = []


def register_visibility(
    *, grant: VisibilityRule | None = None, exclude: VisibilityRule | None = None
) -> None:
    if grant is not None:
        _GRANTS.append(grant)
    if exclude is not None:
        _EXCLUSIONS.append(exclude)


def register_detail_panel(provider: DetailPanel) -> None:
    _PANELS.append(provider)


def register_after_accept(callback: AfterAccept) -> None:
    _AFTER_ACCEPT.append(callback)


def extra_grants(viewer: User) -> list[Q]:
    return [q for rule in _GRANTS if (q := rule(viewer)) is not None]


def exclusions(viewer: User) -> list[Q]:
    return [q for rule in _EXCLUSIONS if (q := rule(viewer)) is not None]


def detail_panels(application: "Application", viewer: User) -> list[dict[str, Any]]:
    return [p for provider in _PANELS if (p := provider(application, viewer)) is not None]


def after_accept(application: "Application", actor: User) -> None:
    for callback in _AFTER_ACCEPT:
        callback(application, actor)
