"""Locations (with their default place of service) and service codes: add, edit, list.

An appointment copies its place-of-service code when it is booked (what was billed stays
what it was) and refers to its location and service: a location's new name shows on every
appointment there, its new POS code only on appointments booked from then on (or, with
``appointments="future"``, also on its scheduled future ones that had the old code). A
service's new minutes are the default length of new bookings; booked ones keep theirs.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from clinicctl import access, trail
from clinicctl.actions import Action
from clinicctl.choices import APPOINTMENT_SCOPES
from clinicctl.errors import Conflict, InvalidChoice, InvalidInput, NotFound
from clinicctl.models import Appointment, Location, ServiceCode, Staff, utcnow
from clinicctl.people.refs import bare_id_hint, id_ref, name_key
from clinicctl.scheduling.pos import POS_CODES

DEFAULT_SERVICE = "90834"


def validate_pos(code: str) -> str:
    code = code.strip()
    if code not in POS_CODES:
        raise InvalidInput(f"unknown place of service code {code!r}: expected a two-digit CMS "
                           "code such as 11 (office) or 10 (telehealth in the patient's home)")
    return code


def _location_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise InvalidInput("the location name is empty")
    return name


def location_named(session: Session, name: str) -> Location | None:
    return session.scalar(select(Location).where(Location.name_key == name_key(name)))


def add_location(session: Session, actor: Staff, name: str, pos: str) -> tuple[Location, bool]:
    name = _location_name(name)
    pos = validate_pos(pos)
    access.authorize_catalog_edit(actor, Action.LOCATION_ADD)
    existing = location_named(session, name)
    if existing is not None:
        if existing.pos_code != pos:
            raise Conflict(f"location {existing.name!r} exists with POS {existing.pos_code}",
                           hint=f"to change it: clinicctl location edit '#{existing.id}' "
                           f"--pos {pos}")
        return existing, False
    location = Location(name=name, name_key=name_key(name), pos_code=pos)
    session.add(location)
    session.flush()
    trail.record(session, actor_id=actor.id, action=Action.LOCATION_ADD, object_type="location",
                 object_id=location.id, details={"pos_code": pos})
    return location, True


@dataclass
class LocationEdit:
    """What ``edit_location`` did: the fields changed (old and new value), and the scheduled
    future appointments there that had the old POS code, changed or kept."""

    location: Location
    changes: dict[str, dict[str, Any]] = field(default_factory=dict)
    appointments_changed: list[int] = field(default_factory=list)
    appointments_kept: list[int] = field(default_factory=list)


def edit_location(session: Session, actor: Staff, ref: str, *, name: str | None = None,
                  pos: str | None = None, appointments: str | None = None) -> LocationEdit:
    """Rename a location or change its default POS code; a name another location has is a
    conflict. Values it already has change nothing (and write no audit event)."""
    if name is None and pos is None:
        raise InvalidInput("nothing to change: give --name or --pos")
    name = _location_name(name) if name is not None else None
    pos = validate_pos(pos) if pos is not None else None
    if appointments is not None:
        if appointments not in APPOINTMENT_SCOPES:
            raise InvalidChoice(f"invalid --appointments {appointments!r}: expected future",
                                value=appointments, choices=APPOINTMENT_SCOPES)
        if pos is None:
            raise InvalidInput("--appointments future goes with --pos")
    access.authorize_catalog_edit(actor, Action.LOCATION_EDIT)
    location = resolve_location(session, ref)
    result = LocationEdit(location)
    if name is not None and name != location.name:
        other = location_named(session, name)
        if other is not None and other.id != location.id:
            raise Conflict(f"location {other.name!r} (#{other.id}) already exists",
                           hint="two locations cannot have one name")
        result.changes["name"] = {"from": location.name, "to": name}
        location.name, location.name_key = name, name_key(name)
    if pos is not None and pos != location.pos_code:
        result.changes["pos"] = {"from": location.pos_code, "to": pos}
        upcoming = list(session.scalars(
            select(Appointment).where(
                Appointment.location_id == location.id,
                Appointment.pos_code == location.pos_code,
                Appointment.status == "scheduled",
                Appointment.start_at > utcnow(),
            ).order_by(Appointment.start_at, Appointment.id)))
        location.pos_code = pos
        for appointment in upcoming:
            if appointments is None:
                result.appointments_kept.append(appointment.id)
                continue
            appointment.pos_code = pos
            result.appointments_changed.append(appointment.id)
            trail.record(session, actor_id=actor.id, action=Action.APPOINTMENT_UPDATE,
                         object_type="appointment", object_id=appointment.id,
                         client_id=appointment.client_id,
                         details={"pos_code": result.changes["pos"],
                                  "location_id": location.id})
    if result.changes:
        session.flush()
        trail.record(session, actor_id=actor.id, action=Action.LOCATION_EDIT,
                     object_type="location", object_id=location.id,
                     details={"changes": result.changes,
                              "appointments": len(result.appointments_changed)})
    return result


def list_locations(session: Session, actor: Staff) -> list[Location]:
    access.require_active(actor, Action.LOCATION_LIST, object_type="catalog")
    return list(session.scalars(select(Location).order_by(Location.name_key)))


def resolve_location(session: Session, ref: str) -> Location:
    ref = ref.strip()
    location_id = id_ref(ref)
    if location_id is not None:
        found = session.get(Location, location_id)
    else:
        found = location_named(session, ref)
    if found is None:
        names = ", ".join(session.scalars(select(Location.name).order_by(Location.name_key)))
        raise NotFound(f"no location {ref!r}" + (f" (locations: {names})" if names else ""),
                       hint=bare_id_hint(ref))
    return found


def _service_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise InvalidInput("the service name is empty")
    return name


def _minutes(minutes: int) -> int:
    if minutes <= 0 or minutes > 24 * 60:
        raise InvalidInput(f"invalid minutes {minutes}: expected 1 to 1440")
    return minutes


def add_service(session: Session, actor: Staff, code: str, name: str, minutes: int
                ) -> tuple[ServiceCode, bool]:
    code = code.strip().upper()
    if not code or len(code) > 10 or not code.isalnum():
        raise InvalidInput(f"invalid service code {code!r}: letters and digits, at most 10")
    name = _service_name(name)
    minutes = _minutes(minutes)
    access.authorize_catalog_edit(actor, Action.SERVICE_ADD)
    existing = session.get(ServiceCode, code)
    if existing is not None:
        if (existing.name, existing.minutes) != (name, minutes):
            options = ([f"--name {shlex.quote(name)}"] if existing.name != name else []) + (
                [f"--minutes {minutes}"] if existing.minutes != minutes else [])
            raise Conflict(f"service {code} exists as {existing.name!r}, {existing.minutes} min",
                           hint=f"to change it: clinicctl service edit {code} "
                           f"{' '.join(options)}")
        return existing, False
    service = ServiceCode(code=code, name=name, minutes=minutes, builtin=False)
    session.add(service)
    session.flush()
    trail.record(session, actor_id=actor.id, action=Action.SERVICE_ADD, object_type="service",
                 details={"code": code, "minutes": minutes})
    return service, True


def edit_service(session: Session, actor: Staff, code: str, *, name: str | None = None,
                 minutes: int | None = None) -> tuple[ServiceCode, dict[str, dict[str, Any]]]:
    """Change a service's name or default minutes (built-in codes too); returns the service
    and the fields changed with their old and new values."""
    if name is None and minutes is None:
        raise InvalidInput("nothing to change: give --name or --minutes")
    name = _service_name(name) if name is not None else None
    minutes = _minutes(minutes) if minutes is not None else None
    access.authorize_catalog_edit(actor, Action.SERVICE_EDIT)
    wanted = code.strip().upper()
    service = session.get(ServiceCode, wanted)
    if service is None:
        raise NotFound(f"no service code {wanted!r}", hint="see `clinicctl service list`")
    changes: dict[str, dict[str, Any]] = {}
    if name is not None and name != service.name:
        changes["name"] = {"from": service.name, "to": name}
        service.name = name
    if minutes is not None and minutes != service.minutes:
        changes["minutes"] = {"from": service.minutes, "to": minutes}
        service.minutes = minutes
    if changes:
        session.flush()
        trail.record(session, actor_id=actor.id, action=Action.SERVICE_EDIT,
                     object_type="service", details={"code": service.code, "changes": changes})
    return service, changes


def list_services(session: Session, actor: Staff) -> list[ServiceCode]:
    access.require_active(actor, Action.SERVICE_LIST, object_type="catalog")
    return list(session.scalars(select(ServiceCode).order_by(ServiceCode.code)))


def get_service(session: Session, code: str | None) -> ServiceCode:
    wanted = (code or DEFAULT_SERVICE).strip().upper()
    service = session.get(ServiceCode, wanted)
    if service is None:
        raise InvalidInput(f"unknown service code {wanted!r} (see `clinicctl service list`)")
    return service
