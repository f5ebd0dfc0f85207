"""Import: header-driven CSV in the columns of the matching export, all or nothing.

Every row is checked before anything is kept; a bad row is reported with its row number and
column, and one bad row means nothing is written. Rows are matched to what is already there
on natural keys (staff by email; clients by external id, else name and date of birth;
assignments by client and provider; availability by provider, days, hours and first day;
appointments by provider and start), so importing the same file twice changes nothing. The
``id`` columns of an export are ignored: ids belong to the database that made them.

Clients are imported in chunks with bulk statements (``import_clients.py``: a 100,000-row
file streams through in constant memory). The other kinds run each row through the same
service as the single command (``import_rows.py``), each in a savepoint; ``cells.py`` reads
every value, ``import_summary.py`` turns bad rows into one error.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from sqlalchemy.orm import Session

from clinicctl import access, trail
from clinicctl.actions import Action
from clinicctl.errors import ClinicError, Denied, InvalidInput
from clinicctl.exchange.cells import Cells
from clinicctl.exchange.csvio import RowError
from clinicctl.exchange.exports import COLUMNS
from clinicctl.exchange.file_format import ValueTable
from clinicctl.exchange.import_appointments import appointment_row
from clinicctl.exchange.import_clients import import_clients
from clinicctl.exchange.import_rows import (
    RowContext,
    _assignment_row,
    _availability_row,
    _location_row,
    _service_row,
    _staff_row,
    _time_off_row,
)
from clinicctl.exchange.import_summary import Advance, Failures, ImportSummary, Row
from clinicctl.models import (
    Staff,
)

# In the order a whole practice is imported: each kind refers only to kinds before it.
# Time off comes after the appointments: booked appointments are checked against it, and an
# old practice may have recorded time off over some (import timeoff --force).
KINDS = ("staff", "locations", "services", "clients", "availability", "assignments",
         "appointments", "timeoff")
REQUIRED: dict[str, tuple[str, ...]] = {
    "staff": ("email",),
    "locations": ("name", "pos"),
    "services": ("code", "name", "minutes"),
    "clients": ("first_name", "last_name", "dob"),
    # and the provider: provider_email (as exported) or provider
    "availability": ("weekdays", "start_time", "end_time"),
    "assignments": ("provider",),
    "appointments": ("provider", "start"),
    "timeoff": ("start", "end"),
}
# Columns an import reads besides the required ones: the rest of its export's columns.
OPTIONAL = {kind: tuple(c for c in COLUMNS[kind] if c not in REQUIRED[kind]) for kind in KINDS}


def import_rows(session: Session, actor: Staff, kind: str, rows: Iterable[Row], *,
                advance: Advance | None = None, force: bool = False,
                date_format: str | None = None,
                values: Mapping[str, ValueTable] | None = None) -> ImportSummary:
    """Import one kind of data; raise one error naming every bad row, having written nothing
    that stays (the caller's transaction rolls back). ``force``: time off over booked
    appointments is imported (and each one named in the alerts). ``date_format``: the
    strptime format of the date columns (``file_format.DATE_COLUMNS``), else YYYY-MM-DD.
    ``values``: a preset's translations of the values of some columns (sex)."""
    if kind not in KINDS:
        raise InvalidInput(f"unknown import {kind!r}; expected {', '.join(KINDS)}")
    access.authorize_import(actor, kind)
    tick = advance or (lambda n: None)
    if kind == "clients":
        summary = import_clients(session, actor, rows, tick, date_format, values or {})
    else:
        summary = import_each(session, actor, kind, rows, tick, force=force,
                              date_format=date_format, values=values or {})
    summary.duplicates_merged = getattr(rows, "duplicates", 0)
    summary.ignored_columns = list(getattr(rows, "ignored", []))
    if not summary.rows:
        raise InvalidInput("the CSV file has no data rows")
    trail.record(session, actor_id=actor.id, action=Action(f"import.{kind}"), object_type="import",
                 details={"kind": kind, **summary.as_dict()})
    return summary


# --- cells ------------------------------------------------------------------------------


# --- clients: bulk --------------------------------------------------------------------------


# --- the other kinds: one row at a time through the services ---------------------------


def import_each(session: Session, actor: Staff, kind: str, rows: Iterable[Row],
                tick: Advance, *, force: bool = False, date_format: str | None = None,
                values: Mapping[str, ValueTable] | None = None) -> ImportSummary:
    summary = ImportSummary(kind)
    failures = Failures()
    handler = ROW_HANDLERS[kind]
    context = RowContext(session, actor, summary.alerts, force=force, counts=summary.counts)
    total = 0
    for number, row in rows:
        total += 1
        cells = Cells(row, date_format, values)
        savepoint = session.begin_nested()
        try:
            outcome = handler(context, cells)
            savepoint.commit()
            setattr(summary, outcome, getattr(summary, outcome) + 1)
        except Denied:
            savepoint.rollback()
            raise  # a refusal is about the actor, not the row: the whole import is refused
        except ClinicError as exc:
            savepoint.rollback()
            failures.add(RowError(number, cells.column, exc))
        tick(1)
    failures.raise_if_any(total)
    return summary



ROW_HANDLERS: dict[str, Callable[[RowContext, Cells], str]] = {
    "staff": _staff_row,
    "locations": _location_row,
    "services": _service_row,
    "availability": _availability_row,
    "assignments": _assignment_row,
    "appointments": appointment_row,
    "timeoff": _time_off_row,
}
