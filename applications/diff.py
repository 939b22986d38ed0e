"""What a follow-up changes against its original (policy 3.2, 2.3): every changed detail,
section and specimen line, side by side, for the applicant and, later, the reviewers."""

import difflib
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from applications.models import Application
from applications.sections import sections_from_data
from applications.services.follow_ups import _LINE_FIELDS


@dataclass(frozen=True)
class Change:
    title: str
    before: SafeString
    after: SafeString


def _marked(before: str, after: str) -> tuple[SafeString, SafeString]:
    """Both texts, escaped, with removed words in <del> and added words in <ins>."""
    old, new = before.split(" "), after.split(" ")
    left: list[str] = []
    right: list[str] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old, b=new).get_opcodes():
        removed, added = escape(" ".join(old[i1:i2])), escape(" ".join(new[j1:j2]))
        if op == "equal":
            left.append(removed)
            right.append(added)
            continue
        if removed:
            left.append(f"<del>{removed}</del>")
        if added:
            right.append(f"<ins>{added}</ins>")
    return mark_safe(" ".join(left)), mark_safe(" ".join(right))  # noqa: S308  # escaped above


_DETAILS = {
    "title": "Title",
    "public_summary": "Plain-language summary",
    "funding_source": "Funding source",
    "funding_status": "Funding status",
    "budget_notes": "Budget for returning data",
}


def _line_text(values: dict[str, object]) -> str:
    return "; ".join(f"{field.replace('_', ' ')}: {values[field]}" for field in _LINE_FIELDS)


def package_diff(application: Application) -> list[Change]:
    """Every part of `application` that differs from its original, in the page's order."""
    original = application.original
    if original is None:
        return []
    changes: list[Change] = []
    for field, label in _DETAILS.items():
        before, after = str(getattr(original, field)), str(getattr(application, field))
        if before != after:
            changes.append(Change(label, *_marked(before, after)))
    old_answers = dict(original.answers.values_list("key", "text"))
    new_answers = dict(application.answers.values_list("key", "text"))
    for spec in sections_from_data(application.template_version.sections):
        before, after = old_answers.get(spec.key, ""), new_answers.get(spec.key, "")
        if before != after:
            changes.append(Change(spec.title, *_marked(before, after)))
    old_lines = [_line_text(v) for v in original.lines.order_by("pk").values(*_LINE_FIELDS)]
    new_lines = [_line_text(v) for v in application.lines.order_by("pk").values(*_LINE_FIELDS)]
    for n in range(max(len(old_lines), len(new_lines))):
        before = old_lines[n] if n < len(old_lines) else ""
        after = new_lines[n] if n < len(new_lines) else ""
        if before != after:
            changes.append(Change(f"Specimen line {n + 1}", *_marked(before, after)))
    return changes


def submission_diff(before: dict[str, object], after: dict[str, object]) -> list[Change]:
    """What changed between two submissions' snapshots (a resubmission after the board
    asked for revisions): details, sections and specimen lines."""
    changes: list[Change] = []
    old_details, new_details = before.get("details", {}), after.get("details", {})
    if not isinstance(old_details, dict) or not isinstance(new_details, dict):
        return changes
    for field, label in _DETAILS.items():
        old, new = str(old_details.get(field, "")), str(new_details.get(field, ""))
        if old != new:
            changes.append(Change(label, *_marked(old, new)))
    old_sections, new_sections = before.get("sections", {}), after.get("sections", {})
    if not isinstance(old_sections, dict) or not isinstance(new_sections, dict):
        return changes
    for key in dict.fromkeys([*old_sections, *new_sections]):
        old, new = str(old_sections.get(key, "")), str(new_sections.get(key, ""))
        if old != new:
            changes.append(Change(key.replace("_", " ").capitalize(), *_marked(old, new)))
    old_lines = [_line_text(v) for v in before.get("lines", []) or []]  # type: ignore[attr-defined]
    new_lines = [_line_text(v) for v in after.get("lines", []) or []]  # type: ignore[attr-defined]
    if old_lines != new_lines:
        changes.append(
            Change("Specimen lines", *_marked("\n".join(old_lines), "\n".join(new_lines)))
        )
    return changes
