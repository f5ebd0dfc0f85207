"""``--format table|json|csv``: one renderer for every command.

Data goes to stdout; JSON and CSV are written with ``json`` and ``csv`` directly (never through
rich, which wraps long lines and reads ``[markup]`` inside names). Tables are rich tables of
plain ``Text`` cells, imported only when a table is printed.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from enum import StrEnum
from typing import Any, TextIO


class OutputFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


Column = tuple[str, str]  # (key in the row, table header)

# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection): every
# CSV clinicctl writes puts an apostrophe in front, which spreadsheets show as text (and
# imports take off again, see csvio.restore).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# C0 and C1 control characters and DEL: printed raw they would drive the terminal (colours,
# cursor moves, a forged prompt), so tables show them escaped.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_NAMED_CONTROLS = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}


def neutralise(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def escape_controls(text: str) -> str:
    """``\x1b[31m`` shows as the characters ``\x1b[31m``, a line break as ``\n``."""
    return _CONTROL.sub(lambda m: _NAMED_CONTROLS.get(m[0], f"\\x{ord(m[0]):02x}"), text)


def jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [jsonable(v) for v in value]
    return value


def cell_text(value: Any) -> str:
    """A value as one CSV or table cell: lists joined with ';', booleans lower-case."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return ";".join(cell_text(v) for v in value)
    if isinstance(value, Mapping):
        return json.dumps(jsonable(value), sort_keys=True)
    return str(value)


def _table_text(value: Any) -> str:
    """Like ``cell_text`` but instants read as wall-clock times for people, and control
    characters escaped."""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M %Z").strip()
    return escape_controls(cell_text(value))


def write_json(data: Any, out: TextIO | None = None) -> None:
    """An object indented; a listing one element per line, which keeps a 10,000-row batch
    result readable and fast (json's C encoder only runs without ``indent``)."""
    out = out or sys.stdout
    if isinstance(data, list):
        if not data:
            out.write("[]\n")
            return
        out.write("[\n  ")
        out.write(",\n  ".join(json.dumps(jsonable(item), ensure_ascii=False) for item in data))
        out.write("\n]\n")
        return
    out.write(json.dumps(jsonable(data), indent=2, ensure_ascii=False))
    out.write("\n")


def write_csv(rows: Iterable[Mapping[str, Any]], columns: Sequence[Column],
              out: TextIO | None = None) -> None:
    """RFC 4180 with a header row, every cell spreadsheet-safe (as exports write them)."""
    writer = csv.writer(out or sys.stdout, lineterminator="\r\n")
    writer.writerow([key for key, _ in columns])
    for row in rows:
        writer.writerow([neutralise(cell_text(row.get(key))) for key, _ in columns])


# Above this many rows a table is printed as plain aligned columns: rich lays out every cell
# of every row before printing, which takes seconds for a 10,000-row batch result.
RICH_TABLE_ROWS = 500


def write_plain_table(rows: Sequence[Mapping[str, Any]], columns: Sequence[Column],
                      out: TextIO | None = None) -> None:
    """Aligned columns under a header, two spaces apart, one line per row."""
    out = out or sys.stdout
    cells = [[_table_text(row.get(key)) for key, _ in columns] for row in rows]
    headers = [header for _, header in columns]
    widths = [max([len(header), *(len(line[i]) for line in cells)])
              for i, header in enumerate(headers)]
    for line in [headers, ["-" * width for width in widths], *cells]:
        out.write("  ".join(text.ljust(width) for text, width in zip(line, widths, strict=True))
                  .rstrip() + "\n")


def write_table(rows: Sequence[Mapping[str, Any]], columns: Sequence[Column],
                title: str | None = None) -> None:
    if len(rows) > RICH_TABLE_ROWS:
        if title:
            print(title)
        write_plain_table(rows, columns)
        return
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(title=title, show_lines=False, title_justify="left")
    for _, header in columns:
        table.add_column(header)
    for row in rows:
        table.add_row(*(Text(_table_text(row.get(key))) for key, _ in columns))
    console = Console()
    if not console.is_terminal:
        # Piped or redirected: do not squeeze the table into 80 columns.
        console = Console(width=max(console.width, 200))
    console.print(table)


def render_list(rows: Sequence[Mapping[str, Any]], columns: Sequence[Column], fmt: str,
                *, title: str | None = None) -> None:
    """A listing: JSON array, CSV with a header row, or a table."""
    if fmt == "json":
        write_json(list(rows))
    elif fmt == "csv":
        write_csv(rows, columns)
    else:
        write_table(rows, columns, title=title)


def render_object(row: Mapping[str, Any], columns: Sequence[Column], fmt: str,
                  *, title: str | None = None) -> None:
    """A single result: JSON object, one-row CSV, or a two-column table."""
    if fmt == "json":
        write_json(dict(row))
    elif fmt == "csv":
        write_csv([row], columns)
    else:
        pairs = [{"field": header, "value": row.get(key)} for key, header in columns]
        write_table(pairs, [("field", "Field"), ("value", "Value")], title=title)


# Set once per run by the root command from --quiet / CLINICCTL_QUIET.
_quiet = False


def set_quiet(value: bool) -> None:
    global _quiet
    _quiet = value


def is_quiet() -> bool:
    return _quiet


def message(text: str) -> None:
    """A status line for people: stderr, never mixed with the data on stdout.
    ``--quiet`` drops it (cron mails whatever a job writes)."""
    if not _quiet:
        print(text, file=sys.stderr)


def warning(text: str) -> None:
    """Something a person must see even with ``--quiet``: stderr, always."""
    print(text, file=sys.stderr)
