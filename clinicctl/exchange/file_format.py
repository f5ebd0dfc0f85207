"""How another system's file is laid out: its encoding, delimiter, header names and date format.

A ``FileFormat`` is what ``--encoding``, ``--delimiter``, ``--date-format``, ``--map`` and
``--mapping FILE.toml`` say; a preset is a named ``FileFormat``. Header names match the
columns ignoring case, spaces and punctuation ("First Name" is first_name); a mapping names
the column a source header stands for.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from clinicctl.errors import InvalidInput

ENCODINGS = ("utf-8", "cp1252", "latin-1")
DELIMITERS = (",", ";", "\t", "|")
# The columns that hold a date alone, by kind: --date-format applies to them.
DATE_COLUMNS = {
    "clients": ("dob",),
    "availability": ("effective_from", "effective_until"),
    "assignments": ("client_dob",),
    "appointments": ("client_dob",),
}
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def header_key(name: str) -> str:
    """A header name as matched: lower case, without spaces or punctuation."""
    return re.sub(r"[\W_]+", "", name.lower())


@dataclass(frozen=True)
class FileFormat:
    encoding: str = "utf-8"
    delimiter: str | None = None  # None: sniffed from the file
    date_format: str | None = None  # None: YYYY-MM-DD
    columns: dict[str, str] = field(default_factory=dict)  # source header -> column

    def with_options(self, *, encoding: str | None = None, delimiter: str | None = None,
                     date_format: str | None = None, columns: dict[str, str] | None = None
                     ) -> FileFormat:
        """This format with what the command line says on top."""
        return replace(self, encoding=encoding or self.encoding,
                       delimiter=delimiter if delimiter is not None else self.delimiter,
                       date_format=date_format or self.date_format,
                       columns={**self.columns, **(columns or {})})


def check_encoding(value: str) -> str:
    name = value.strip().lower().replace("_", "-")
    name = {"utf8": "utf-8", "latin1": "latin-1", "windows-1252": "cp1252"}.get(name, name)
    if name not in ENCODINGS:
        raise InvalidInput(f"unknown encoding {value!r}; expected {', '.join(ENCODINGS)}")
    return name


def check_delimiter(value: str) -> str:
    delimiter = {"tab": "\t", "\\t": "\t"}.get(value.lower(), value)
    if len(delimiter) != 1 or delimiter in "\"\r\n" or delimiter.isalnum():
        raise InvalidInput(f"invalid delimiter {value!r}: expected one character such as "
                           "',' ';' '|' or 'tab'")
    return delimiter


def check_date_format(value: str) -> str:
    if "%" not in value:
        raise InvalidInput(f"invalid date format {value!r}: expected a strptime format "
                           "such as '%m/%d/%Y'")
    return value


def parse_maps(values: list[str]) -> dict[str, str]:
    """``--map 'Source Header=column'`` options as a mapping."""
    columns: dict[str, str] = {}
    for value in values:
        source, sep, target = value.rpartition("=")
        if not sep or not source.strip() or not target.strip():
            raise InvalidInput(f"invalid --map {value!r}: expected 'Source Header=column'")
        columns[source.strip()] = target.strip()
    return columns


def load_mapping(path: Path) -> FileFormat:
    """A ``--mapping`` TOML file: a [columns] table (source header = column) and optional
    date_format, encoding and delimiter keys."""
    try:
        with path.open("rb") as handle:
            data: dict[str, Any] = tomllib.load(handle)
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(f"{path} is not valid TOML: {exc}") from None
    unknown = sorted(set(data) - {"columns", "date_format", "encoding", "delimiter"})
    if unknown:
        raise InvalidInput(f"{path}: unknown key {unknown[0]!r} (expected columns, "
                           "date_format, encoding, delimiter)")
    columns = data.get("columns", {})
    if not isinstance(columns, dict) or not all(
            isinstance(v, str) for v in columns.values()):
        raise InvalidInput(f"{path}: [columns] must map source headers to column names")
    for key in ("date_format", "encoding", "delimiter"):
        if key in data and not isinstance(data[key], str):
            raise InvalidInput(f"{path}: {key} must be a string")
    return FileFormat(
        encoding=check_encoding(data["encoding"]) if "encoding" in data else "utf-8",
        delimiter=check_delimiter(data["delimiter"]) if "delimiter" in data else None,
        date_format=check_date_format(data["date_format"]) if "date_format" in data else None,
        columns={str(k).strip(): v.strip() for k, v in columns.items()})


def sniff_delimiter(sample: str) -> str:
    """The delimiter among , ; tab | that the sample's lines agree on (',' if none)."""
    lines = sample.splitlines()
    header = lines[0] if lines else ""
    try:
        found = csv.Sniffer().sniff("\n".join(lines[:20]), delimiters="".join(DELIMITERS))
        if found.delimiter in header:
            return found.delimiter
    except csv.Error:
        pass
    counts = {d: header.count(d) for d in DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def one_column_hint(header: list[str], delimiter: str) -> str | None:
    """For a header that parsed as one column: which delimiter it seems to use."""
    if len(header) != 1:
        return None
    others = [d for d in DELIMITERS if d != delimiter and d in header[0]]
    if not others:
        return None
    shown = "tab" if others[0] == "\t" else others[0]
    return (f"the header has one column ({header[0]!r}); is the delimiter {shown!r}? "
            f"use --delimiter {shown!r}")


def resolve_header(header: list[str], expected: tuple[str, ...],
                   columns: dict[str, str]) -> list[str]:
    """The column each header name stands for: mapped, else matched on ``header_key``."""
    known = {header_key(name): name for name in expected}
    for source, target in columns.items():
        if target not in expected and header_key(target) not in known:
            raise InvalidInput(f"the mapping names an unknown column {target!r} for "
                               f"{source!r} (expected {','.join(expected)})")
    mapped = {header_key(source): known.get(header_key(target), target)
              for source, target in columns.items()}
    present = {header_key(name) for name in header}
    absent = [source for source in columns if header_key(source) not in present]
    if absent:
        raise InvalidInput(f"row 1: the mapped column {absent[0]!r} is not in the file's "
                           "header")
    resolved: list[str] = []
    for name in header:
        key = header_key(name)
        if key in mapped:
            resolved.append(mapped[key])
        elif key in known:
            resolved.append(known[key])
        else:
            resolved.append(name.strip().lower())
    return resolved


def read_date(value: str, what: str, date_format: str | None) -> dt.date:
    """A date cell: in ``date_format`` when one is given, else YYYY-MM-DD."""
    text = value.strip()
    if date_format:
        try:
            return dt.datetime.strptime(text, date_format).date()
        except ValueError:
            raise InvalidInput(f"invalid {what} {text!r}: expected the date format "
                               f"{date_format!r}") from None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        hint = "" if _ISO_DATE.fullmatch(text) else (
            "; for another format use --date-format (for example '%m/%d/%Y')")
        raise InvalidInput(f"invalid {what} {text!r}: expected YYYY-MM-DD{hint}") from None
