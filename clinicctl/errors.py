"""Exit codes and the errors that carry them.

Services raise a ``ClinicError`` subclass; the root command turns it into a one-line
``Error: ...`` on stderr and the subclass's exit code. Every exit path uses ``ExitCode``.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import IntEnum
from typing import Any


class ExitCode(IntEnum):
    OK = 0
    UNEXPECTED = 1
    INVALID_INPUT = 2
    NOT_FOUND = 3
    DENIED = 4
    CONFLICT = 5
    DATABASE = 6


EXIT_CODE_HELP = {
    ExitCode.OK: "success, including an idempotent no-op",
    ExitCode.UNEXPECTED: "unexpected error",
    ExitCode.INVALID_INPUT: "usage error or invalid input (bad option, bad date, malformed CSV "
    "row, missing actor)",
    ExitCode.NOT_FOUND: "not found or ambiguous reference",
    ExitCode.DENIED: "permission denied for the actor's roles",
    ExitCode.CONFLICT: "conflict: slot taken, outside availability, overlapping appointment, "
    "state forbids it",
    ExitCode.DATABASE: "database unavailable, locked after retries, not initialised, or schema "
    "not at head",
}


class ClinicError(Exception):
    """An expected failure: a message for the user and the exit code that goes with it."""

    exit_code: ExitCode = ExitCode.UNEXPECTED

    def __init__(self, message: str, *, hint: str | None = None,
                 details: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        # Extra lines for stderr after the one-line error (candidates, failing occurrences).
        self.details = details or []

    def __str__(self) -> str:
        return self.message


class InvalidInput(ClinicError):
    exit_code = ExitCode.INVALID_INPUT


def did_you_mean(value: str, choices: Iterable[str]) -> str | None:
    """``did you mean 'cancelled'?`` when one of ``choices`` is close to what was typed."""
    import difflib

    typed, known = value.strip().casefold(), list(choices)
    # 0.75: a letter left out, doubled or swapped ("canceled", "provder"), not another word
    # that shares some letters ("archived" is no "active").
    close = difflib.get_close_matches(typed, known, n=1, cutoff=0.75)
    if not close and len(typed) >= 3:
        close = [choice for choice in known if typed in choice]  # "custodian"
    return f"did you mean {close[0]!r}?" if len(close) == 1 and close[0] != value else None


class InvalidChoice(InvalidInput):
    """A value that is not one of a fixed set, with the closest one as the hint."""

    def __init__(self, message: str, *, value: str, choices: Iterable[str]) -> None:
        super().__init__(message, hint=did_you_mean(value, choices))


class NotFound(ClinicError):
    exit_code = ExitCode.NOT_FOUND


class Ambiguous(NotFound):
    """A name matches several records; ``candidates`` lists them for stderr."""

    def __init__(self, message: str, candidates: list[str]) -> None:
        super().__init__(message, details=candidates)
        self.candidates = candidates


class Denied(ClinicError):
    """The actor's roles do not allow the action.

    ``audit`` describes the attempt; the session scope writes it as a ``denied`` audit event
    after rolling back everything else the command did.
    """

    exit_code = ExitCode.DENIED

    def __init__(self, message: str, *, audit: dict[str, Any] | None = None,
                 more_audits: list[dict[str, Any]] | None = None,
                 hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.audit = audit
        # Further refused attempts of the same command (rows of a batch), each audited too.
        self.more_audits = more_audits or []


class Conflict(ClinicError):
    exit_code = ExitCode.CONFLICT


class DatabaseError(ClinicError):
    exit_code = ExitCode.DATABASE
