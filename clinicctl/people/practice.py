"""The practice itself: one per database, created by ``clinicctl init`` with its owner."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from clinicctl.errors import Conflict, InvalidInput
from clinicctl.models import Practice, Staff
from clinicctl.people import staff as staff_service


def validate_timezone(name: str) -> str:
    name = name.strip()
    try:
        if not name or name.startswith(("/", ".")):
            raise ZoneInfoNotFoundError(name)
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(f"unknown time zone {name!r}: use an IANA name such as "
                           "America/New_York") from None
    return name


def validate_practice(name: str, timezone: str, owner_name: str, owner_email: str) -> None:
    """Check every input before anything touches the database."""
    if not " ".join(name.split()):
        raise InvalidInput("the practice name is empty")
    validate_timezone(timezone)
    staff_service.validate_name(owner_name)
    staff_service.validate_email(owner_email)


def get_practice(session: Session) -> Practice | None:
    return session.scalar(select(Practice).limit(1))


def initialise(session: Session, *, name: str, timezone: str, owner_name: str,
               owner_email: str) -> tuple[Practice, Staff]:
    validate_practice(name, timezone, owner_name, owner_email)
    if get_practice(session) is not None:
        raise Conflict("this database is already initialised")
    practice = Practice(name=" ".join(name.split()), timezone=validate_timezone(timezone))
    session.add(practice)
    owner = staff_service.create_staff(session, name=owner_name, email=owner_email,
                                       roles=["owner"], created_by=None)
    return practice, owner
