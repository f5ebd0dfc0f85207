"""One row of an imported file, read cell by cell: the one way an import reads a value.

``Cells`` remembers the column it read last, so a bad value is reported with its row number
and column. Values written spreadsheet-safe by an export (a leading ``'``) are restored, and a
preset's values translated (``ValueTable``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping

from clinicctl.errors import InvalidInput
from clinicctl.exchange.csvio import restore
from clinicctl.exchange.file_format import ValueTable, read_date

TRUE, FALSE = ("true", "yes", "1", "y"), ("false", "no", "0", "n")


class Cells:
    """One row's cells; remembers the column being read, for the row's error message."""

    def __init__(self, row: dict[str, str], date_format: str | None = None,
                 values: Mapping[str, ValueTable] | None = None) -> None:
        self.row = row
        self.column: str | None = None
        self.date_format = date_format
        self.values = values or {}

    def __contains__(self, column: str) -> bool:
        return column in self.row

    def get(self, column: str) -> str | None:
        """The cell's value, None when the column is absent or the cell empty."""
        self.column = column
        value = self.row.get(column)
        if value is None:
            return None
        value = restore(value.strip())
        if value and column in self.values:
            value = self.values[column].translate(value)
        return value or None

    def text(self, column: str) -> str:
        return self.get(column) or ""

    def flag(self, column: str, default: bool) -> bool:
        value = self.get(column)
        if value is None:
            return default
        if value.lower() in TRUE:
            return True
        if value.lower() in FALSE:
            return False
        raise InvalidInput(f"invalid {column} {value!r}: expected true or false")

    def count(self, column: str, default: int) -> int:
        value = self.get(column)
        if value is None:
            return default
        if not value.isdigit():
            raise InvalidInput(f"invalid {column} {value!r}: expected a whole number of minutes")
        return int(value)

    def date(self, column: str, what: str) -> dt.date | None:
        """A date cell, in the file's date format (``--date-format``) or YYYY-MM-DD."""
        value = self.get(column)
        return None if value is None else read_date(value, what, self.date_format)

    def items(self, column: str) -> list[str]:
        """A list cell: values separated by commas, semicolons or spaces."""
        return [part for part in re.split(r"[;,\s]+", self.get(column) or "") if part]

    def done(self) -> None:
        """The checks that follow are about the row as a whole."""
        self.column = None
