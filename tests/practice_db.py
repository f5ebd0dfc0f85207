"""Databases shared by the tests of one module, for tests that change nothing (bad input)
or only read (listings): one build per module instead of one per test keeps the suite fast,
most of all on PostgreSQL, where every database costs a CREATE and a DROP.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from tests.conftest import populate_cast


@contextmanager
def session_on(url: str) -> Iterator[Any]:
    """A short transaction on the database at ``url`` (committed), as its administrator."""
    from clinicctl.db import make_engine
    from clinicctl.runtime import unit_of_work

    engine = make_engine(url)
    try:
        with unit_of_work(engine) as db_session:
            yield db_session
    finally:
        engine.dispose()


def snapshot(url: str) -> dict[str, list[str]]:
    """Every row of every table (alembic_version included), to prove nothing changed."""
    from sqlalchemy import inspect, text

    from clinicctl.db import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return {name: sorted(repr(tuple(row))
                                 for row in conn.execute(text(f'SELECT * FROM "{name}"')))
                    for name in inspect(conn).get_table_names()}
    finally:
        engine.dispose()


@dataclass
class Shared:
    """A database shared by a module's tests: bad input changes nothing, so they can."""

    url: str
    ids: dict[str, int]


def build_practice(backend, *, twins: bool = False, old: bool = False) -> Shared:
    """The standard cast (as in conftest's ``cast``); ``twins`` adds a second Maya Chen and a
    second Sam Okafor and deactivates Lee Park; ``old`` moves the schema revision to 0000."""

    from sqlalchemy import text

    from clinicctl.db import make_engine
    from clinicctl.people import clients, staff
    from clinicctl.people.refs import resolve_client, resolve_staff

    url = backend.initialised()

    def opener():
        return session_on(url)

    c = populate_cast(opener)
    ids: dict[str, int] = {
        "maya": c.client_id, "progress_note": c.progress_note_id,
        "private_note": c.private_note_id, "clinical_doc": c.clinical_doc_id,
        "plain_doc": c.plain_doc_id,
    }
    with opener() as s:
        ids["omar"] = resolve_client(s, c.own_client).id
        owner = resolve_staff(s, c.owner)
        if twins:
            ids["maya2"] = clients.add_client(s, owner, first_name="Maya", last_name="Chen",
                                              dob="1991-07-03").client.id
            ids["sam2"] = staff.create_staff(s, name="Sam  okafor",
                                             email="sam.okafor@riverside.example",
                                             roles=["provider"], created_by=owner).id
            staff.deactivate(s, owner, c.provider_c)
        emails = {"owner": c.owner, "manager": c.manager, "sam": c.provider_a,
                  "ana": c.provider_b, "lee": c.provider_c, "kim": c.provider_own,
                  "rae": c.custodian}
        ids.update({key: resolve_staff(s, email).id for key, email in emails.items()})
        assert resolve_client(s, f"#{ids['maya']}").name == "Maya Chen"
    if old:
        engine = make_engine(url)
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = '0000'"))
        engine.dispose()
    return Shared(url, ids)
