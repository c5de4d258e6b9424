"""Typed errors that services raise; one exception handler maps them to HTTP answers."""

from __future__ import annotations


class ApplicationError(Exception):
    """A request that the domain refuses: bad input, a broken rule. Maps to 400."""

    status_code = 400

    def __init__(self, message: str, *, errors: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.message = str(message)
        self.errors = errors or {}


class ConflictError(ApplicationError):
    """The object changed under the request (double submit, concurrent edit). Maps to 409."""

    status_code = 409


class TransitionNotAllowed(ConflictError):
    """The workflow does not allow this transition from the object's current state."""
