"""A practice with the names and statuses that make listings hard to read: long and
accented client names, a provider with a long name, every appointment status a future
appointment can have, notes and a chart share. Built once per test module (see
tests/schedule_db.py for the practice underneath).
"""

from __future__ import annotations

import os
from typing import Any

from tests.conftest import OWNER_EMAIL
from tests.schedule_db import ANA, LEE, MAYA, MON, SAM, TUE, Practice, at, build_schedule

PRIYA = "priya@riverside.example"
PRIYA_NAME = "Priya Natarajan"
ALEX = "Alexandria Montgomery-Clarke"
CHLOE = "Chloé Martin"
ELEANOR = "Eleanor Fitzgerald"


def build_listings(backend: Any) -> Practice:
    """The scheduling practice plus:

    - Priya Natarajan, a provider (Mondays and Tuesdays 09:00-17:00, Telehealth);
    - clients Alexandria Montgomery-Clarke, Chloé Martin and Eleanor Fitzgerald;
    - appointments on MON: Maya with Sam 10:00 (a1), Alexandria with Priya 11:00 (a2, late
      cancelled), Chloé with Lee 09:30 (a3), Eleanor with Ana 09:00 (a4, cancelled); on TUE:
      Alexandria with Priya 10:00 (a5);
    - Sam shares Maya's chart with Ana, private notes included.
    """
    from clinicctl.charts import sharing
    from clinicctl.people import clients, staff
    from clinicctl.people.refs import resolve_staff
    from clinicctl.scheduling import appointments, availability

    practice = build_schedule(backend)
    ids = practice.ids
    with practice.session() as s:
        owner = resolve_staff(s, OWNER_EMAIL)
        ids["priya"] = staff.create_staff(s, name=PRIYA_NAME, email=PRIYA, roles=["provider"],
                                          credentials="LPC", created_by=owner).id
        availability.add_block(s, owner, PRIYA, days="mon,tue", start="09:00", end="17:00",
                               location_ref="Telehealth")
        for key, (first, last), dob in (("alex", ALEX.split(" ", 1), "1987-03-14"),
                                        ("chloe", CHLOE.split(" ", 1), "1991-02-03"),
                                        ("eleanor", ELEANOR.split(" ", 1), "1956-01-14")):
            ids[key] = clients.add_client(s, owner, first_name=first, last_name=last,
                                          dob=dob).client.id
        for key in ("sam", "ana", "lee"):
            ids[key] = resolve_staff(s, f"{key}@riverside.example").id
    [ids["a1"]] = practice.book(MAYA, SAM, at(MON, "10:00"))
    [ids["a2"]] = practice.book(ALEX, PRIYA, at(MON, "11:00"))
    [ids["a3"]] = practice.book(CHLOE, LEE, at(MON, "09:30"))
    [ids["a4"]] = practice.book(ELEANOR, ANA, at(MON, "09:00"))
    [ids["a5"]] = practice.book(ALEX, PRIYA, at(TUE, "10:00"))
    with practice.session() as s:
        owner = resolve_staff(s, OWNER_EMAIL)
        appointments.cancel(s, owner, ids["a2"], late=True, reason="called an hour before")
        appointments.cancel(s, owner, ids["a4"])
        sharing.share(s, resolve_staff(s, SAM), MAYA, SAM, ANA, chart=True, private_notes=True)
    return practice


def terminal(monkeypatch: Any, width: int = 80, *, colour: bool = False) -> None:
    """Make the runner's stdout count as a terminal of ``width`` columns for rich."""
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.setenv("COLUMNS", str(width))
    if colour:
        monkeypatch.delenv("NO_COLOR", raising=False)
    else:
        monkeypatch.setenv("NO_COLOR", "1")
    assert os.environ["COLUMNS"] == str(width)
