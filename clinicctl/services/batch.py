"""Batch sharing from CSV: the same ``share`` / ``unshare`` as one command, row by row.

All or nothing: every row is checked (each in a savepoint, so a failing row leaves no
trace and the next row is still checked), every bad row is reported with its row number and
column, and if any row fails nothing is written.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from typing import IO

from sqlalchemy.orm import Session

from clinicctl.errors import ClinicError, Conflict, Denied, ExitCode, InvalidInput, NotFound
from clinicctl.models import Staff
from clinicctl.services import sharing
from clinicctl.services.refs import resolve_client, resolve_provider

SHARE_COLUMNS = ("client", "from", "to")
SHARE_MODES = ("demographics", "chart")


def read_rows(handle: IO[str], *, required: tuple[str, ...], optional: tuple[str, ...]
              ) -> Iterator[tuple[int, dict[str, str]]]:
    """Rows of a header-driven CSV as (row number, cells); row 1 is the header."""
    reader = csv.reader(handle)
    try:
        header = next(reader)
    except StopIteration:
        raise InvalidInput("the CSV file is empty: expected a header row "
                           f"{','.join(required)}") from None
    except csv.Error as exc:
        raise InvalidInput(f"row 1: malformed CSV: {exc}") from None
    columns = [name.strip().lstrip("\ufeff").lower() for name in header]
    missing = [name for name in required if name not in columns]
    if missing:
        raise InvalidInput(f"row 1: missing column {missing[0]!r} "
                           f"(expected {','.join(required + optional)})")
    unknown = [name for name in columns if name not in required + optional]
    if unknown:
        raise InvalidInput(f"row 1: unknown column {unknown[0]!r} "
                           f"(expected {','.join(required + optional)})")
    number = 1
    try:
        for number, cells in enumerate(reader, start=2):
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) != len(columns):
                raise InvalidInput(f"row {number}: expected {len(columns)} cells, "
                                   f"found {len(cells)}")
            yield number, dict(zip(columns, (c.strip() for c in cells), strict=True))
    except csv.Error as exc:
        raise InvalidInput(f"row {number + 1}: malformed CSV: {exc}") from None


class RowError(Exception):
    def __init__(self, number: int, column: str | None, error: ClinicError) -> None:
        super().__init__(str(error))
        self.number = number
        self.column = column
        self.error = error

    def __str__(self) -> str:
        where = f"row {self.number}" + (f", column {self.column}" if self.column else "")
        return f"{where}: {self.error.message}"


def share_rows(
    session: Session,
    actor: Staff,
    rows: Iterable[tuple[int, dict[str, str]]],
    *,
    unshare: bool = False,
    advance: Callable[[int], None] | None = None,
) -> list[sharing.ShareResult]:
    """Apply ``client share`` (or ``unshare``) to every row; raise if any row fails.

    ``advance(n)`` is told as rows are checked (e.g. a progress bar's), failed rows too."""
    results: list[sharing.ShareResult] = []
    failures: list[RowError] = []
    for number, row in rows:
        savepoint = session.begin_nested()
        try:
            results.append(_apply(session, actor, number, row, unshare=unshare))
            savepoint.commit()
        except RowError as exc:
            savepoint.rollback()
            failures.append(exc)
        if advance is not None:
            advance(1)
    if failures:
        raise _summary(failures, total=len(results) + len(failures))
    if not results:
        raise InvalidInput("the CSV file has no data rows")
    return results


def _apply(session: Session, actor: Staff, number: int, row: dict[str, str], *,
           unshare: bool) -> sharing.ShareResult:
    refs: dict[str, str] = {}
    try:
        for column in SHARE_COLUMNS:
            if not row.get(column):
                raise InvalidInput(f"{column} is empty")
        column = "client"
        refs["client"] = f"#{resolve_client(session, row['client']).id}"
        for column in ("from", "to"):
            refs[column] = f"#{resolve_provider(session, row[column]).id}"
        column = "mode"
        mode = (row.get("mode") or "demographics").lower()
        if mode not in SHARE_MODES:
            raise InvalidInput(f"invalid mode {row.get('mode')!r}: expected demographics or "
                               "chart")
    except ClinicError as exc:
        raise RowError(number, column, exc) from None
    try:
        if unshare:
            return sharing.unshare(session, actor, refs["client"], refs["from"], refs["to"])
        return sharing.share(session, actor, refs["client"], refs["from"], refs["to"],
                             chart=mode == "chart")
    except ClinicError as exc:
        raise RowError(number, None, exc) from None


def _summary(failures: list[RowError], *, total: int) -> ClinicError:
    """One error for the whole file with the exit code of its first failing row; a refused
    row makes the batch a refusal (audited as one)."""
    denied = next((f for f in failures if isinstance(f.error, Denied)), None)
    first = denied or failures[0]
    message = (str(first) if len(failures) == 1 else
               f"{len(failures)} of {total} rows failed; nothing was written")
    details = [] if len(failures) == 1 else [str(f) for f in failures]
    summary: ClinicError
    if isinstance(first.error, Denied):
        others = [f.error.audit for f in failures
                  if isinstance(f.error, Denied) and f is not first and f.error.audit]
        summary = Denied(message, audit=first.error.audit, more_audits=others)
        summary.details = details
        return summary
    error_type = _BY_EXIT_CODE.get(first.error.exit_code, InvalidInput)
    return error_type(message, details=details)


_BY_EXIT_CODE: dict[int, type[ClinicError]] = {
    ExitCode.INVALID_INPUT: InvalidInput,
    ExitCode.NOT_FOUND: NotFound,
    ExitCode.CONFLICT: Conflict,
}
