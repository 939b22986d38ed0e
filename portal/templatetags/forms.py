"""`{% error_summary form %}`: at the top of a form, every error with a link to its field."""

from typing import Any

from django import template
from django.forms import BaseForm

register = template.Library()


@register.inclusion_tag("includes/error_summary.html")
def error_summary(form: BaseForm | None, heading: str = "") -> dict[str, Any]:
    """The form's errors in field order, each with the id of the field to link to; nothing
    when the form is valid or unbound. `heading` replaces the summary's first line."""
    if form is None or not form.is_bound or not form.errors:
        return {"items": [], "count": 0}
    items: list[dict[str, str]] = [{"href": "", "text": str(e)} for e in form.non_field_errors()]
    for field in form:
        for error in field.errors:
            widget_id = field.field.widget.attrs.get("id") or field.auto_id
            items.append(
                {
                    "href": f"#{widget_id}" if widget_id else "",
                    "label": str(field.label),
                    "text": str(error),
                }
            )
    return {"items": items, "count": len(items), "heading": heading}
