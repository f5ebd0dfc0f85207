"""``clinicctl demo``: build the practice in a fresh SQLite file, then run the walkthrough."""

from __future__ import annotations

import shlex
from collections.abc import Callable
from pathlib import Path

from clinicctl.config import check_db_url
from clinicctl.demo.booking import (
    book_a_group_session,
    book_from_client_side,
    book_with_new_provider,
    find_availability_then_book,
)
from clinicctl.demo.cast import (
    BOOKED,
    DEFAULT_URL,
    FIRST,
    FOUND,
    LOCATIONS,
    MANAGER,
    NEW,
    OWNER,
    PRACTICE,
    PROVIDERS,
    SCHEDULER,
    SERIES,
    STAFF,
    TIMEZONE,
    WALK,
    WALK_DOCUMENTS,
    WALK_NOTES,
)
from clinicctl.demo.console import Output
from clinicctl.demo.practice import (
    Demo,
    build_practice,
    check,
)
from clinicctl.demo.sharing import (
    end_chart_share,
    share_demographics_only,
    sharing_and_access,
    start_chart_share,
)
from clinicctl.demo.supervision import SUPERVISOR, supervise_and_cosign
from clinicctl.errors import ClinicError, Conflict, InvalidInput


def introduce(demo: Demo) -> None:
    from clinicctl.people import clients, staff

    out = demo.out
    n = demo.counts
    out.line(f"{PRACTICE} ({TIMEZONE}): {n['staff']} staff, {n['clients']} clients, "
             f"{n['notes']} chart notes, {n['documents']} documents.")
    out.line(f"Locations: {', '.join(f'{name} (POS {pos})' for name, pos in LOCATIONS)}. "
             f"Every provider has weekly hours; {n['appointments']} sessions are booked from "
             f"next week (week of {demo.monday:%a %Y-%m-%d}).")
    with demo.acting_as(MANAGER) as (session, manager):
        rows = []
        for member in staff.list_staff(session, manager, role=None, include_inactive=False):
            person = next(p for p in (OWNER, *STAFF) if p.email == member.email)
            extra = ""
            if person.role == "provider":
                count = len(clients.list_clients(session, manager, provider_ref=member.email,
                                                 status="all"))
                extra = f"{count} clients"
                if member.records_owner == "provider":
                    extra += "; only she may share her chart"
            elif person.role == "records-custodian":
                extra = f"covers {staff.custodian_description(session, member)}"
            text = f"{person.label} <{member.email}>" + (f": {extra}" if extra else "")
            rows.append((", ".join(member.roles), text, member.email))
    order = [p.email for p in (OWNER, *STAFF)]
    rows.sort(key=lambda r: order.index(r[2]))
    out.line("Staff (act as any of them with --as EMAIL):")
    out.pairs([(role, text) for role, text, _ in rows], indent=2)
    out.blank()
    out.line(f"The walkthrough follows {WALK.name} (client #{demo.client_id}, born {WALK.dob}), "
             f"a client of {FIRST.name} ({WALK.diagnosis}).")
    out.line(f"{FIRST.first} has written {len(WALK_NOTES)} chart notes for her (1 private) and "
             f"filed {len(WALK_DOCUMENTS)} documents (1 clinical); she sees him weekly.")
    number = {step: n for n, step in enumerate(WALKTHROUGH, start=1)}
    out.line(f"She reaches a new provider in each of the four ways: a share (step "
             f"{number[share_demographics_only]}), a booking (step "
             f"{number[book_with_new_provider]}), find availability then a booking (step "
             f"{number[find_availability_then_book]}), and a booking from her side (step "
             f"{number[book_from_client_side]}).")


def run_demo(url: str = DEFAULT_URL, *, force: bool = False) -> None:
    """Build the demo practice in a fresh SQLite file and walk through sharing a client."""
    from clinicctl import migrate
    from clinicctl.db import make_engine, normalise_url

    url = normalise_url(url)
    path = _fresh_sqlite_file(url, force=force)
    out = Output()
    out.line(f"Building a demo practice in {path} ...")
    engine = make_engine(url, create=True)
    try:
        migrate.upgrade(engine)
        demo = Demo(engine, out, url)
        build_practice(demo)
        introduce(demo)
        for step in WALKTHROUGH:
            step(demo)
        conclude(demo)
    finally:
        engine.dispose()


