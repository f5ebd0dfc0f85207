"""The clients of a session: each one's place (``AppointmentParticipant``), read for many
sessions at once, added, and taken away.

``appointment.client_id`` is the session's first client and always one of its places: when
the first client leaves, the next one takes that column (the database refuses anyone who is
not in the session, migration 0009).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Select, delete, func, select, text, update
from sqlalchemy.orm import Session

from clinicctl.errors import InvalidInput
from clinicctl.models import CANCELLED_STATUSES, Appointment, AppointmentParticipant, Client
from clinicctl.people.refs import resolve_client

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


# The attendance a session's status gives a client not yet marked (migration 0009).
IMPLIED_ATTENDANCE = {"completed": "attended", "no-show": "no-show", "cancelled": "cancelled",
                      "late-cancelled": "late-cancelled"}


def add_places(session: Session, appointments: Sequence[Appointment],
               clients: Sequence[Client]) -> None:
    """Places for ``clients`` in each of ``appointments`` (the first client's place is the
    database's: migration 0009's trigger makes it with the appointment). A session recorded
    with its outcome (an import of a past one) gives each new place the attendance its
    status implies, as the first client's has; a place is added unmarked, then marked (the
    order the database's policies take)."""
    for appointment in appointments:
        for client in clients:
            session.add(Place(
                appointment_id=appointment.id, client_id=client.id,
                start_at=appointment.start_at, end_at=appointment.end_at,
                active=appointment.status not in CANCELLED_STATUSES))
    session.flush()
    for appointment in appointments:
        implied = IMPLIED_ATTENDANCE.get(appointment.status)
        if implied and clients:
            session.execute(update(Place).where(
                Place.appointment_id == appointment.id,
                Place.client_id.in_([c.id for c in clients]), Place.attendance.is_(None))
                .values(attendance=implied).execution_options(synchronize_session=False))
    session.flush()


def remove_places(session: Session, appointment: Appointment, client_ids: Sequence[int]
                  ) -> None:
    """Take ``client_ids`` out of one session; at least one of its clients stays (the
    caller checks, and the database refuses otherwise). When the first client leaves, the
    database hands ``appointment.client_id`` to the next one (migration 0009)."""
    session.flush()
    session.execute(delete(Place).where(Place.appointment_id == appointment.id,
                                        Place.client_id.in_(client_ids))
                    .execution_options(synchronize_session=False))
    session.expire(appointment, ["client_id"])


def busy_places(session: Session, client_ids: Sequence[int], start: dt.datetime,
                end: dt.datetime, *, exclude_appointment_id: int | None = None
                ) -> list[tuple[int, int, dt.datetime, dt.datetime]]:
    """(client id, appointment id, start, end) of the clients' active places overlapping
    [start, end), earliest first: when they are busy, for a booking's checks. A PostgreSQL
    staff login may not read other sessions' places (who is in them is clinical), so it
    asks the database's ``clinicctl_busy_places``, which answers with times only."""
    from clinicctl.db import reads_through_functions

    wanted = list(dict.fromkeys(client_ids))
    if not wanted:
        return []
    if reads_through_functions(session):
        rows = session.execute(text(
            "SELECT client_id, appointment_id, start_at, end_at "
            "FROM clinicctl_busy_places(:clients, :start, :end, :exclude)"),
            {"clients": wanted, "start": start, "end": end,
             "exclude": exclude_appointment_id})
        return [(c, a, s.astimezone(dt.UTC), e.astimezone(dt.UTC)) for c, a, s, e in rows]
    query = (select(Place.client_id, Place.appointment_id, Place.start_at, Place.end_at)
             .where(Place.client_id.in_(wanted), Place.active.is_(True),
                    Place.start_at < end, Place.end_at > start)
             .order_by(Place.start_at, Place.client_id))
    if exclude_appointment_id is not None:
        query = query.where(Place.appointment_id != exclude_appointment_id)
    return [tuple(row) for row in session.execute(query)]  # type: ignore[misc]


def session_size(session: Session, appointment_id: int) -> int:
    """How many clients a session has, whether or not the actor may see each of them."""
    from clinicctl.db import reads_through_functions

    if reads_through_functions(session):
        return int(session.execute(text("SELECT clinicctl_session_size(:a)"),
                                   {"a": appointment_id}).scalar() or 0)
    return int(session.scalar(select(func.count()).select_from(Place).where(
        Place.appointment_id == appointment_id)) or 0)


def members_of(session: Session, client_ids: Sequence[int]) -> list[Client]:
    """A group's members (ids from ``groups.group_session``), in that order, in one query."""
    found = {c.id: c for c in session.scalars(select(Client).where(Client.id.in_(client_ids)))}
    return [found[client_id] for client_id in client_ids]


def resolve_clients(session: Session, refs: Sequence[str], *,
                    first: Sequence[Client] = ()) -> list[Client]:
    """The clients of one session: ``first`` (a group's members), then ``refs`` in the
    order given; a client named twice is refused (a session holds one place per client)."""
    clients: list[Client] = list(first)
    for ref in refs:
        client = resolve_client(session, ref)
        if any(c.id == client.id for c in clients):
            raise InvalidInput(f"client #{client.id} ({client.first_name} {client.last_name}) "
                               "is named twice; a session has one place per client")
        clients.append(client)
    return clients
