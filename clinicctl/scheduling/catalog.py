"""Locations (with their default place of service) and service codes."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from clinicctl import access, trail
from clinicctl.actions import Action
from clinicctl.errors import Conflict, InvalidInput, NotFound
from clinicctl.models import Location, ServiceCode, Staff
from clinicctl.people.refs import name_key
from clinicctl.scheduling.pos import POS_CODES

DEFAULT_SERVICE = "90834"


def validate_pos(code: str) -> str:
    code = code.strip()
    if code not in POS_CODES:
        raise InvalidInput(f"unknown place of service code {code!r}: expected a two-digit CMS "
                           "code such as 11 (office) or 10 (telehealth in the patient's home)")
    return code


def add_location(session: Session, actor: Staff, name: str, pos: str) -> tuple[Location, bool]:
    name = " ".join(name.split())
    if not name:
        raise InvalidInput("the location name is empty")
    pos = validate_pos(pos)
    access.authorize_catalog_edit(actor, Action.LOCATION_ADD)
    existing = session.scalar(select(Location).where(Location.name_key == name_key(name)))
    if existing is not None:
        if existing.pos_code != pos:
            raise Conflict(f"location {existing.name!r} exists with POS {existing.pos_code}")
        return existing, False
    location = Location(name=name, name_key=name_key(name), pos_code=pos)
    session.add(location)
    session.flush()
    trail.record(session, actor_id=actor.id, action=Action.LOCATION_ADD, object_type="location",
                 object_id=location.id, details={"pos_code": pos})
    return location, True


def list_locations(session: Session, actor: Staff) -> list[Location]:
    access.require_active(actor, Action.LOCATION_LIST, object_type="catalog")
    return list(session.scalars(select(Location).order_by(Location.name_key)))


def resolve_location(session: Session, ref: str) -> Location:
    ref = ref.strip()
    if ref.startswith("#") and ref[1:].isdigit():
        found = session.get(Location, int(ref[1:]))
    else:
        found = session.scalar(select(Location).where(Location.name_key == name_key(ref)))
    if found is None:
        names = ", ".join(session.scalars(select(Location.name).order_by(Location.name_key)))
        raise NotFound(f"no location {ref!r}" + (f" (locations: {names})" if names else ""))
    return found


def add_service(session: Session, actor: Staff, code: str, name: str, minutes: int
                ) -> tuple[ServiceCode, bool]:
    code = code.strip().upper()
    if not code or len(code) > 10 or not code.isalnum():
        raise InvalidInput(f"invalid service code {code!r}: letters and digits, at most 10")
    name = " ".join(name.split())
    if not name:
        raise InvalidInput("the service name is empty")
    if minutes <= 0 or minutes > 24 * 60:
        raise InvalidInput(f"invalid minutes {minutes}: expected 1 to 1440")
    access.authorize_catalog_edit(actor, Action.SERVICE_ADD)
    existing = session.get(ServiceCode, code)
    if existing is not None:
        if (existing.name, existing.minutes) != (name, minutes):
            raise Conflict(f"service {code} exists as {existing.name!r}, {existing.minutes} min")
        return existing, False
    service = ServiceCode(code=code, name=name, minutes=minutes, builtin=False)
    session.add(service)
    session.flush()
    trail.record(session, actor_id=actor.id, action=Action.SERVICE_ADD, object_type="service",
                 details={"code": code, "minutes": minutes})
    return service, True


def list_services(session: Session, actor: Staff) -> list[ServiceCode]:
    access.require_active(actor, Action.SERVICE_LIST, object_type="catalog")
    return list(session.scalars(select(ServiceCode).order_by(ServiceCode.code)))


def get_service(session: Session, code: str | None) -> ServiceCode:
    wanted = (code or DEFAULT_SERVICE).strip().upper()
    service = session.get(ServiceCode, wanted)
    if service is None:
        raise InvalidInput(f"unknown service code {wanted!r} (see `clinicctl service list`)")
    return service
