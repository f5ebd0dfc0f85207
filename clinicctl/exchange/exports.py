"""Export: staff, locations, service codes, clients, assignments, availability, time off,
appointments, chart shares and the audit trail.

The columns of each export are the columns its import reads, so an export imported into an
empty database gives the same practice back. Rows are streamed from the database (never
held in memory), limited to what the actor may export, and each export is audited with its
row count when the last row has been written. No export holds chart-note bodies or
documents: none of these queries reads those tables.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import Session, aliased

from clinicctl import access, trail
from clinicctl.actions import Action
from clinicctl.days import day_window, practice_zone
from clinicctl.errors import InvalidInput
from clinicctl.models import (
    Appointment,
    AppointmentParticipant,
    AppointmentSeries,
    Assignment,
    AuditEvent,
    AvailabilityBlock,
    ChartShare,
    Client,
    Location,
    ServiceCode,
    Staff,
    StaffRole,
    TimeOff,
)
from clinicctl.oversight import audit_log
from clinicctl.people.refs import parse_date, resolve_provider
from clinicctl.scheduling.appointments import place_scope
from clinicctl.scheduling.availability import BLOCK_FIELDS
from clinicctl.scheduling.places import places_of, sessions_of
from clinicctl.scheduling.time_off import TIME_OFF_FIELDS
from clinicctl.scheduling.timeutil import weekday_names

STREAM_CHUNK = 1000

# The client's natural key, repeated in every file that refers to a client.
CLIENT_KEY = ("client_external_id", "client_first_name", "client_last_name", "client_dob")

COLUMNS: dict[str, tuple[str, ...]] = {
    "staff": ("id", "email", "name", "credentials", "roles", "records_owner", "active"),
    "locations": ("id", "name", "pos"),
    "services": ("code", "name", "minutes", "builtin"),
    "clients": ("id", "external_id", "first_name", "last_name", "preferred_name", "dob",
                "sex", "email", "phone", "address"),
    "assignments": ("client_id", *CLIENT_KEY, "provider", "status", "diagnosis", "origin",
                    "created_at"),
    # `availability list` and `availability timeoff list` print the same shape.
    "availability": BLOCK_FIELDS,
    "timeoff": TIME_OFF_FIELDS,
    "appointments": ("id", "client_id", *CLIENT_KEY, "provider", "start", "end", "status",
                     "service", "pos", "location", "series_id", "series_rule",
                     "cancellation_reason", "outside_availability", "clients"),
    "shares": ("id", "client_id", *CLIENT_KEY, "from", "to", "include_private_notes",
               "started_at", "ended_at"),
    "audit": ("id", "at", "actor_id", "action", "object_type", "object_id", "client_id",
              "outcome", "details"),
}
FILTERS: dict[str, tuple[str, ...]] = {  # the --provider / --from / --to each one takes
    "staff": (),
    "locations": (),
    "services": (),
    "clients": ("provider",),
    "assignments": ("provider",),
    "availability": ("provider",),
    "timeoff": ("provider", "from", "to"),
    "appointments": ("provider", "from", "to"),
    "shares": ("provider",),
    "audit": ("from", "to"),
}


@dataclass
class Export:
    kind: str
    columns: tuple[str, ...]
    rows: Iterator[dict[str, Any]]


@dataclass
class _Window:
    provider: Staff | None
    start: dt.datetime | None  # first instant, inclusive
    end: dt.datetime | None  # instant after the last day, exclusive
    zone: ZoneInfo


def export(
    session: Session,
    actor: Staff,
    kind: str,
    *,
    provider_ref: str | None = None,
    first_day: str | None = None,
    last_day: str | None = None,
) -> Export:
    """The rows of one export, streamed; the audit event is written after the last row."""
    if kind not in COLUMNS:
        raise InvalidInput(f"unknown export {kind!r}; expected {', '.join(COLUMNS)}")
    asked = {"provider": provider_ref, "from": first_day, "to": last_day}
    for name, value in asked.items():
        if value is not None and name not in FILTERS[kind]:
            raise InvalidInput(f"export {kind} does not take --{name}")
    zone = practice_zone(session)
    window = _Window(None, None, None, zone)
    days = [parse_date(first_day, "--from date") if first_day else None,
            parse_date(last_day, "--to date") if last_day else None]
    if days[0] and days[1] and days[1] < days[0]:
        raise InvalidInput(f"--to {days[1]} is before --from {days[0]}")
    window.start, window.end = day_window(days[0], days[1], zone)
    # The role first: a refused actor learns nothing about which staff exist.
    scope = access.authorize_export(session, actor, kind)
    if provider_ref:
        window.provider = resolve_provider(session, provider_ref)
        scope = access.authorize_export(session, actor, kind, provider=window.provider)
    rows = _PRODUCERS[kind](session, actor, window, scope)
    filters: dict[str, Any] = {k: v for k, v in asked.items() if v is not None}
    if window.provider is not None:
        filters["provider"] = window.provider.id
    return Export(kind, COLUMNS[kind], _audited(session, actor, kind, filters, rows))


def _audited(session: Session, actor: Staff, kind: str, filters: dict[str, Any],
             rows: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    count = 0
    for row in rows:
        count += 1
        yield row
    trail.record(session, actor_id=actor.id, action=Action(f"export.{kind}"),
                 object_type="export",
                 details={"kind": kind, "rows": count, **filters})


def _stream(session: Session, query: Select) -> Iterator[Any]:  # type: ignore[type-arg]
    yield from session.execute(query.execution_options(yield_per=STREAM_CHUNK)).mappings()


def _clients_in_scope(scope: set[int] | None, provider: Staff | None):  # type: ignore[no-untyped-def]
    """Conditions on Client.id for a custodian's scope and a --provider filter."""
    conditions = []
    if scope is not None:
        conditions.append(Client.id.in_(
            select(Assignment.client_id).where(Assignment.provider_id.in_(scope))))
    if provider is not None:
        conditions.append(Client.id.in_(
            select(Assignment.client_id).where(Assignment.provider_id == provider.id)))
    return conditions


