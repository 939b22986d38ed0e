"""Lifecycles as data: each record's allowed state changes are one table next to its state.

A model with a lifecycle declares, next to its state field::

    class Consent(models.Model):
        class State(models.TextChoices):
            GIVEN = "given", "Given"
            WITHDRAWN = "withdrawn", "Withdrawn"

        LIFECYCLE = Lifecycle(
            field="state",
            states=State,
            transitions=[Transition(State.GIVEN, State.WITHDRAWN, "consent.withdraw")],
        )

Each transition names the permission action (`portal.permissions`) that takes it. The
service that makes the change calls `ensure_transition(obj, to=...)` after `ensure_can`;
a change the table does not list raises `TransitionNotAllowed` with a message for the user.

`permission_matrix(Model)` joins a lifecycle with the permission table: for every state,
every action that leaves it and every role, whether that role may take it. The docs
publish it (`manage.py permission_table`) and the tests compare the docs with it.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db import models

from portal.errors import TransitionNotAllowed
from portal.roles import Role


@dataclass(frozen=True)
class Transition:
    source: str
    target: str
    action: str
    """The permission action (and audit action) that makes this change."""


class Lifecycle:
    """The allowed transitions of one state field."""

    def __init__(
        self,
        *,
        field: str,
        states: type[models.TextChoices],
        transitions: Iterable[Transition],
        noun: str = "record",
    ) -> None:
        self.field = field
        self.states = states
        self.noun = noun
        self.transitions = tuple(transitions)
        known = set(states.values)
        for t in self.transitions:
            if t.source not in known or t.target not in known:
                raise ValueError(f"Transition {t} names a state that {states.__name__} lacks.")
        # A pair of states may be joined by more than one action (the board decides an
        # approval; the chair approves an additional-specimen request without full review).
        self._by_pair: dict[tuple[str, str], list[Transition]] = {}
        for t in self.transitions:
            self._by_pair.setdefault((str(t.source), str(t.target)), []).append(t)
        if len(set(self.transitions)) != len(self.transitions):
            raise ValueError("A lifecycle lists the same transition twice.")

    def label(self, state: str) -> str:
        return str(dict(self.states.choices).get(state, state)).lower()

    def find(self, source: str, target: str, action: str | None = None) -> Transition | None:
        for t in self._by_pair.get((str(source), str(target)), []):
            if action is None or t.action == action:
                return t
        return None

    def leaving(self, source: str) -> list[Transition]:
        return [t for t in self.transitions if t.source == source]


def lifecycle_of(obj_or_model: Any) -> Lifecycle:
    lifecycle = getattr(obj_or_model, "LIFECYCLE", None)
    if not isinstance(lifecycle, Lifecycle):
        raise TypeError(f"{obj_or_model!r} has no LIFECYCLE table.")
    return lifecycle


def ensure_transition(obj: models.Model, *, to: str, action: str | None = None) -> Transition:
    """The transition from `obj`'s current state to `to` (by `action`, when more than one
    action joins the two states), or TransitionNotAllowed."""
    lifecycle = lifecycle_of(obj)
    current = str(getattr(obj, lifecycle.field))
    transition = lifecycle.find(current, str(to), action)
    if transition is None:
        if current == str(to):
            message = (
                f"This {lifecycle.noun} is already {lifecycle.label(current)}; nothing changed."
            )
        else:
            message = (
                f"This {lifecycle.noun} is {lifecycle.label(current)}, so it cannot become "
                f"{lifecycle.label(str(to))}. Reload the page to see where it stands now."
            )
        raise TransitionNotAllowed(message)
    return transition


@dataclass(frozen=True)
class MatrixRow:
    """May `role` take `action` on a record in `state`? `condition` says under what proviso."""

    state: str
    action: str
    target: str
    role: str
    allowed: bool
    condition: str = ""


def permission_matrix(model: Any) -> Iterator[MatrixRow]:
    """(state, action, role) -> allowed, from the model's lifecycle and the permission table."""
    from portal.permissions import PERMISSIONS, roles_granted

    lifecycle = lifecycle_of(model)
    for state in lifecycle.states.values:
        for transition in lifecycle.leaving(state):
            granted = roles_granted(transition.action)
            for role in Role:
                yield MatrixRow(
                    state=state,
                    action=transition.action,
                    target=transition.target,
                    role=role.value,
                    allowed=role.value in granted,
                    condition=granted.get(role.value, ""),
                )
            if PERMISSIONS[transition.action].system:
                yield MatrixRow(state, transition.action, transition.target, "system", True)


def lifecycle_models() -> list[Any]:
    """Every installed model that declares a LIFECYCLE, by app and name."""
    from django.apps import apps

    return sorted(
        (m for m in apps.get_models() if isinstance(getattr(m, "LIFECYCLE", None), Lifecycle)),
        key=lambda m: m._meta.label,
    )


def permissions_markdown() -> str:
    """The published table (docs/permissions.md): every action, then every lifecycle."""
    from portal.permissions import permission_table

    roles = [role.value for role in Role]
    lines = [
        "# Permissions and lifecycles",
        "",
        "Generated by `manage.py permission_table` from `portal/permissions.py` and the",
        "lifecycle tables next to each status field; a test fails when this file and the code",
        "disagree. `yes`: the role may; `own`: only on their own records (or the condition",
        "named); blank: refused. `system` is a scheduled job or an operator's command.",
        "",
        "## Actions",
        "",
        "| action | on | " + " | ".join(roles) + " | system |",
        "|---|---|" + "---|" * (len(roles) + 1),
    ]
    for row in permission_table():
        cells = [_cell(row.by_role, role) for role in roles]
        lines.append(
            f"| `{row.action}` | {row.subject} | "
            + " | ".join(cells)
            + f" | {'yes' if row.system else ''} |"
        )
    for model in lifecycle_models():
        lifecycle = lifecycle_of(model)
        lines += [
            "",
            f"## {model._meta.verbose_name.capitalize()} (`{model._meta.label}`)",
            "",
            "| from | action | to | " + " | ".join(roles) + " | system |",
            "|---|---|---|" + "---|" * (len(roles) + 1),
        ]
        for state in lifecycle.states.values:
            rows = [r for r in permission_matrix(model) if r.state == state]
            for action, target in dict.fromkeys((r.action, r.target) for r in rows):
                by_role = {
                    r.role: r.condition
                    for r in rows
                    if r.action == action and r.target == target and r.allowed
                }
                cells = [_cell(by_role, role) for role in roles]
                lines.append(
                    f"| {state} | `{action}` | {target} | "
                    + " | ".join(cells)
                    + f" | {'yes' if 'system' in by_role else ''} |"
                )
    return "\n".join(lines) + "\n"


def _cell(by_role: dict[str, str] | Any, role: str) -> str:
    if role not in by_role:
        return ""
    condition = by_role[role]
    return "own" if condition == "own records only" else (condition or "yes")
