"""`{% can "action" obj as allowed %}`: templates ask the permission table, as services do.

{% load permissions %}
{% can "requirement_bypass.revoke" bypass as may_revoke %}
{% if may_revoke %}<button …>Revoke</button>{% endif %}
"""

from typing import Any

from django import template

from portal import permissions

register = template.Library()


@register.simple_tag(takes_context=True)
def can(context: dict[str, Any], action: str, obj: object | None = None) -> bool:
    """Whether the signed-in user may take `action` on `obj` (portal.permissions.can)."""
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    if user is None:
        return False
    return permissions.can(user, action, obj)