def _staff(session: Session, actor: Staff, window: _Window, scope: set[int] | None
           ) -> Iterator[dict[str, Any]]:
    roles: dict[int, list[str]] = {}
    for staff_id, role in session.execute(select(StaffRole.staff_id, StaffRole.role)):
        roles.setdefault(staff_id, []).append(role)
    from clinicctl.models import ROLES

    query = select(Staff.id, Staff.email, Staff.name, Staff.credentials, Staff.records_owner,
                   Staff.active).order_by(Staff.id)
    for row in _stream(session, query):
        yield {**row, "roles": sorted(roles.get(row["id"], []), key=ROLES.index)}


def _locations(session: Session, actor: Staff, window: _Window, scope: set[int] | None
               ) -> Iterator[dict[str, Any]]:
    query = select(Location.id, Location.name, Location.pos_code.label("pos")).order_by(
        Location.id)
    yield from (dict(row) for row in _stream(session, query))


def _services(session: Session, actor: Staff, window: _Window, scope: set[int] | None
              ) -> Iterator[dict[str, Any]]:
    query = select(ServiceCode.code, ServiceCode.name, ServiceCode.minutes,
                   ServiceCode.builtin).order_by(ServiceCode.code)
    yield from (dict(row) for row in _stream(session, query))


def _clients(session: Session, actor: Staff, window: _Window, scope: set[int] | None
             ) -> Iterator[dict[str, Any]]:
    query = (select(Client.id, Client.external_id, Client.first_name, Client.last_name,
                    Client.preferred_name, Client.dob, Client.sex, Client.email, Client.phone,
                    Client.address)
             .where(*_clients_in_scope(scope, window.provider)).order_by(Client.id))
    yield from (dict(row) for row in _stream(session, query))


def _client_key_columns():  # type: ignore[no-untyped-def]
    return (Client.external_id.label("client_external_id"),
            Client.first_name.label("client_first_name"),
            Client.last_name.label("client_last_name"), Client.dob.label("client_dob"))


def _assignments(session: Session, actor: Staff, window: _Window, scope: set[int] | None
                 ) -> Iterator[dict[str, Any]]:
    query = (select(Assignment.client_id, *_client_key_columns(),
                    Staff.email.label("provider"), Assignment.status, Assignment.diagnosis,
                    Assignment.origin, Assignment.created_at)
             .join(Client, Client.id == Assignment.client_id)
             .join(Staff, Staff.id == Assignment.provider_id)
             .order_by(Assignment.id))
    if scope is not None:
        query = query.where(Assignment.provider_id.in_(scope))
    if window.provider is not None:
        query = query.where(Assignment.provider_id == window.provider.id)
    for row in _stream(session, query):
        yield {**row, "diagnosis": [c for c in row["diagnosis"].split(",") if c],
               "created_at": row["created_at"].astimezone(window.zone)}


