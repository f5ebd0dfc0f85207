"""Streams for import and export: header-driven CSV rows in, CSV cells safe to open in a
spreadsheet and JSON arrays out.

A spreadsheet runs a cell that starts with ``= + - @``, a tab or a carriage return as a
formula (CSV injection). Export writes such a cell with a leading apostrophe, which
spreadsheets show as text; import takes that apostrophe off again, so an export imported
back gives the original value.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import chain, islice
from typing import IO, Any, TextIO

from clinicctl.errors import ClinicError, InvalidInput
from clinicctl.exchange.file_format import (
    FileFormat,
    Header,
    one_column_hint,
    resolve_header,
    sniff_delimiter,
)
from clinicctl.output import FORMULA_STARTS, jsonable, write_csv
from clinicctl.output import neutralise as neutralise  # what restore() undoes

SAMPLE = 64 * 1024  # characters read to find the delimiter
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


def read_rows(handle: IO[str], *, required: tuple[str, ...], optional: tuple[str, ...],
              file_format: FileFormat | None = None) -> CsvRows:
    """Rows of a header-driven CSV as (row number, cells); row 1 is the header.

    An import gives the ``file_format`` of its options: then a row that repeats an earlier
    one exactly is merged, and a missing column's error points to ``--map``. Without one
    (the sharing batch) every row is its own."""
    return CsvRows(handle, required, optional, file_format or FileFormat(),
                   importing=file_format is not None)


class CsvRows:
    """The rows of one file, read as they are iterated. Header names are matched to the
    columns (``file_format.resolve_header``); empty header columns at the end are dropped
    with their empty cells; a row that repeats an earlier one exactly is merged into it and
    counted in ``duplicates``. Headers left out (a preset's, or unknown ones with
    --ignore-unknown) are in ``ignored``; ``passed_over`` counts, per merged column, the rows
    whose other non-empty parts it left out (a home phone beside a cell phone)."""

    def __init__(self, handle: IO[str], required: tuple[str, ...], optional: tuple[str, ...],
                 file_format: FileFormat, *, importing: bool = True) -> None:
        self.handle = handle
        self.importing = importing
        self.required = required
        self.optional = optional
        self.format = file_format
        self.duplicates = 0
        self.ignored: list[str] = []
        self.passed_over: dict[str, tuple[int, list[str]]] = {}

    def __iter__(self) -> Iterator[tuple[int, dict[str, str]]]:
        expected = self.required + self.optional
        sample = self.handle.read(SAMPLE) + self.handle.readline()
        delimiter = self.format.delimiter or sniff_delimiter(sample.lstrip("\ufeff"))
        lines = chain(io.StringIO(sample, newline=""), self.handle)
        reader = csv.reader(lines, delimiter=delimiter)
        try:
            header = next(reader)
        except StopIteration:
            raise InvalidInput("the CSV file is empty: expected a header row "
                               f"{','.join(self.required)}") from None
        except csv.Error as exc:
            raise InvalidInput(f"row 1: malformed CSV: {exc}") from None
        if any("\x00" in name for name in header):
            raise InvalidInput("row 1: the header contains a NUL byte")
        header = [name.strip().lstrip("\ufeff").strip() for name in header]
        full_width = len(header)
        while header and not header[-1]:
            header.pop()
        if "" in header:
            raise InvalidInput(f"row 1: column {header.index('') + 1} has no name")
        hint = one_column_hint(header, delimiter)
        if hint:
            raise InvalidInput(f"row 1: {hint}")
        resolved = resolve_header(header, expected, self.format)
        self._check(resolved, expected)
        self.ignored = resolved.ignored
        plan = [(i, target, i in resolved.nulls)
                for i, target in enumerate(resolved.targets) if target is not None]
        merges = resolved.merges
        seen: set[bytes] = set()
        number = 1
        try:
            width = len(header)
            for number, cells in enumerate(reader, start=2):
                stripped = [cell.strip() for cell in cells]
                if not any(stripped):
                    continue
                if any("\x00" in cell for cell in stripped):
                    # SQLite would store it and PostgreSQL refuse it: refuse it on both.
                    raise InvalidInput(f"row {number}: a cell contains a NUL byte")
                if width < len(stripped) <= full_width and not any(stripped[width:]):
                    del stripped[width:]  # the empty cells of empty header columns
                if len(stripped) != width:
                    raise InvalidInput(f"row {number}: expected {width} cells, "
                                       f"found {len(stripped)}")
                digest = hashlib.blake2b("\x1f".join(stripped).encode(), digest_size=16
                                         ).digest()
                if self.importing and digest in seen:
                    self.duplicates += 1
                    continue
                seen.add(digest)
                row = {target: "" if null and stripped[i] == "NULL" else stripped[i]
                       for i, target, null in plan}
                for merge in merges:
                    row[merge.column], left_out = merge.combine(row)
                    for slot in merge.slots:
                        row.pop(slot, None)
                    if left_out:
                        count, sources = self.passed_over.get(
                            merge.column, (0, resolved.sources(merge.column)))
                        self.passed_over[merge.column] = (count + 1, sources)
                yield number, row
        except csv.Error as exc:
            raise InvalidInput(f"row {number + 1}: malformed CSV: {exc}") from None

    def _check(self, resolved: Header, expected: tuple[str, ...]) -> None:
        """The header's problems, as one error each: a column given twice, a required one
        missing, an unknown header."""
        repeated = resolved.repeated()
        if repeated:
            column, sources = repeated
            also = (f" ({' and '.join(repr(s) for s in sources)})"
                    if len(set(sources)) > 1 else "")
            raise InvalidInput(f"row 1: column {column!r} appears more than once{also}")
        preset = self.format.preset
        missing = [name for name in self.required if name not in resolved.columns]
        if missing:
            hint = "; map another name with --map 'Header=column'" if self.importing else ""
            known = [source for source, target in self.format.aliases.items()
                     if target == missing[0]]
            if preset and known:
                reads = " or ".join(repr(source) for source in known)
                raise InvalidInput(f"row 1: missing column {missing[0]!r} (the {preset} "
                                   f"preset reads it from {reads}{hint})")
            raise InvalidInput(f"row 1: missing column {missing[0]!r} "
                               f"(expected {','.join(expected)}{hint})")
        if resolved.unknown:
            names = ", ".join(repr(name) for name in resolved.unknown)
            plural = "s" if len(resolved.unknown) > 1 else ""
            it = "them" if plural else "it"
            known_by = (f"neither the {preset} preset nor clinicctl knows {it}" if preset
                        else f"expected {','.join(expected)}")
            hint = (f"; map {it} with --map '{resolved.unknown[0]}=column' or leave {it} out "
                    "with --ignore-unknown" if self.importing else "")
            raise InvalidInput(f"row 1: unknown column{plural} {names} ({known_by}){hint}")


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
