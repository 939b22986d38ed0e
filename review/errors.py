"""The review app's refusals; each message is written for the person who acted."""

from portal.errors import DomainError


class ReviewRefused(DomainError):
    """A refused review step: every unmet condition at once (DESIGN.md: guards collect every
    failure), each a sentence that says what to do."""

    def __init__(self, problems: list[str]) -> None:
        if len(problems) == 1:
            message = problems[0]
        else:
            message = f"This cannot be done yet: {len(problems)} things to settle first."
        super().__init__(message)
        self.problems = problems
