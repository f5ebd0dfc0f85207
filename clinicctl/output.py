"""``--format table|json|csv``: one renderer for every command.

Data goes to stdout; JSON and CSV are written with ``json`` and ``csv`` directly (never through
rich, which wraps long lines and reads ``[markup]`` inside names). Tables are rich tables of
plain ``Text`` cells, imported only when a table is printed.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import re
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
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
# cursor moves, a forged prompt), so tables show them escaped. So are the bidirectional
# controls, which reorder what follows them on screen (a name that reads as another).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_NAMED_CONTROLS = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}


def neutralise(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def escape_controls(text: str) -> str:
    """``\x1b[31m`` shows as the characters ``\x1b[31m``, a line break as ``\n``."""
    return _CONTROL.sub(lambda m: _NAMED_CONTROLS.get(
        m[0], f"\\x{ord(m[0]):02x}" if ord(m[0]) < 0x100 else f"\\u{ord(m[0]):04x}"), text)


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
    """A value as one CSV or table cell: lists joined with ';' (a list of objects as each
    one's values joined with ':', e.g. a session's clients ``12:attended;13:``), booleans
    lower-case."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return ";".join(":".join(cell_text(part) for part in v.values())
                        if isinstance(v, Mapping) else cell_text(v) for v in value)
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


def write_csv(rows: Iterable[Mapping[str, Any]], columns: Sequence[Column | str],
              out: TextIO | None = None) -> int:
    """RFC 4180 with a header row of the keys, every cell spreadsheet-safe: the one CSV
    writer, for ``-o csv`` and exports alike. Returns the number of data rows."""
    keys = [column if isinstance(column, str) else column[0] for column in columns]
    writer = csv.writer(out or sys.stdout, lineterminator="\r\n")
    writer.writerow(keys)
    count = 0
    for row in rows:
        writer.writerow([neutralise(cell_text(row.get(key))) for key in keys])
        count += 1
    return count


# How narrow a wrapping column may become when the columns are chosen (never narrower than its
# longest word): free text reads one word a line below TEXT, a name is fine on two lines.
TEXT = 24
NAME = 12
FOLD = 8  # the least a wrapping column gets when even its longest word does not fit


@dataclass(frozen=True)
class Layout:
    """How a listing reads as a table, which need not be how it reads as JSON or CSV.

    ``columns`` are shown in order; when they do not fit the terminal, the ``optional`` ones
    are left out, the first named first, until they do (JSON and CSV keep every column).
    A ``wrap`` column (free text, names) may take several lines, down to the width given for
    it; the others keep one line while the table fits. ``cells`` adds values only the table
    shows (a name with its id, a time without its date), computed from each row. No value is
    ever cut: what does not fit wraps.
    """

    columns: Sequence[Column]
    optional: Sequence[str] = ()
    wrap: Mapping[str, int] = field(default_factory=dict)
    cells: Callable[[Mapping[str, Any]], Mapping[str, Any]] | None = None

    def rows(self, rows: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
        if self.cells is None:
            return list(rows)
        return [{**row, **self.cells(row)} for row in rows]


# What a table is laid out for when stdout is not a terminal (a pipe, a file).
PIPED_WIDTH = 200


def no_color() -> bool:
    """NO_COLOR (https://no-color.org) set to anything but the empty string."""
    return bool(os.environ.get("NO_COLOR"))


def rich_console(**settings: Any) -> Any:
    """A rich Console that writes no escape sequence at all under NO_COLOR: rich's own
    ``no_color`` drops colours but keeps bold and dim, which a terminal that asked for no
    colour still receives as escapes."""
    from rich.console import Console

    if no_color():
        settings["color_system"] = None
    return Console(**settings)


def table_width() -> int:
    """The terminal's width (``COLUMNS`` wins), or ``PIPED_WIDTH`` when stdout is not one."""
    console = rich_console()
    return console.width if console.is_terminal else max(console.width, PIPED_WIDTH)


def choose_columns(layout: Layout, cells: Sequence[Mapping[str, str]], width: int,
                   measure: Callable[[str], int] = len) -> tuple[list[Column], bool]:
    """The columns of ``layout`` to show in ``width`` (borders included), and whether they
    fit with every column but the wrapping ones on one line.

    Optional columns are left out until the rest fit with names on one line and free text
    wrapped at ``TEXT``; only when even the columns that stay do not fit that way may names
    wrap too (down to their ``wrap`` width, never below their longest word), and then a word
    wider than its column continues on the next line. When nothing fits, every column wraps.
    """
    texts = {key: [header, *(row.get(key, "") for row in cells)]
             for key, header in layout.columns}
    widest = {key: max(measure(text) for text in column) for key, column in texts.items()}
    longest_word = {key: max(measure(word) for text in column for word in [*text.split(), ""])
                    for key, column in texts.items()}
    # An optional column with nothing in it is left out first.
    empty = [key for key in layout.optional if not any(texts[key][1:])]
    order = [*empty, *(key for key in layout.optional if key not in empty)]

    def total(shown: list[Column], need: Callable[[str], int]) -> int:
        # a rich table: "| " before each column, " |" after the last
        return sum(need(key) for key, _ in shown) + 3 * len(shown) + 1

    def attempt(need: Callable[[str], int]) -> tuple[list[Column], bool]:
        shown = list(layout.columns)
        for key in order:
            if total(shown, need) <= width:
                break
            shown = [column for column in shown if column[0] != key]
        return shown, total(shown, need) <= width

    def wrapped(floor: Callable[[str], int]) -> Callable[[str], int]:
        return lambda key: (widest[key] if key not in layout.wrap
                            else min(widest[key], max(longest_word[key], floor(key))))

    shown, fits = attempt(wrapped(lambda key: TEXT))
    if not fits:
        shown, fits = attempt(wrapped(lambda key: layout.wrap[key]))
    if not fits:
        # Words wider than their column (a long double-barrelled name) continue on the next
        # line, and the other columns (dates, statuses) still keep theirs whole.
        fits = total(shown, lambda key: widest[key] if key not in layout.wrap
                     else min(widest[key], FOLD)) <= width
    return shown, fits


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


def write_table(rows: Sequence[Mapping[str, Any]], columns: Sequence[Column] | Layout,
                title: str | None = None) -> None:
    layout = columns if isinstance(columns, Layout) else Layout(
        columns, wrap={key: TEXT for key, _ in columns})
    rows = layout.rows(rows)
    layout, cells = _table_cells(layout, rows)
    width = table_width()
    if len(rows) > RICH_TABLE_ROWS:
        shown, _ = choose_columns(layout, cells, width)
        if title:
            print(escape_controls(title))
        write_plain_table([{key: row[key] for key, _ in shown} for row in cells], shown)
        return
    from rich.cells import cell_len
    from rich.table import Table
    from rich.text import Text

    shown, fits = choose_columns(layout, cells, width, cell_len)
    table = Table(title=Text(escape_controls(title)) if title else None, show_lines=False,
                  title_justify="left")
    for key, header in shown:
        # "fold": a word wider than its column continues on the next line, never cut with
        # an ellipsis. The other columns keep one line a row while the table fits;
        # otherwise every column may wrap, so nothing is ever lost.
        table.add_column(Text(header), overflow="fold",
                         no_wrap=fits and key not in layout.wrap)
    for row in cells:
        table.add_row(*(Text(row[key]) for key, _ in shown))
    rich_console(width=width).print(table)


def _table_cells(layout: Layout, rows: Sequence[Mapping[str, Any]]
                 ) -> tuple[Layout, list[dict[str, str]]]:
    """Every cell as text. A column of instants all in one zone (the same abbreviation: the
    practice's, on one side of a clock change) names it in its header, "Start (EST)",
    instead of in every cell."""
    columns: list[Column] = []
    zoned: set[str] = set()
    for key, header in layout.columns:
        values = [row.get(key) for row in rows if row.get(key) is not None]
        zones = {value.strftime("%Z") for value in values if isinstance(value, dt.datetime)}
        if (values and len(zones) == 1 and "" not in zones
                and all(isinstance(value, dt.datetime) for value in values)):
            columns.append((key, f"{header} ({zones.pop()})"))
            zoned.add(key)
        else:
            columns.append((key, header))
    cells = [{key: row[key].strftime("%Y-%m-%d %H:%M")
              if key in zoned and row.get(key) is not None else _table_text(row.get(key))
              for key, _ in columns} for row in rows]
    return replace(layout, columns=columns), cells


def render_list(rows: Sequence[Mapping[str, Any]], columns: Sequence[Column], fmt: str,
                *, title: str | None = None, table: Layout | None = None,
                empty: str | None = None) -> None:
    """A listing: JSON array, CSV with a header row (every column), or a table (``table``'s
    columns, default ``columns``). ``empty`` is said on stderr when there are no rows: what
    was searched, so an empty result is not a puzzle."""
    if fmt == "json":
        write_json(list(rows))
    elif fmt == "csv":
        write_csv(rows, columns)
    else:
        write_table(rows, table or columns, title=title)
    if not rows and empty:
        message(empty)


OBJECT_LAYOUT = Layout([("field", "Field"), ("value", "Value")], wrap={"value": TEXT})


def render_object(row: Mapping[str, Any], columns: Sequence[Column], fmt: str,
                  *, title: str | None = None, table: Sequence[Column] | None = None) -> None:
    """A single result: JSON object, one-row CSV, or a two-column table of ``table``'s
    fields (default ``columns``)."""
    if fmt == "json":
        write_json(dict(row))
    elif fmt == "csv":
        write_csv([row], columns)
    else:
        pairs = [{"field": header, "value": row.get(key)} for key, header in table or columns]
        write_table(pairs, OBJECT_LAYOUT, title=title)


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
