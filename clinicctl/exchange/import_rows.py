"""Importing the other kinds one row at a time, each row through the same service as the
single command (staff add, availability add, the booking checks), each in a savepoint."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from clinicctl import access, trail
from clinicctl.actions import Action
from clinicctl.days import practice_zone
from clinicctl.errors import Conflict, InvalidInput, NotFound
from clinicctl.exchange.cells import Cells
from clinicctl.exchange.file_format import read_date
from clinicctl.models import (
    ASSIGNMENT_ORIGINS,
    ASSIGNMENT_STATUSES,
    RECORDS_OWNERS,
    AvailabilityBlock,
    Client,
    ServiceCode,
    Staff,
    TimeOff,
)
from clinicctl.people import clients, staff
from clinicctl.people.refs import name_key, resolve_provider, search_key
from clinicctl.scheduling import availability, time_off
from clinicctl.scheduling.catalog import (
    add_location,
    add_service,
    edit_location,
    edit_service,
    location_named,
    resolve_location,
)
from clinicctl.scheduling.timeutil import parse_time, parse_weekdays


class RowContext:
    def __init__(self, session: Session, actor: Staff, alerts: list[str], *,
                 force: bool = False, counts: dict[str, int] | None = None) -> None:
        self.session = session
        self.actor = actor
        # Lines for stderr, printed as they are even with --quiet.
        self.alerts = alerts
        self.force = force  # `import timeoff --force`: time off over booked appointments
        self.counts = counts if counts is not None else {}  # the summary's extra counts
        self.zone = practice_zone(session)
        self.series: dict[str, int] = {}  # the file's series ids -> the new series

    def count(self, key: str) -> None:
        self.counts[key] = self.counts.get(key, 0) + 1


def _changed(context: RowContext, action: str, object_type: str, object_id: int,
             changes: dict[str, Any], **extra: Any) -> str:
    trail.record(context.session, actor_id=context.actor.id, action=action,
                 object_type=object_type, object_id=object_id,
                 details={"fields": sorted(changes), "by": "import", **extra})
    return "updated"


def _staff_row(context: RowContext, cells: Cells) -> str:
    session, actor = context.session, context.actor
    email = staff.validate_email(cells.text("email"))
    roles = None
    if "roles" in cells:
        roles = staff.validate_roles(cells.items("roles"))
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
        fields["search_key"] = search_key(cleaned)
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


def _ended_shares_alert(context: RowContext, member: Staff, ended: list[Any], why: str) -> None:
    if ended:
        context.alerts.append(
            f"Alert: {member.name} {why}: ended chart shares "
            + ", ".join(f"#{s.id} (client #{s.client_id})" for s in ended) + ".")


def _location_row(context: RowContext, cells: Cells) -> str:
    """Upsert on the name: a new POS code is an edit, as `location edit` makes it."""
    name, pos = cells.text("name"), cells.text("pos")
    cells.done()
    existing = location_named(context.session, name)
    if existing is None:
        add_location(context.session, context.actor, name, pos)
        return "created"
    edited = edit_location(context.session, context.actor, f"#{existing.id}", pos=pos)
    return "updated" if edited.changes else "unchanged"


def _service_row(context: RowContext, cells: Cells) -> str:
    """Upsert on the code: a new name or length is an edit, as `service edit` makes it
    (an edited built-in code exports and imports like any other)."""
    code, name = cells.text("code"), cells.text("name")
    minutes = cells.count("minutes", 0)
    cells.done()
    if context.session.get(ServiceCode, code.strip().upper()) is None:
        add_service(context.session, context.actor, code, name, minutes)
        return "created"
    _, changes = edit_service(context.session, context.actor, code, name=name,
                              minutes=minutes)
    return "updated" if changes else "unchanged"


def row_provider(context: RowContext, cells: Cells) -> Staff:
    """The provider of a row: ``provider_email`` when the file has it (the exports write
    it), else ``provider`` (an email, #ID or full name, as older exports wrote it)."""
    if cells.get("provider_email") is not None:
        return resolve_provider(context.session, cells.text("provider_email"))
    if cells.get("provider") is None:
        raise InvalidInput("provider is empty: give provider_email (or provider)")
    return resolve_provider(context.session, cells.text("provider"))


def _availability_row(context: RowContext, cells: Cells) -> str:
    session, actor = context.session, context.actor
    provider = row_provider(context, cells)
    # `mon,wed` as older exports wrote it, `mon;wed` as list cells are written now.
    days = ",".join(cells.items("weekdays"))
    mask = parse_weekdays(days)
    start = cells.text("start_time")
    start_time = parse_time(start, "start time")
    end = cells.text("end_time")
    end_time = parse_time(end, "end time")
    location_name = cells.get("location")
    location = resolve_location(session, location_name) if location_name else None
    session_minutes = cells.count("session_minutes", 50)
    break_minutes = cells.count("break_minutes", 10)
    first_day = cells.date("effective_from", "effective_from date")
    last_day = cells.date("effective_until", "effective_until date")
    # The service reads the dates as YYYY-MM-DD, whatever the file's format.
    first = first_day.isoformat() if first_day else None
    last = last_day.isoformat() if last_day else None
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
    if last_day is not None and first_day is not None and last_day < first_day:
        raise InvalidInput(f"effective_until {last_day} is before effective_from {first_day}")
    wanted = _present(cells, {"location": ("location_id", location.id if location else None),
                              "session_minutes": ("session_minutes", session_minutes),
                              "break_minutes": ("break_minutes", break_minutes),
                              "effective_until": ("effective_until", last_day)})
    changes = {k: v for k, v in wanted.items() if getattr(existing, k) != v}
    if not changes:
        return "unchanged"
    if "effective_until" in changes:
        overlapping = availability.overlapping_blocks(
            session, provider.id, mask, start_time, end_time, first_day,
            changes["effective_until"], exclude_id=existing.id)
        if overlapping:
            raise availability.overlap_conflict(provider, overlapping)
    for key, value in changes.items():
        setattr(existing, key, value)
    session.flush()
    return _changed(context, Action.AVAILABILITY_UPDATE, "availability_block", existing.id, changes,
                    provider_id=provider.id)


def _time_off_row(context: RowContext, cells: Cells) -> str:
    """Matched on provider and start. Over booked appointments only with --force, and then
    each is named on stderr."""
    session, actor, zone = context.session, context.actor, context.zone
    provider = row_provider(context, cells)
    start_at = time_off.instant(cells.text("start"), zone, "start", end_of_day=False)
    end_at = time_off.instant(cells.text("end"), zone, "end", end_of_day=True)
    reason = cells.get("reason")
    cells.done()
    if end_at <= start_at:
        raise InvalidInput("end is not after start")
    access.authorize_availability(actor, provider, Action.AVAILABILITY_TIMEOFF)
    existing = session.scalar(select(TimeOff).where(
        TimeOff.provider_id == provider.id, TimeOff.start_at == start_at)
        .order_by(TimeOff.id).limit(1))
    changes: dict[str, Any] = {}
    if existing is not None:
        asked = _present(cells, {"end": ("end_at", end_at), "reason": ("reason", reason)})
        changes = {k: v for k, v in asked.items() if getattr(existing, k) != v}
        if not changes:
            return "unchanged"
    booked = (time_off.booked_during(session, provider.id, start_at, end_at)
              if existing is None or "end_at" in changes else [])
    if booked and not context.force:
        shown = ", ".join(f"#{a.id}" for a in booked[:time_off.SHOWN])
        more = ", ..." if len(booked) > time_off.SHOWN else ""
        noun = "appointment" if len(booked) == 1 else "appointments"
        raise Conflict(f"{provider.name} has {len(booked)} booked {noun} during this time off "
                       f"({shown}{more}); import with --force to record it anyway")
    if booked:
        begins = f"{start_at.astimezone(zone):%Y-%m-%d %H:%M %Z}"
        context.alerts.append(
            f"Warning: time off of {provider.name} from {begins} covers booked appointments, "
            "still booked: " + "; ".join(time_off.appointment_lines(booked, zone)) + ".")
    if existing is None:
        time_off.record_time_off(session, actor, provider, start_at, end_at, reason, booked)
        return "created"
    for key, value in changes.items():
        setattr(existing, key, value)
    session.flush()
    return _changed(context, Action.AVAILABILITY_TIMEOFF_UPDATE, "time_off", existing.id,
                    changes, provider_id=provider.id)


def _find_client(context: RowContext, cells: Cells) -> Client:
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
    dob = read_date(cells.text("client_dob"), "client date of birth", cells.date_format)
    cells.done()
    matches = session.scalars(select(Client).where(
        Client.name_key == name_key(first, last), Client.dob == dob).limit(2)).all()
    if not matches:
        raise NotFound(f"no client {first} {last} born {dob.isoformat()}")
    if len(matches) > 1:
        raise InvalidInput(f"several clients are {first} {last} born {dob.isoformat()}; add "
                           "client_external_id")
    return matches[0]


def _assignment_row(context: RowContext, cells: Cells) -> str:
    session, actor = context.session, context.actor
    client = _find_client(context, cells)
    provider = resolve_provider(session, cells.text("provider"))
    status = cells.get("status")
    if status is not None and status not in ASSIGNMENT_STATUSES:
        raise InvalidInput(f"invalid status {status!r}; expected "
                           f"{', '.join(ASSIGNMENT_STATUSES)}")
    codes = None
    if "diagnosis" in cells:
        codes = clients.validate_diagnosis(cells.items("diagnosis"))
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
    trail.record(session, actor_id=actor.id, action=Action.ASSIGNMENT_UPDATE,
                 object_type="assignment", object_id=existing.id, client_id=client.id,
                 details={"fields": sorted(changes), "provider_id": provider.id,
                          "by": "import"})
    return "updated"


def _present(cells: Cells, fields: dict[str, tuple[str, Any]]) -> dict[str, Any]:
    """The (field, value) pairs whose column is in the file."""
    return {field: value for column, (field, value) in fields.items() if column in cells}
