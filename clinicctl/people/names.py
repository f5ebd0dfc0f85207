"""Names to show beside the ids of a listing, loaded for the whole listing in one query each.

Who may read a name: the staff directory and the client directory (name, id, date of birth)
are open to every active staff member (SPEC section 5; ``clients.list_clients`` and
``staff.list_staff`` check no more than that), so whoever may list a row may read the names
of the people in it. A deactivated actor, who may list nothing, gets no names either, and a
restricted client outside the actor's care team has no name for them: scheduling shows
their sessions as ``RESTRICTED_CLIENT`` (``access.hide_restricted_clients``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from clinicctl.db import one_of
from clinicctl.models import Client, Staff

# Ids bound to one query: far below SQLite's limit on parameters (32,766).
CHUNK = 5000
# What a session of a restricted client shows those outside their care team for the name.
RESTRICTED_CLIENT = "restricted client"


def stand_in(client_id: int) -> Client:
    """A client the session may not read (restricted, outside the actor's care team), for
    the checks that need only their id: a slot of theirs is still cancelled, completed or
    moved by whoever may book it. Never added to the session."""
    first, last = RESTRICTED_CLIENT.split()
    return Client(id=client_id, first_name=first, last_name=last, restricted=True)


def is_stand_in(client: Client) -> bool:
    return bool(inspect(client).transient) and client.restricted


def _rows(session: Session, actor: Staff, ids: Iterable[int | None], *columns: Any
          ) -> Iterator[Any]:
    wanted = sorted({i for i in ids if i is not None})
    if not actor.active:
        return
    for start in range(0, len(wanted), CHUNK):
        yield from session.execute(select(*columns).where(one_of(session, columns[0], "ids")),
                                   {"ids": wanted[start:start + CHUNK]})


def client_names(session: Session, actor: Staff, ids: Iterable[int | None]) -> dict[int, str]:
    """Client id -> "First Last", for the clients of rows ``actor`` may already see."""
    return {client_id: f"{first} {last}" for client_id, first, last in
            _rows(session, actor, ids, Client.id, Client.first_name, Client.last_name)}


def staff_names(session: Session, actor: Staff, ids: Iterable[int | None]) -> dict[int, str]:
    """Staff id -> name (deactivated members too: their names stay in the records)."""
    return dict(_rows(session, actor, ids, Staff.id, Staff.name))
