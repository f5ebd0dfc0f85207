"""Import: header-driven CSV in the columns of the matching export, all or nothing.

Every row is checked before anything is kept; a bad row is reported with its row number and
column, and one bad row means nothing is written. Rows are matched to what is already there
on natural keys (staff by email; clients by external id, else name and date of birth;
assignments by client and provider; availability by provider, days, hours and first day;
appointments by provider and start), so importing the same file twice changes nothing. The
``id`` columns of an export are ignored: ids belong to the database that made them.

Clients are imported in chunks with bulk statements (a 100,000-row file streams through in
constant memory). The other kinds run each row through the same service as the single
command (staff add, availability add, booking checks), each in a savepoint.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from clinicctl.csvio import MAX_REPORTED, RowError, chunks, restore
from clinicctl.db import insert_many, one_of
from clinicctl.errors import ClinicError, Conflict, Denied, ExitCode, InvalidInput, NotFound
from clinicctl.models import (
    APPOINTMENT_STATUSES,
    ASSIGNMENT_ORIGINS,
    ASSIGNMENT_STATUSES,
    CANCELLED_STATUSES,
    RECORDS_OWNERS,
    Appointment,
    AppointmentSeries,
    AvailabilityBlock,
    Client,
    Staff,
    utcnow,
)
from clinicctl.pos import DEFAULT_POS
from clinicctl.services import access, audit, availability, clients, staff
from clinicctl.services.access import Action
from clinicctl.services.appointments import BookingResult, check_occurrences, ensure_in_list
from clinicctl.services.catalog import (
    add_location,
    add_service,
    get_service,
    resolve_location,
    validate_pos,
)
from clinicctl.services.exchange import COLUMNS
from clinicctl.services.practice import practice_zone
from clinicctl.services.refs import name_key, parse_date, resolve_provider
from clinicctl.services.timeutil import parse_local_datetime, parse_time, parse_weekdays

CHUNK = 2000
# In the order a whole practice is imported: each kind refers only to kinds before it.
KINDS = ("staff", "locations", "services", "clients", "availability", "assignments",
         "appointments")
REQUIRED: dict[str, tuple[str, ...]] = {
    "staff": ("email",),
    "locations": ("name", "pos"),
    "services": ("code", "name", "minutes"),
    "clients": ("first_name", "last_name", "dob"),
    "availability": ("provider", "weekdays", "start_time", "end_time"),
    "assignments": ("provider",),
    "appointments": ("provider", "start"),
}
# Columns an import reads besides the required ones: the rest of its export's columns.
OPTIONAL = {kind: tuple(c for c in COLUMNS[kind] if c not in REQUIRED[kind]) for kind in KINDS}
CLIENT_FIELDS = ("first_name", "last_name", "preferred_name", "dob", "sex", "email", "phone",
                 "address", "external_id")

Row = tuple[int, dict[str, str]]
Advance = Callable[[int], None]


@dataclass
class ImportSummary:
    kind: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    # What the rows changed beyond themselves (chart shares ended by a deactivation, ...),
    # one line each, for stderr even with --quiet.
    alerts: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return self.created + self.updated + self.unchanged

    def as_dict(self) -> dict[str, int]:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged}


class _Failures:
    """Bad rows so far; turns them into one error for the whole file."""

    def __init__(self) -> None:
        self.count = 0
        self.reported: list[RowError] = []

    def add(self, failure: RowError) -> None:
        self.count += 1
        if len(self.reported) < MAX_REPORTED:
            self.reported.append(failure)

    def raise_if_any(self, total: int) -> None:
        if not self.count:
            return
        first = self.reported[0]
        if self.count == 1:
            raise _same_kind(first.error, str(first))
        details = [str(f) for f in self.reported]
        if self.count > len(self.reported):
            details.append(f"... and {self.count - len(self.reported)} more")
        raise _same_kind(first.error, f"{self.count} of {total} rows are bad; nothing was "
                         "imported", details)


def _same_kind(error: ClinicError, message: str, details: list[str] | None = None
               ) -> ClinicError:
    """An error for the whole file with the exit code of its first bad row."""
    by_code: dict[int, type[ClinicError]] = {
        ExitCode.NOT_FOUND: NotFound, ExitCode.CONFLICT: Conflict}
    return by_code.get(error.exit_code, InvalidInput)(message, details=details or [])


def import_rows(session: Session, actor: Staff, kind: str, rows: Iterable[Row], *,
                advance: Advance | None = None) -> ImportSummary:
    """Import one kind of data; raise one error naming every bad row, having written nothing
    that stays (the caller's transaction rolls back)."""
    if kind not in KINDS:
        raise InvalidInput(f"unknown import {kind!r}; expected {', '.join(KINDS)}")
    access.authorize_import(actor, kind)
    tick = advance or (lambda n: None)
    if kind == "clients":
        summary = _import_clients(session, actor, rows, tick)
    else:
        summary = _import_each(session, actor, kind, rows, tick)
    if not summary.rows:
        raise InvalidInput("the CSV file has no data rows")
    audit.record(session, actor_id=actor.id, action=Action(f"import.{kind}"), object_type="import",
                 details={"kind": kind, **summary.as_dict()})
    return summary


# --- cells ------------------------------------------------------------------------------

def _cell(row: dict[str, str], column: str) -> str | None:
    """A cell's value, None when the column is absent or the cell empty."""
    value = row.get(column)
    if value is None:
        return None
    value = restore(value.strip())
    return value or None


_TRUE, _FALSE = ("true", "yes", "1", "y"), ("false", "no", "0", "n")


def _flag(row: dict[str, str], column: str, default: bool) -> bool:
    value = _cell(row, column)
    if value is None:
        return default
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise InvalidInput(f"invalid {column} {value!r}: expected true or false")


def _count(row: dict[str, str], column: str, default: int) -> int:
    value = _cell(row, column)
    if value is None:
        return default
    if not value.isdigit():
        raise InvalidInput(f"invalid {column} {value!r}: expected a whole number of minutes")
    return int(value)


def _split(value: str | None) -> list[str]:
    return [part for part in re.split(r"[;,\s]+", value or "") if part]


class _Cells:
    """One row's cells; remembers the column being read, for the row's error message."""

    def __init__(self, row: dict[str, str]) -> None:
        self.row = row
        self.column: str | None = None

    def __contains__(self, column: str) -> bool:
        return column in self.row

    def get(self, column: str) -> str | None:
        self.column = column
        return _cell(self.row, column)

    def text(self, column: str) -> str:
        return self.get(column) or ""

    def flag(self, column: str, default: bool) -> bool:
        self.column = column
        return _flag(self.row, column, default)

    def count(self, column: str, default: int) -> int:
        self.column = column
        return _count(self.row, column, default)

    def done(self) -> None:
        """The checks that follow are about the row as a whole."""
        self.column = None


# --- clients: bulk --------------------------------------------------------------------------

class _ClientRecord:
    """One row of a clients file, cleaned: the columns the file has, and its match keys."""

    __slots__ = ("number", "values", "external_id", "key")

    def __init__(self, number: int, values: dict[str, Any]) -> None:
        self.number = number
        self.values = values
        self.external_id: str | None = values.get("external_id")
        self.key: str = values["name_key"]


class _ClientReader:
    """Turns rows of a clients file into cleaned values, with the rules of ``client add``.

    Built once per file (the columns it has, today's date), then called for every row: this
    is the inner loop of a 100,000-row import, so it avoids work per cell.
    """

    def __init__(self, columns: Iterable[str]) -> None:
        present = set(columns)
        self.fields = [f for f in CLIENT_FIELDS if f in present]
        self.today = access.today()
        self.limits = clients.length_limits()

    def __call__(self, number: int, row: dict[str, str]) -> _ClientRecord:
        column = None
        try:
            values: dict[str, Any] = {}
            for column in self.fields:
                value = row[column]
                if value[:1] == "'":
                    value = restore(value)
                limit = self.limits.get(column)
                if limit is not None and len(value) > limit:
                    raise InvalidInput(f"longer than {limit} characters")
                if column == "first_name" or column == "last_name":
                    values[column] = clients.clean_name(value, column.replace("_", " "))
                elif column == "dob":
                    if not value:
                        raise InvalidInput("date of birth is empty")
                    values[column] = clients.validate_dob(value, today=self.today)
                elif column == "external_id":
                    if value:
                        values[column] = value  # never cleared by an import: the match key
                elif column == "email":
                    values[column] = clients.clean_email(value)
                else:
                    values[column] = value or None
            column = None
            values["name_key"] = name_key(values["first_name"], values["last_name"])
            return _ClientRecord(number, values)
        except ClinicError as exc:
            raise RowError(number, column, exc) from None


def _import_clients(session: Session, actor: Staff, rows: Iterable[Row], tick: Advance
                    ) -> ImportSummary:
    summary = ImportSummary("clients")
    failures = _Failures()
    total = 0
    # Clients made by this import have ids above this; meeting one again means the file
    # names the same client twice. Existing clients met are remembered by id.
    newest_before = session.scalar(select(func.max(Client.id))) or 0
    met_existing: set[int] = set()
    fields = [c for c in Client.__table__.columns if c.name in (*CLIENT_FIELDS, "id",
                                                                  "name_key")]
    created_at = utcnow()
    by_import = {"by": "import"}
    by_external_id = select(*fields).where(one_of(session, Client.external_id, "keys"))
    by_name_key = select(*fields).where(one_of(session, Client.name_key, "keys"))
    read: _ClientReader | None = None
    for chunk in chunks(rows, CHUNK):
        total += len(chunk)
        records: list[_ClientRecord] = []
        read = read or _ClientReader(chunk[0][1])
        for number, row in chunk:
            try:
                records.append(read(number, row))
            except RowError as failure:
                failures.add(failure)
        external_ids = [r.external_id for r in records if r.external_id]
        by_external = {c.external_id: c for c in session.execute(
            by_external_id, {"keys": external_ids})} if external_ids else {}
        by_name: dict[str, list[Any]] = {}
        for match in session.execute(by_name_key, {"keys": list({r.key for r in records})}):
            by_name.setdefault(match.name_key, []).append(match)
        inserts: list[tuple[Any, ...]] = []
        updates: list[dict[str, Any]] = []
        in_chunk: dict[tuple[Any, ...], int] = {}
        for record in records:
            try:
                existing = _match_client(record, by_external, by_name)
                keys: list[tuple[Any, ...]] = [("name", record.key, record.values["dob"])]
                if record.external_id:
                    keys.append(("external", record.external_id))
                for key in keys:
                    if key in in_chunk:
                        raise InvalidInput(f"the same client as row {in_chunk[key]}")
                    in_chunk[key] = record.number
                if existing is None:
                    values = record.values
                    inserts.append((*(values.get(field) for field in CLIENT_FIELDS),
                                    values["name_key"]))
                    summary.created += 1
                    continue
                if existing.id > newest_before or existing.id in met_existing:
                    raise InvalidInput(f"the same client as an earlier row (#{existing.id})")
                met_existing.add(existing.id)
                changes = {k: v for k, v in record.values.items() if getattr(existing, k) != v}
                if changes:
                    updates.append({"id": existing.id, **changes})
                    summary.updated += 1
                else:
                    summary.unchanged += 1
            except ClinicError as exc:
                failures.add(RowError(record.number, None, exc))
        if not failures.count:
            # Bulk statements: one per chunk, not a query per row. Every client added or
            # changed still gets its own audit event, as `client add` / `client edit` give.
            events: list[dict[str, Any]] = []
            if inserts:
                newest = session.scalar(select(func.max(Client.id))) or 0
                insert_many(session, Client.__table__,  # type: ignore[arg-type]
                            (*CLIENT_FIELDS, "name_key"), inserts,
                            same={"created_at": created_at})
                # Writers are serialised (BEGIN IMMEDIATE, the PostgreSQL advisory lock), so
                # the ids above the newest are this chunk's.
                events += [{"actor_id": actor.id, "action": Action.CLIENT_ADD,
                            "object_type": "client", "object_id": new_id, "client_id": new_id,
                            "details": by_import}
                           for new_id in session.scalars(select(Client.id).where(
                               Client.id > newest).order_by(Client.id))]
            if updates:
                session.execute(update(Client), updates)
                events += [{"actor_id": actor.id, "action": Action.CLIENT_EDIT,
                            "object_type": "client", "object_id": values["id"],
                            "client_id": values["id"],
                            "details": {"by": "import",
                                        "fields": sorted(k for k in values
                                                         if k not in ("id", "name_key"))}}
                           for values in updates]
            audit.record_many(session, events)
        tick(len(chunk))
    failures.raise_if_any(total)
    return summary


def _match_client(record: _ClientRecord, by_external: dict[Any, Any],
                  by_name: dict[str, list[Any]]) -> Any:
    """The existing client a row stands for: by external id, else by name and date of birth
    (a row with an external id only matches a client who has none yet)."""
    if record.external_id and record.external_id in by_external:
        return by_external[record.external_id]
    candidates = [c for c in by_name.get(record.key, [])
                  if c.dob == record.values["dob"]
                  and (record.external_id is None or c.external_id is None)]
    if len(candidates) > 1:
        raise InvalidInput(f"{len(candidates)} clients have this name and date of birth; "
                           "add an external_id to say which")
    return candidates[0] if candidates else None


# --- the other kinds: one row at a time through the services ---------------------------

def _import_each(session: Session, actor: Staff, kind: str, rows: Iterable[Row],
                 tick: Advance) -> ImportSummary:
    summary = ImportSummary(kind)
    failures = _Failures()
    handler = _HANDLERS[kind]
    context = _Context(session, actor, summary.alerts)
    total = 0
    for number, row in rows:
        total += 1
        cells = _Cells(row)
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


class _Context:
    def __init__(self, session: Session, actor: Staff, alerts: list[str]) -> None:
        self.session = session
        self.actor = actor
        self.alerts = alerts
        self.zone = practice_zone(session)
        self.series: dict[str, int] = {}  # the file's series ids -> the new series


def _changed(context: _Context, action: str, object_type: str, object_id: int,
             changes: dict[str, Any], **extra: Any) -> str:
    audit.record(context.session, actor_id=context.actor.id, action=action,
                 object_type=object_type, object_id=object_id,
                 details={"fields": sorted(changes), "by": "import", **extra})
    return "updated"


def _staff_row(context: _Context, cells: _Cells) -> str:
    session, actor = context.session, context.actor
    email = staff.validate_email(cells.text("email"))
    roles = None
    if "roles" in cells:
        roles = staff.validate_roles(_split(cells.get("roles")))
    records_owner = cells.get("records_owner")
    if records_owner is not None and records_owner not in RECORDS_OWNERS:
        raise InvalidInput(f"invalid records owner {records_owner!r}; expected group or "
                           "provider")
    active = cells.flag("active", True)
    name = cells.get("name")
    credentials = cells.get("credentials")
    existing = session.scalar(select(Staff).where(func.lower(Staff.email) == email.lower()))
    cells.done()
    if existing is None:
        if name is None:
            raise InvalidInput("name is empty: a new staff member needs a name")
        if roles is None:
            raise InvalidInput("roles is empty: a new staff member needs a role")
        created = staff.create_staff(session, name=name, email=email, roles=roles,
                                     credentials=credentials,
                                     records_owner=records_owner or "group", created_by=actor)
        if not active:
            staff.deactivate(session, actor, f"#{created.id}")
        return "created"
    changed = False
    if roles is not None and set(roles) != set(existing.roles):
        change = staff.change_roles(session, actor, f"#{existing.id}",
                                    add=[r for r in roles if r not in existing.roles],
                                    remove=[r for r in existing.roles if r not in roles])
        _ended_shares_alert(context, existing, change.ended_shares, "lost the provider role")
        changed = True
    fields: dict[str, Any] = {}
    if name is not None and (cleaned := staff.validate_name(name)) != existing.name:
        fields["name"] = cleaned
        fields["name_key"] = name_key(cleaned)
    if "credentials" in cells and credentials != existing.credentials:
        fields["credentials"] = credentials
    if records_owner is not None and records_owner != existing.records_owner:
        fields["records_owner"] = records_owner
    if fields:
        # As for their roles, a manager may not change the owner or a records custodian.
        access.authorize_staff_admin(actor, Action.STAFF_UPDATE, roles=existing.roles)
        if "records_owner" in fields:
            access.authorize_records_owner_change(actor, existing)
        for key, value in fields.items():
            setattr(existing, key, value)
        session.flush()
        _changed(context, Action.STAFF_UPDATE, "staff", existing.id, fields)
        changed = True
    if active != existing.active:
        if active:
            access.authorize_staff_admin(actor, Action.STAFF_REACTIVATE, roles=existing.roles)
            existing.active = True
            session.flush()
            _changed(context, Action.STAFF_REACTIVATE, "staff", existing.id, {"active": True})
        else:
            ended = staff.deactivate(session, actor, f"#{existing.id}").ended_shares
            _ended_shares_alert(context, existing, ended, "was deactivated")
        changed = True
    return "updated" if changed else "unchanged"


def _ended_shares_alert(context: _Context, member: Staff, ended: list[Any], why: str) -> None:
    if ended:
        context.alerts.append(
            f"{member.name} {why}: ended chart shares "
            + ", ".join(f"#{s.id} (client #{s.client_id})" for s in ended))


def _location_row(context: _Context, cells: _Cells) -> str:
    name, pos = cells.text("name"), cells.text("pos")
    cells.done()
    _, created = add_location(context.session, context.actor, name, pos)
    return "created" if created else "unchanged"


def _service_row(context: _Context, cells: _Cells) -> str:
    code, name = cells.text("code"), cells.text("name")
    minutes = cells.count("minutes", 0)
    cells.done()
    _, created = add_service(context.session, context.actor, code, name, minutes)
    return "created" if created else "unchanged"


def _availability_row(context: _Context, cells: _Cells) -> str:
    session, actor = context.session, context.actor
    provider = resolve_provider(session, cells.text("provider"))
    days = cells.text("weekdays")
    mask = parse_weekdays(days)
    start = cells.text("start_time")
    start_time = parse_time(start, "start time")
    end = cells.text("end_time")
    end_time = parse_time(end, "end time")
    location_name = cells.get("location")
    location = resolve_location(session, location_name) if location_name else None
    session_minutes = cells.count("session_minutes", 50)
    break_minutes = cells.count("break_minutes", 10)
    first = cells.get("effective_from")
    last = cells.get("effective_until")
    first_day = parse_date(first, "effective_from date") if first else None
    cells.done()
    existing = session.scalar(select(AvailabilityBlock).where(
        AvailabilityBlock.provider_id == provider.id, AvailabilityBlock.weekdays == mask,
        AvailabilityBlock.start_time == start_time, AvailabilityBlock.end_time == end_time,
        AvailabilityBlock.effective_from.is_(None) if first_day is None
        else AvailabilityBlock.effective_from == first_day))
    if existing is None:
        availability.add_block(session, actor, f"#{provider.id}", days=days, start=start,
                               end=end, location_ref=f"#{location.id}" if location else None,
                               session_minutes=session_minutes, break_minutes=break_minutes,
                               effective_from=first, effective_until=last)
        return "created"
    access.authorize_availability(actor, provider, Action.AVAILABILITY_UPDATE)
    last_day = parse_date(last, "effective_until date") if last else None
    if last_day is not None and first_day is not None and last_day < first_day:
        raise InvalidInput(f"effective_until {last_day} is before effective_from {first_day}")
    wanted = _present(cells, {"location": ("location_id", location.id if location else None),
                              "session_minutes": ("session_minutes", session_minutes),
                              "break_minutes": ("break_minutes", break_minutes),
                              "effective_until": ("effective_until", last_day)})
    changes = {k: v for k, v in wanted.items() if getattr(existing, k) != v}
    if not changes:
        return "unchanged"
    for key, value in changes.items():
        setattr(existing, key, value)
    session.flush()
    return _changed(context, Action.AVAILABILITY_UPDATE, "availability_block", existing.id, changes,
                    provider_id=provider.id)


def _find_client(context: _Context, cells: _Cells) -> Client:
    """The client a row refers to, by its natural key (never by a fuzzy name)."""
    session = context.session
    external_id = cells.get("client_external_id")
    if external_id:
        found = session.scalar(select(Client).where(Client.external_id == external_id))
        if found is None:
            raise NotFound(f"no client with external id {external_id!r}")
        return found
    first = clients.clean_name(cells.text("client_first_name"), "client first name")
    last = clients.clean_name(cells.text("client_last_name"), "client last name")
    dob = parse_date(cells.text("client_dob"), "client date of birth")
    cells.done()
    matches = session.scalars(select(Client).where(
        Client.name_key == name_key(first, last), Client.dob == dob).limit(2)).all()
    if not matches:
        raise NotFound(f"no client {first} {last} born {dob.isoformat()}")
    if len(matches) > 1:
        raise InvalidInput(f"several clients are {first} {last} born {dob.isoformat()}; add "
                           "client_external_id")
    return matches[0]


def _assignment_row(context: _Context, cells: _Cells) -> str:
    session, actor = context.session, context.actor
    client = _find_client(context, cells)
    provider = resolve_provider(session, cells.text("provider"))
    status = cells.get("status")
    if status is not None and status not in ASSIGNMENT_STATUSES:
        raise InvalidInput(f"invalid status {status!r}; expected "
                           f"{', '.join(ASSIGNMENT_STATUSES)}")
    codes = None
    if "diagnosis" in cells:
        codes = clients.validate_diagnosis(_split(cells.get("diagnosis")))
    origin = cells.get("origin") or "import"
    if origin not in ASSIGNMENT_ORIGINS:
        raise InvalidInput(f"invalid origin {origin!r}; expected {', '.join(ASSIGNMENT_ORIGINS)}")
    cells.done()
    existing = clients.get_assignment(session, client.id, provider.id)
    if existing is None:
        assignment = clients.assign(session, actor, client, provider, origin=origin,
                                    diagnosis=codes or [])
        if status is not None:
            assignment.status = status
            session.flush()
        return "created"
    access.authorize_assignment_edit(session, actor, existing, Action.ASSIGNMENT_UPDATE,
                                     clinical=codes is not None)
    wanted: dict[str, Any] = {}
    if status is not None:
        wanted["status"] = status
    if codes is not None:
        wanted["diagnosis"] = ",".join(codes)
    changes = {k: v for k, v in wanted.items() if getattr(existing, k) != v}
    if not changes:
        return "unchanged"
    for key, value in changes.items():
        setattr(existing, key, value)
    session.flush()
    audit.record(session, actor_id=actor.id, action=Action.ASSIGNMENT_UPDATE,
                 object_type="assignment", object_id=existing.id, client_id=client.id,
                 details={"fields": sorted(changes), "provider_id": provider.id,
                          "by": "import"})
    return "updated"


def _appointment_row(context: _Context, cells: _Cells) -> str:
    session, actor, zone = context.session, context.actor, context.zone
    client = _find_client(context, cells)
    provider = resolve_provider(session, cells.text("provider"))
    start = parse_local_datetime(cells.text("start"), zone,
                                 "start").astimezone(dt.UTC)
    service = get_service(session, cells.get("service"))
    end_text = cells.get("end")
    end = (parse_local_datetime(end_text, zone, "end").astimezone(dt.UTC) if end_text
           else start + dt.timedelta(minutes=service.minutes))
    if end <= start:
        raise InvalidInput("end is not after start")
    status = cells.get("status") or "scheduled"
    if status not in APPOINTMENT_STATUSES:
        raise InvalidInput(f"invalid status {status!r}; expected "
                           f"{', '.join(APPOINTMENT_STATUSES)}")
    location_name = cells.get("location")
    location = resolve_location(session, location_name) if location_name else None
    pos_text = cells.get("pos")
    pos = validate_pos(pos_text) if pos_text else (location.pos_code if location
                                                   else DEFAULT_POS)
    outside = cells.flag("outside_availability", False)
    reason = cells.get("cancellation_reason")
    cells.done()
    access.authorize_booking(session, actor, client, provider, Action.APPOINTMENT_IMPORT)
    wanted = {"client_id": client.id, "end_at": end, "status": status,
              "service_code": service.code, "pos_code": pos,
              "location_id": location.id if location else None,
              "cancellation_reason": reason, "outside_availability": outside}
    existing = session.scalar(select(Appointment).where(
        Appointment.provider_id == provider.id, Appointment.start_at == start))
    if existing is not None:
        if existing.client_id != client.id:
            raise Conflict(f"{provider.name} already has appointment #{existing.id} at this "
                           "start with another client")
        asked = _present(cells, {column: (field, wanted[field])
                                 for column, field in _APPOINTMENT_FIELDS.items()})
        changes = {k: v for k, v in asked.items() if getattr(existing, k) != v}
        if not changes:
            return "unchanged"
        if ({"status", "end_at"} & set(changes)
                and changes.get("status", existing.status) not in CANCELLED_STATUSES):
            _refuse_overlap(context, client, provider, start,
                            changes.get("end_at", existing.end_at), existing.id)
        for key, value in changes.items():
            setattr(existing, key, value)
        session.flush()
        return _changed(context, Action.APPOINTMENT_UPDATE, "appointment", existing.id, changes)

    if status == "scheduled" and start > utcnow():
        # A future booking gets every check a booking gets, availability included.
        fitted = check_occurrences(session, client=client, provider=provider,
                                   spans=[(start, end)], zone=zone,
                                   outside_availability=outside,
                                   outside_hint="set outside_availability to true to keep it")
        wanted["outside_availability"] = fitted[0] is None
    elif status not in CANCELLED_STATUSES:
        _refuse_overlap(context, client, provider, start, end, None)
    ensure_in_list(session, actor, BookingResult(client, provider, [], None, False),
                   Action.APPOINTMENT_IMPORT)
    series_ref = cells.get("series_id")
    series_id = None
    if series_ref is not None:
        if series_ref not in context.series:
            series = AppointmentSeries(rule=cells.get("series_rule") or "imported",
                                       created_by_id=actor.id)
            session.add(series)
            session.flush()
            context.series[series_ref] = series.id
        series_id = context.series[series_ref]
    appointment = Appointment(provider_id=provider.id, start_at=start, series_id=series_id,
                              created_by_id=actor.id, **wanted)
    session.add(appointment)
    session.flush()
    return "created"


# Appointment columns and the fields they set; on an existing appointment only the columns
# the file has are compared, so a file without a column leaves that detail as it is.
_APPOINTMENT_FIELDS = {"end": "end_at", "status": "status", "service": "service_code",
                       "pos": "pos_code", "location": "location_id",
                       "cancellation_reason": "cancellation_reason",
                       "outside_availability": "outside_availability"}


def _present(cells: _Cells, fields: dict[str, tuple[str, Any]]) -> dict[str, Any]:
    """The (field, value) pairs whose column is in the file."""
    return {field: value for column, (field, value) in fields.items() if column in cells}


def _refuse_overlap(context: _Context, client: Client, provider: Staff, start: dt.datetime,
                    end: dt.datetime, exclude_id: int | None) -> None:
    """Past and non-scheduled appointments are history, not bookings, but they still never
    overlap another appointment of the same provider or client."""
    other = context.session.scalar(select(Appointment).where(
        or_(Appointment.provider_id == provider.id, Appointment.client_id == client.id),
        Appointment.status.not_in(CANCELLED_STATUSES),
        Appointment.start_at < end, Appointment.end_at > start,
        *([Appointment.id != exclude_id] if exclude_id else [])).limit(1))
    if other is not None:
        whose = "the provider's" if other.provider_id == provider.id else "the client's"
        local = other.start_at.astimezone(context.zone)
        raise Conflict(f"overlaps {whose} appointment #{other.id} ({local:%Y-%m-%d %H:%M})")


_HANDLERS: dict[str, Callable[[_Context, _Cells], str]] = {
    "staff": _staff_row,
    "locations": _location_row,
    "services": _service_row,
    "availability": _availability_row,
    "assignments": _assignment_row,
    "appointments": _appointment_row,
}
