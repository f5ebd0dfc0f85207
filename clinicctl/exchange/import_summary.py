"""What an import reports: the counts of created, updated and unchanged rows, the alerts, and
the bad rows turned into one error for the whole file."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from clinicctl.errors import ClinicError, Conflict, ExitCode, InvalidInput, NotFound
from clinicctl.exchange.csvio import MAX_REPORTED, RowError

Row = tuple[int, dict[str, str]]



Advance = Callable[[int], None]



@dataclass
class ImportSummary:
    kind: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    # Rows that repeated an earlier row of the file exactly, merged into it.
    duplicates_merged: int = 0
    # What the rows changed beyond themselves (chart shares ended by a deactivation, a client
    # new to a provider, ...), one line each, for stderr even with --quiet.
    alerts: list[str] = field(default_factory=list)
    # Counts of those changes, for the summary: see EXTRA_COUNTS.
    counts: dict[str, int] = field(default_factory=dict)
    # The file's headers left out: a preset's system has them and clinicctl does not keep
    # them, or --ignore-unknown dropped them.
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return self.created + self.updated + self.unchanged

    def as_dict(self) -> dict[str, Any]:
        extra = {key: self.counts.get(key, 0) for key in EXTRA_COUNTS.get(self.kind, ())}
        merged = {"duplicates_merged": self.duplicates_merged} if self.duplicates_merged else {}
        ignored = {"ignored_columns": self.ignored_columns} if self.ignored_columns else {}
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged,
                **extra, **merged, **ignored}


# Imported appointments add clients to providers' lists as bookings do: how many clients were
# new to a provider, and how many inactive or discharged assignments were reactivated.
EXTRA_COUNTS = {"appointments": ("new_to_provider", "reactivated")}



class Failures:
    """Bad rows so far; turns them into one error for the whole file."""

    def __init__(self) -> None:
        self.count = 0
        self.reported: list[RowError] = []

    def add(self, failure: RowError) -> None:
        self.count += 1
        if len(self.reported) < MAX_REPORTED:
            self.reported.append(failure)

    def raise_if_any(self, total: int) -> None:
        if not self.count:
            return
        first = self.reported[0]
        if self.count == 1:
            raise _same_kind(first.error, str(first))
        details = [str(f) for f in self.reported]
        if self.count > len(self.reported):
            details.append(f"... and {self.count - len(self.reported)} more")
        raise _same_kind(first.error, f"{self.count} of {total} rows are bad; nothing was "
                         "imported", details)



def _same_kind(error: ClinicError, message: str, details: list[str] | None = None
               ) -> ClinicError:
    """An error for the whole file with the exit code of its first bad row."""
    by_code: dict[int, type[ClinicError]] = {
        ExitCode.NOT_FOUND: NotFound, ExitCode.CONFLICT: Conflict}
    return by_code.get(error.exit_code, InvalidInput)(message, details=details or [])