def _fresh_sqlite_file(url: str, *, force: bool) -> Path:
    from sqlalchemy.exc import ArgumentError

    from clinicctl.db import sqlite_path

    check_db_url(url, "flag")
    try:
        path = sqlite_path(url)
    except ArgumentError:
        raise InvalidInput(f"invalid database URL {url!r}") from None
    if path is None:
        raise InvalidInput("the demo builds a fresh SQLite file; give --db sqlite:///PATH")
    if path.is_dir():
        raise InvalidInput(f"{path} is a directory; give the demo a file name")
    files = [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]
    if any(f.exists() for f in files):
        if not force:
            raise Conflict(f"{path} already exists",
                           hint="pass --force to delete it and build the demo again")
        for f in files:
            try:
                f.unlink(missing_ok=True)
            except OSError as exc:
                raise ClinicError(f"cannot delete {f}: {exc.strerror}") from None
    return path


WALKTHROUGH: list[Callable[[Demo], None]] = [
    share_demographics_only,
    start_chart_share,
    end_chart_share,
    sharing_and_access,
    book_with_new_provider,
    find_availability_then_book,
    book_from_client_side,
    book_a_group_session,
    supervise_and_cosign,
]


def conclude(demo: Demo) -> None:
    from clinicctl.charts import sharing
    from clinicctl.charts.access_report import staff_access
    from clinicctl.oversight import audit_log

    out = demo.out
    with demo.acting_as(MANAGER) as (session, manager):
        denied = audit_log.list_for(session, manager, client_ref=WALK.name, outcome="denied")
        verified = audit_log.verify_for(session, manager)
        _, section = sharing.sharing_section(session, manager, WALK.name)
        _, report = staff_access(session, manager, WALK.name)
    check(verified.ok, "the audit chain verifies")
    check(len(denied) == demo.refusals, "the refused attempts are in the audit trail")
    providers = [p.provider for p in section]
    others = [p.name for p in PROVIDERS if p is not FIRST]
    check(providers == [FIRST.name, NEW.name, BOOKED.name, FOUND.name, SERIES.name]
          and sorted(providers[1:]) == sorted(others),
          "the client is in every provider's list, reached in the four ways")
    check(all(not p.shares_to for p in section), "no chart share is active at the end")
    readers = [r.staff for r in report if r.chart_notes not in ("none", "own only")
               and "provider" in r.roles]
    check(readers == [], "no provider reads another provider's chart of the client")
    out.blank()
    out.line(f"{WALK.name} is now in the lists of all {len(providers)} providers: "
             f"{FIRST.first} (intake), {NEW.first} (share), {BOOKED.first}, {FOUND.first} and "
             f"{SERIES.first} (appointment). No chart share is active: each provider reads "
             "only their own chart notes.")
    out.line(f"Audit trail: {verified.events} events, hash chain intact; the {len(denied)} "
             "refused attempts above are recorded as denied (ids only, no PHI).")
    out.blank()
    out.line("Explore the demo database, acting as anyone with their email in --as:")
    db = ["--db", demo.url]
    note_id = str(demo.note_ids["progress"])
    for person, args, comment in (
        (MANAGER, ["client", "list"], ""),
        (MANAGER, ["client", "show", WALK.name], ""),
        (MANAGER, ["client", "sharing", WALK.name], ""),
        (MANAGER, ["client", "access", WALK.name], ""),
        (NEW, ["note", "list", WALK.name], "no notes"),
        (NEW, ["note", "show", note_id], "refused: exit 4"),
        (FIRST, ["note", "list", WALK.name], f"his {len(WALK_NOTES)} notes"),
        (SCHEDULER, ["appointment", "list", "--client", WALK.name], ""),
        (SCHEDULER, ["appointment", "list", "--provider", SERIES.name], ""),
        (SCHEDULER, ["availability", "list"], ""),
        (SCHEDULER, ["availability", "find", "--client", WALK.name, "--therapist", NEW.name,
                     "--therapist", BOOKED.name, "--limit", "5"], ""),
        (SUPERVISOR, ["note", "list", "--unsigned"], "what waits for his signature"),
        (MANAGER, ["staff", "show", SUPERVISOR.name], "whom he supervises"),
        (MANAGER, ["audit", "list", "--client", WALK.name, "--outcome", "denied"], ""),
        (MANAGER, ["audit", "verify"], ""),
    ):
        out.command(["clinicctl", *db, "--as", person.email, *args], comment=comment)
    out.line(f"Tip: `export CLINICCTL_DB={shlex.quote(demo.url)}` saves typing --db.")
