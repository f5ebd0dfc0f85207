"""Streams for import and export: CSV cells safe to open in a spreadsheet, JSON arrays.

A spreadsheet runs a cell that starts with ``= + - @``, a tab or a carriage return as a
formula (CSV injection). Export writes such a cell with a leading apostrophe, which
spreadsheets show as text; import takes that apostrophe off again, so an export imported
back gives the original value.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TextIO

from clinicctl.output import cell_text, jsonable

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def restore(text: str) -> str:
    """Undo ``neutralise`` on an imported cell."""
    if len(text) > 1 and text[0] == "'" and text[1:].startswith(FORMULA_STARTS):
        return text[1:]
    return text


def write_csv_stream(rows: Iterable[Mapping[str, Any]], columns: Sequence[str],
                     out: TextIO) -> int:
    """RFC 4180 with a header row; returns the number of data rows."""
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    count = 0
    for row in rows:
        writer.writerow([neutralise(cell_text(row.get(key))) for key in columns])
        count += 1
    return count


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
