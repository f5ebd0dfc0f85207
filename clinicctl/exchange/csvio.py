"""Streams for import and export: header-driven CSV rows in, CSV cells safe to open in a
spreadsheet and JSON arrays out.

A spreadsheet runs a cell that starts with ``= + - @``, a tab or a carriage return as a
formula (CSV injection). Export writes such a cell with a leading apostrophe, which
spreadsheets show as text; import takes that apostrophe off again, so an export imported
back gives the original value.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import islice
from typing import IO, Any, TextIO

from clinicctl.errors import ClinicError, InvalidInput
from clinicctl.output import FORMULA_STARTS, jsonable, write_csv
from clinicctl.output import neutralise as neutralise  # what restore() undoes

MAX_REPORTED = 50  # bad rows a batch names in its error; the count covers them all


def restore(text: str) -> str:
    """Undo ``neutralise`` on an imported cell."""
    if len(text) > 1 and text[0] == "'" and text[1:].startswith(FORMULA_STARTS):
        return text[1:]
    return text


def write_csv_stream(rows: Iterable[Mapping[str, Any]], columns: Sequence[str],
                     out: TextIO) -> int:
    """RFC 4180 with a header row; returns the number of data rows (``output.write_csv``,
    which every ``-o csv`` listing uses too)."""
    return write_csv(rows, columns, out)


def write_json_stream(rows: Iterable[Mapping[str, Any]], columns: Sequence[str],
                      out: TextIO) -> int:
    """One JSON array, written a row at a time; returns the number of rows."""
    count = 0
    out.write("[")
    for row in rows:
        out.write(",\n  " if count else "\n  ")
        out.write(json.dumps({key: jsonable(row.get(key)) for key in columns},
                             ensure_ascii=False))
        count += 1
    out.write("\n]\n" if count else "]\n")
    return count


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
    if any("\x00" in name for name in header):
        raise InvalidInput("row 1: the header contains a NUL byte")
    columns = [name.strip().lstrip("\ufeff").lower() for name in header]
    repeated = sorted({name for name in columns if columns.count(name) > 1})
    if repeated:
        raise InvalidInput(f"row 1: column {repeated[0]!r} appears more than once")
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
        width = len(columns)
        for number, cells in enumerate(reader, start=2):
            stripped = [cell.strip() for cell in cells]
            if not any(stripped):
                continue
            if any("\x00" in cell for cell in stripped):
                # SQLite would store it and PostgreSQL refuse it: refuse it on both.
                raise InvalidInput(f"row {number}: a cell contains a NUL byte")
            if len(stripped) != width:
                raise InvalidInput(f"row {number}: expected {width} cells, "
                                   f"found {len(stripped)}")
            yield number, dict(zip(columns, stripped, strict=True))
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


def chunks(rows: Iterable[Any], size: int) -> Iterator[list[Any]]:
    """Rows in lists of ``size``, read as they are needed (the file is never held whole)."""
    iterator = iter(rows)
    while chunk := list(islice(iterator, size)):
        yield chunk
