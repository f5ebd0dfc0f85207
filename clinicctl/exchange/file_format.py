"""How another system's file is laid out: its encoding, delimiter, header names and date format.

A ``FileFormat`` is what ``--encoding``, ``--delimiter``, ``--date-format``, ``--map`` and
``--mapping FILE.toml`` say; a preset (``presets.py``) is a named ``FileFormat``. Header names
match the columns ignoring case, spaces and punctuation ("First Name" is first_name); a
mapping names the column a source header stands for.

A preset knows more than a mapping: the headers its system exports that clinicctl does not
keep (dropped, and named), columns made of several of the file's (``Merge``: a phone from the
cell phone, else the home phone; an address from street, city, state and postal code), and the
values its system writes in a column such as sex (``ValueTable``). Nothing is guessed: a header
neither the preset nor clinicctl knows refuses the file unless ``--ignore-unknown``, and a
value the preset cannot translate refuses its row.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import tomllib
from collections.abc import Mapping
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
class Merge:
    """One column made of several of the file's: the first non-empty part (``first``), or
    every non-empty part joined with ", " (the names within a part with a space: "state
    postal_code"). The parts are slot names, which the preset's headers stand for."""

    column: str
    parts: tuple[tuple[str, ...], ...]
    first: bool = False

    @property
    def slots(self) -> tuple[str, ...]:
        return tuple(slot for part in self.parts for slot in part)

    def combine(self, cells: Mapping[str, str]) -> tuple[str, int]:
        """The column's value, and how many other values it left out (``first`` only: a
        home phone beside a cell phone; the same number twice leaves nothing out)."""
        if self.first:
            filled = list(dict.fromkeys(cells[slot] for slot in self.slots if cells.get(slot)))
            return (filled[0] if filled else ""), max(len(filled) - 1, 0)
        joined = (" ".join(cells[slot] for slot in part if cells.get(slot))
                  for part in self.parts)
        return ", ".join(part for part in joined if part), 0


@dataclass(frozen=True)
class ValueTable:
    """The values another system writes in one column, as clinicctl writes them. Matched
    ignoring case; an empty cell stays empty; any other value is refused, never guessed."""

    preset: str
    column: str
    values: Mapping[str, str]  # as the system writes it -> as clinicctl keeps it

    def translate(self, value: str) -> str:
        if not value:
            return value
        wanted = value.strip().casefold()
        for known, ours in self.values.items():
            if known.casefold() == wanted:
                return ours
        listed = ", ".join(self.values)
        raise InvalidInput(f"invalid {self.column} {value!r} for the {self.preset} preset: "
                           f"expected {listed} or empty")


@dataclass(frozen=True)
class FileFormat:
    encoding: str = "utf-8"
    delimiter: str | None = None  # None: sniffed from the file
    date_format: str | None = None  # None: YYYY-MM-DD
    columns: dict[str, str] = field(default_factory=dict)  # source header -> column
    # What a preset adds (see the module docstring); a --map or --mapping wins over it.
    preset: str | None = None
    aliases: Mapping[str, str] = field(default_factory=dict)  # header -> column or slot
    merges: tuple[Merge, ...] = ()
    dropped: frozenset[str] = frozenset()  # header_key of headers read and left out
    values: Mapping[str, ValueTable] = field(default_factory=dict)  # column -> its values
    nulls: frozenset[str] = frozenset()  # header_key of headers whose "NULL" is empty
    ignore_unknown: bool = False  # --ignore-unknown: leave out (and name) unknown headers

    def with_options(self, *, encoding: str | None = None, delimiter: str | None = None,
                     date_format: str | None = None, columns: dict[str, str] | None = None,
                     ignore_unknown: bool = False) -> FileFormat:
        """This format with what the command line (or a mapping file) says on top: a column
        mapped there is no longer read from the preset's headers (which are then left out,
        and named), nor are its values translated."""
        columns = {**self.columns, **(columns or {})}
        mapped = {header_key(target) for target in columns.values()}
        merges = tuple(m for m in self.merges if header_key(m.column) not in mapped)
        orphaned = {slot for m in self.merges if m not in merges for slot in m.slots}
        aliases = {source: target for source, target in self.aliases.items()
                   if header_key(target) not in mapped and target not in orphaned}
        return replace(self, encoding=encoding or self.encoding,
                       delimiter=delimiter if delimiter is not None else self.delimiter,
                       date_format=date_format or self.date_format, columns=columns,
                       merges=merges, aliases=aliases,
                       dropped=self.dropped | {header_key(source) for source in self.aliases
                                               if source not in aliases},
                       values={column: table for column, table in self.values.items()
                               if header_key(column) not in mapped},
                       ignore_unknown=ignore_unknown or self.ignore_unknown)


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


@dataclass
class Header:
    """What each header of a file stands for (``resolve_header``)."""

    names: list[str]
    targets: list[str | None]  # a column, a merge's slot, or None: left out
    unknown: list[str]  # neither mapped, nor the preset's, nor a column
    merges: tuple[Merge, ...]  # the preset's merges with at least one slot in the file
    nulls: frozenset[int]  # positions whose "NULL" cell is empty (an SQL dump's NULL)

    @property
    def ignored(self) -> list[str]:
        """The headers left out: the preset's system has them and clinicctl does not keep
        them, or --ignore-unknown dropped them."""
        return [name for name, target in zip(self.names, self.targets, strict=True)
                if target is None and name not in self.unknown]

    @property
    def columns(self) -> list[str]:
        """The columns a row has: those read as they are, then those merged."""
        slots = {slot for merge in self.merges for slot in merge.slots}
        direct = [t for t in self.targets if t is not None and t not in slots]
        return direct + [merge.column for merge in self.merges]

    def sources(self, target: str) -> list[str]:
        """The headers a column is read from (a merged column: each of its slots')."""
        slots = next((m.slots for m in self.merges if m.column == target), (target,))
        return [name for slot in slots
                for name, t in zip(self.names, self.targets, strict=True) if t == slot]

    def repeated(self) -> tuple[str, list[str]] | None:
        """A column the file gives twice, with the headers that give it."""
        seen: dict[str, list[str]] = {}
        for name, target in zip(self.names, self.targets, strict=True):
            if target is not None:
                seen.setdefault(target, []).append(name)
        for target, names in seen.items():
            if len(names) > 1:
                return target, names
        for merge in self.merges:
            if merge.column in seen:
                return merge.column, seen[merge.column] + self.sources(merge.column)
        return None


def resolve_header(header: list[str], expected: tuple[str, ...],
                   file_format: FileFormat) -> Header:
    """What each header stands for: a mapped column (--map, --mapping), else the preset's
    column or slot, else left out when the preset's system has it and clinicctl does not keep
    it, else the column of that name (matched on ``header_key``), else unknown (left out
    with --ignore-unknown)."""
    known = {header_key(name): name for name in expected}
    columns = file_format.columns
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
    aliases = {header_key(source): target for source, target in file_format.aliases.items()}
    targets: list[str | None] = []
    unknown: list[str] = []
    for name in header:
        key = header_key(name)
        if key in mapped:
            targets.append(mapped[key])
        elif key in aliases:
            targets.append(aliases[key])
        elif key in file_format.dropped:
            targets.append(None)
        elif key in known:
            targets.append(known[key])
        else:
            targets.append(None)
            if not file_format.ignore_unknown:
                unknown.append(name)
    used = set(targets)
    merges = tuple(m for m in file_format.merges if used & set(m.slots))
    nulls = frozenset(i for i, (name, target) in enumerate(zip(header, targets, strict=True))
                      if target is not None and header_key(name) in file_format.nulls)
    return Header(list(header), targets, unknown, merges, nulls)


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