def _availability(session: Session, actor: Staff, window: _Window, scope: set[int] | None
                  ) -> Iterator[dict[str, Any]]:
    query = (select(AvailabilityBlock.id, AvailabilityBlock.provider_id,
                    Staff.name.label("provider"), Staff.email.label("provider_email"),
                    AvailabilityBlock.weekdays, AvailabilityBlock.start_time,
                    AvailabilityBlock.end_time, Location.name.label("location"),
                    AvailabilityBlock.session_minutes, AvailabilityBlock.break_minutes,
                    AvailabilityBlock.effective_from, AvailabilityBlock.effective_until)
             .join(Staff, Staff.id == AvailabilityBlock.provider_id)
             .outerjoin(Location, Location.id == AvailabilityBlock.location_id)
             .order_by(AvailabilityBlock.provider_id, AvailabilityBlock.id))  # as listed
    if scope is not None:
        query = query.where(AvailabilityBlock.provider_id.in_(scope))
    if window.provider is not None:
        query = query.where(AvailabilityBlock.provider_id == window.provider.id)
    for row in _stream(session, query):
        yield {**row, "weekdays": weekday_names(row["weekdays"]),
               "start_time": row["start_time"].strftime("%H:%M"),
               "end_time": row["end_time"].strftime("%H:%M")}


def _time_off(session: Session, actor: Staff, window: _Window, scope: set[int] | None
              ) -> Iterator[dict[str, Any]]:
    """Time off that touches the window's days, earliest first."""
    query = (select(TimeOff.id, TimeOff.provider_id, Staff.name.label("provider"),
                    Staff.email.label("provider_email"), TimeOff.start_at, TimeOff.end_at,
                    TimeOff.reason)
             .join(Staff, Staff.id == TimeOff.provider_id)
             .order_by(TimeOff.start_at, TimeOff.id))
    if scope is not None:
        query = query.where(TimeOff.provider_id.in_(scope))
    if window.provider is not None:
        query = query.where(TimeOff.provider_id == window.provider.id)
    if window.start is not None:
        query = query.where(TimeOff.end_at > window.start.astimezone(dt.UTC))
    if window.end is not None:
        query = query.where(TimeOff.start_at < window.end.astimezone(dt.UTC))
    for row in _stream(session, query):
        out = dict(row)
        out["start"] = out.pop("start_at").astimezone(window.zone)
        out["end"] = out.pop("end_at").astimezone(window.zone)
        yield out


SeenPlace = aliased(AppointmentParticipant)
SeenClient = aliased(Client)


def _appointments(session: Session, actor: Staff, window: _Window, scope: set[int] | None
                  ) -> Iterator[dict[str, Any]]:
    """One row per session. The one-client columns (``client_id`` and the client's key)
    are a one-client session's; a session of several clients has them empty and names its
    clients by id in ``clients`` (first client first), as every row does."""
    query = (select(Appointment.id, Appointment.client_id, *_client_key_columns(),
                    Staff.email.label("provider"), Appointment.start_at, Appointment.end_at,
                    Appointment.status, Appointment.service_code, Appointment.pos_code,
                    Location.name.label("location"), Appointment.series_id,
                    AppointmentSeries.rule.label("series_rule"),
                    Appointment.cancellation_reason, Appointment.outside_availability,
                    Appointment.provider_id)
             # A session's first client may be one the actor may not see (a restricted
             # client outside their care team): the session is still theirs to export when
             # another of its clients is seen, its one-client columns then empty.
             .outerjoin(Client, Client.id == Appointment.client_id)
             .join(Staff, Staff.id == Appointment.provider_id)
             .outerjoin(Location, Location.id == Appointment.location_id)
             .outerjoin(AppointmentSeries, AppointmentSeries.id == Appointment.series_id)
             .where(or_(Client.id.is_not(None), Appointment.id.in_(
                 select(SeenPlace.appointment_id)
                 .join(SeenClient, SeenClient.id == SeenPlace.client_id))))
             .order_by(Appointment.start_at, Appointment.id))
    if scope is not None:
        # A session is in a custodian's scope when any of its clients is.
        query = query.where(sessions_of(
            select(Assignment.client_id).where(Assignment.provider_id.in_(scope))))
    if window.provider is not None:
        query = query.where(Appointment.provider_id == window.provider.id)
    if window.start is not None:
        query = query.where(Appointment.start_at >= window.start.astimezone(dt.UTC))
    if window.end is not None:
        query = query.where(Appointment.start_at < window.end.astimezone(dt.UTC))
    chunk: list[dict[str, Any]] = []
    for row in _stream(session, query):
        chunk.append(dict(row))
        if len(chunk) == STREAM_CHUNK:
            yield from _appointment_rows(session, actor, window, chunk)
            chunk = []
    yield from _appointment_rows(session, actor, window, chunk)


