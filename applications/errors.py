"""The applications app's refusals; each message is written for the person who acted."""

from dataclasses import dataclass

from portal.errors import DomainError


@dataclass(frozen=True)
class Problem:
    """One thing that stops a submission, with the id of the field or part to fix."""

    anchor: str
    message: str


class ApplicationIncomplete(DomainError):
    """A submission refused: every problem at once, each with a link to its field."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(
            f"The application cannot be submitted yet: {len(problems)} thing"
            f"{'s' if len(problems) != 1 else ''} to fix. Each is listed with a link to it."
        )
        self.problems = problems


class NotEditable(DomainError):
    """The package is read-only in its current state."""


class SectionConflict(DomainError):
    """Someone saved the section since this text was loaded (another tab, say)."""

    def __init__(self, *, key: str, theirs: str, yours: str, revision: int) -> None:
        super().__init__(
            "This section was saved elsewhere (another tab or window) after you opened it. "
            "Both texts are shown: keep one, or merge them, and save again."
        )
        self.key = key
        self.theirs = theirs
        self.yours = yours
        self.revision = revision
