"""The clients of a session: each one's place (``AppointmentParticipant``), read for many
sessions at once, added, and taken away.

``appointment.client_id`` is the session's first client and always one of its places: when
the first client leaves, the next one takes that column (the database refuses anyone who is
not in the session, migration 0009).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Select, delete, select
from sqlalchemy.orm import Session

from clinicctl.models import CANCELLED_STATUSES, Appointment, AppointmentParticipant, Client

Place = AppointmentParticipant
CHUNK = 5000  # ids per IN list, well under SQLite's limit of bound parameters


def places_of(session: Session, appointment_ids: Sequence[int]
              ) -> dict[int, list[tuple[int, str | None]]]:
    """Appointment id -> its clients' (client id, attendance), the first client first, in
    as few queries as the ids allow."""
    found: dict[int, list[tuple[int, str | None]]] = {}
    ids = list(dict.fromkeys(appointment_ids))
    for offset in range(0, len(ids), CHUNK):
        rows = session.execute(
            select(Place.appointment_id, Place.client_id, Place.attendance)
            .join(Appointment, Appointment.id == Place.appointment_id)
            .where(Place.appointment_id.in_(ids[offset:offset + CHUNK]))
            .order_by(Place.appointment_id, Place.client_id != Appointment.client_id,
                      Place.client_id))
        for appointment_id, client_id, attendance in rows:
            found.setdefault(appointment_id, []).append((client_id, attendance))
    return found


def sessions_of(client_ids: Iterable[int] | Select[Any]):  # type: ignore[no-untyped-def]
    """A WHERE for the appointments in which any of ``client_ids`` has a place."""
    return Appointment.id.in_(select(Place.appointment_id).where(
        Place.client_id.in_(client_ids)))


def add_places(session: Session, appointments: Sequence[Appointment],
               clients: Sequence[Client]) -> None:
    """Places for ``clients`` in each of ``appointments`` (the first client's place is the
    database's: migration 0009's trigger makes it with the appointment)."""
    for appointment in appointments:
        for client in clients:
            session.add(Place(
                appointment_id=appointment.id, client_id=client.id,
                start_at=appointment.start_at, end_at=appointment.end_at,
                active=appointment.status not in CANCELLED_STATUSES))
    session.flush()


def remove_places(session: Session, appointment: Appointment, client_ids: Sequence[int]
                  ) -> None:
    """Take ``client_ids`` out of one session; at least one of its clients stays (the
    caller checks)."""
    session.execute(delete(Place).where(Place.appointment_id == appointment.id,
                                        Place.client_id.in_(client_ids)))
    if appointment.client_id in client_ids:
        remaining = places_of(session, [appointment.id]).get(appointment.id, [])
        if remaining:
            appointment.client_id = remaining[0][0]
    session.flush()