def _appointment_rows(session: Session, actor: Staff, window: _Window,
                      chunk: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """The rows of one chunk with their clients, read for the chunk at once. As in
    ``appointment list``, a session that is not the actor's own shows only the clients
    whose place they may see."""
    if not chunk:
        return
    places = places_of(session, [row["id"] for row in chunk])
    seen = place_scope(session, actor, (client_id for found in places.values()
                                        for client_id, _ in found))
    for out in chunk:
        found = [client_id for client_id, _ in places.get(out["id"], [])]
        if seen is not None and out.pop("provider_id") != actor.id:
            found = [client_id for client_id in found if client_id in seen]
        out.pop("provider_id", None)
        if found != [out["client_id"]]:
            # Several clients, or one the actor may see who is not the first: the
            # one-client columns (the first client's) stay empty.
            for column in ("client_id", *CLIENT_KEY):
                out[column] = None
        out["clients"] = ";".join(str(client_id) for client_id in found)
        out["start"] = out.pop("start_at").astimezone(window.zone)
        out["end"] = out.pop("end_at").astimezone(window.zone)
        out["service"] = out.pop("service_code")
        out["pos"] = out.pop("pos_code")
        yield out


def _shares(session: Session, actor: Staff, window: _Window, scope: set[int] | None
            ) -> Iterator[dict[str, Any]]:
    giver, receiver = aliased(Staff), aliased(Staff)
    query = (select(ChartShare.id, ChartShare.client_id, *_client_key_columns(),
                    giver.email.label("from"), receiver.email.label("to"),
                    ChartShare.include_private_notes, ChartShare.started_at,
                    ChartShare.ended_at)
             .join(Client, Client.id == ChartShare.client_id)
             .join(giver, giver.id == ChartShare.from_provider_id)
             .join(receiver, receiver.id == ChartShare.to_provider_id)
             .order_by(ChartShare.id))
    if scope is not None:
        query = query.where(ChartShare.from_provider_id.in_(scope))
    if window.provider is not None:
        query = query.where(or_(ChartShare.from_provider_id == window.provider.id,
                                ChartShare.to_provider_id == window.provider.id))
    for row in _stream(session, query):
        ended = row["ended_at"]
        yield {**row, "started_at": row["started_at"].astimezone(window.zone),
               "ended_at": ended.astimezone(window.zone) if ended else None}


def _audit(session: Session, actor: Staff, window: _Window, scope: set[int] | None
           ) -> Iterator[dict[str, Any]]:
    from clinicctl.db import reads_through_functions

    if reads_through_functions(session):
        query = audit_log.events_through_function(audit_log.AuditFilter(
            since=window.start.astimezone(dt.UTC) if window.start else None,
            until=window.end.astimezone(dt.UTC) if window.end else None))
        for event in session.execute(query.execution_options(yield_per=STREAM_CHUNK)
                                     ).scalars():
            yield audit_log.event_row(event, window.zone)
        return
    query = select(AuditEvent).order_by(AuditEvent.id)
    if window.start is not None:
        query = query.where(AuditEvent.at >= window.start.astimezone(dt.UTC))
    if window.end is not None:
        query = query.where(AuditEvent.at < window.end.astimezone(dt.UTC))
    if not actor.has_role("owner", "manager"):
        # A records custodian reads the events about clients in their scope, as `audit list`.
        in_scope = select(Assignment.client_id)
        if scope is not None:
            in_scope = in_scope.where(Assignment.provider_id.in_(scope))
        query = query.where(and_(AuditEvent.client_id.is_not(None),
                                 AuditEvent.client_id.in_(in_scope)))
    for event in session.execute(query.execution_options(yield_per=STREAM_CHUNK)).scalars():
        yield audit_log.event_row(event, window.zone)


_PRODUCERS = {
    "staff": _staff,
    "locations": _locations,
    "services": _services,
    "clients": _clients,
    "assignments": _assignments,
    "availability": _availability,
    "timeoff": _time_off,
    "appointments": _appointments,
    "shares": _shares,
    "audit": _audit,
}
