"""Domain errors. Views catch DomainError and show its message to the user."""


class DomainError(Exception):
    """A refused action. The message is written for the person who tried it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class PermissionRefused(DomainError):
    """The actor may not do this to this record."""


class TransitionNotAllowed(DomainError):
    """The record's current state does not allow the change."""


class NotEligible(DomainError):
    """Someone who must meet every access requirement (policy 2.1) does not.

    `failing` names each requirement that does not hold, as the person reads it.
    """

    def __init__(self, message: str, *, failing: list[str]) -> None:
        super().__init__(message)
        self.failing = failing
