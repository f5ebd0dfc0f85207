"""Concurrent writers: real OS processes racing for the same slot, and many writers at once.

Every racer is a separate ``python -m clinicctl`` process. Each one imports clinicctl and
SQLAlchemy first, says it is ready, then waits for a start file, so all of them reach the
database at (nearly) the same moment. On SQLite the writers are serialised by
``BEGIN IMMEDIATE`` plus the busy timeout; on PostgreSQL the exclusion constraints decide
and the audit chain is serialised by an advisory lock. Either way: one booking wins, the
others get a one-line exit-5 conflict, and nothing else fails.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from clinicctl.models import Appointment, Assignment, AuditEvent, Client, Staff
from tests.fixtures.cast import OWNER_EMAIL, PRACTICE_TZ

pytestmark = pytest.mark.slow

RACERS = 8
SLOT = "10:00"

# Runs ``python -m clinicctl ARGS`` after a barrier: warm the imports, touch READY, wait
# for GO. Without the warm-up the racers would be spread out by their start-up time.
# RACE_PAUSE_AFTER_ASSIGN=SECONDS makes a booking stop for that long right after it put the
# client in a new provider's list (and touch RACE_ASSIGNED), to force one interleaving.
CHILD = r"""
import os, runpy, sys, time
ready, go = sys.argv[1], sys.argv[2]
sys.argv = ["clinicctl", *sys.argv[3:]]
import sqlalchemy.orm
import clinicctl.cli, clinicctl.db, clinicctl.models, clinicctl.scheduling.booking
import clinicctl.scheduling.provider_lists
try:
    import psycopg
except ImportError:
    pass
if os.environ.get("RACE_PAUSE_AFTER_ASSIGN"):
    appointments = clinicctl.scheduling.provider_lists
    original = appointments.assign
    def paused(*args, **kwargs):
        result = original(*args, **kwargs)
        open(os.environ["RACE_ASSIGNED"], "w").close()
        time.sleep(float(os.environ["RACE_PAUSE_AFTER_ASSIGN"]))
        return result
    appointments.assign = paused
open(ready, "w").close()
deadline = time.monotonic() + 120
while not os.path.exists(go):
    if time.monotonic() > deadline:
        sys.exit(99)
    time.sleep(0.001)
runpy.run_module("clinicctl", run_name="__main__", alter_sys=True)
"""


@dataclass
class Outcome:
    args: list[str]
    code: int
    stdout: str
    stderr: str

    def __str__(self) -> str:
        return f"{' '.join(self.args)} -> {self.code}\n{self.stdout}{self.stderr}"


class Racer:
    """One ``clinicctl`` process, started now, that runs once ``go`` exists."""

    def __init__(self, work: Path, db_url: str, command: list[str], go: Path, *,
                 actor: str = OWNER_EMAIL, env: dict[str, str] | None = None) -> None:
        name = uuid.uuid4().hex[:8]
        self.args = ["--db", db_url, "--as", actor, *command]
        self.ready = work / f"{name}.ready"
        self.out_path, self.err_path = work / f"{name}.out", work / f"{name}.err"
        environ = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200", **(env or {})}
        environ.pop("CLINICCTL_DEBUG", None)
        with self.out_path.open("w") as out, self.err_path.open("w") as err:
            self.process = subprocess.Popen(
                [sys.executable, "-c", CHILD, str(self.ready), str(go), *self.args],
                stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=environ, cwd=work)

    def outcome(self) -> Outcome:
        code = self.process.wait(timeout=60)
        return Outcome(self.args, code, self.out_path.read_text(), self.err_path.read_text())


def wait_for(racers: list[Racer], paths: list[Path], what: str) -> None:
    deadline = time.monotonic() + 60
    while not all(path.exists() for path in paths):
        if any(r.process.poll() is not None for r in racers) or time.monotonic() > deadline:
            for racer in racers:
                racer.process.kill()
            pytest.fail(f"racers did not get {what}: "
                        f"{[r.err_path.read_text() for r in racers]}")
        time.sleep(0.01)


def workdir(tmp_path: Path) -> Path:
    work = tmp_path / f"race-{uuid.uuid4().hex[:8]}"
    work.mkdir()
    return work


def race(tmp_path: Path, db_url: str, commands: list[list[str]]) -> list[Outcome]:
    """Start one process per command, release them together, return their outcomes."""
    work = workdir(tmp_path)
    go = work / "go"
    racers = [Racer(work, db_url, command, go) for command in commands]
    wait_for(racers, [r.ready for r in racers], "ready")
    go.touch()
    return [r.outcome() for r in racers]


def slot_day() -> dt.date:
    """A weekday two to three weeks ahead (inside the providers' Mon-Fri availability)."""
    day = dt.date.today() + dt.timedelta(days=14)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


def slot_at(day: dt.date, hhmm: str = SLOT) -> dt.datetime:
    from zoneinfo import ZoneInfo

    hour, minute = map(int, hhmm.split(":"))
    local = dt.datetime.combine(day, dt.time(hour, minute), tzinfo=ZoneInfo(PRACTICE_TZ))
    return local.astimezone(dt.UTC)


@dataclass
class Practice:
    providers: list[str]  # emails
    provider_ids: list[int]
    client_ids: list[int]


def make_practice(open_session, *, assigned: list[tuple[int, int]]
                  ) -> Practice:
    """RACERS providers available Mon-Fri 09:00-17:00 and RACERS clients; ``assigned`` lists
    (client index, provider index) pairs already in the provider's list, so races mix the
    new-provider path (which creates an assignment) with the plain one."""
    from clinicctl.people import clients, staff
    from clinicctl.people.refs import resolve_staff
    from clinicctl.scheduling import availability

    firsts = ["Avery", "Blair", "Casey", "Drew", "Emery", "Finley", "Gray", "Harper"]
    with open_session() as s:
        owner = resolve_staff(s, OWNER_EMAIL)
        providers = []
        for i in range(RACERS):
            email = f"provider{i}@riverside.example"
            providers.append(staff.create_staff(s, name=f"{firsts[i]} Provider", email=email,
                                                roles=["provider"], created_by=owner))
            availability.add_block(s, owner, email, days="mon,tue,wed,thu,fri",
                                   start="09:00", end="17:00")
        people = []
        for i in range(RACERS):
            people.append(clients.add_client(s, owner, first_name=firsts[i],
                                             last_name="Client", dob=f"19{70 + i}-03-0{i + 1}"
                                             ).client)
        for client_index, provider_index in assigned:
            clients.assign(s, owner, people[client_index], providers[provider_index],
                           origin="intake")
        return Practice([p.email for p in providers], [p.id for p in providers],
                        [c.id for c in people])


def book_args(client_id: int, provider: str, day: dt.date, hhmm: str = SLOT) -> list[str]:
    return ["appointment", "book", "--client", f"#{client_id}", "--provider", provider,
            "--at", f"{day.isoformat()} {hhmm}"]


def assert_one_winner(outcomes: list[Outcome]) -> Outcome:
    winners = [o for o in outcomes if o.code == 0]
    losers = [o for o in outcomes if o.code != 0]
    everything = "\n".join(map(str, outcomes))
    assert len(winners) == 1, everything
    assert len(losers) == RACERS - 1, everything
    for loser in losers:
        assert loser.code == 5, everything
        assert "Traceback" not in loser.stderr, everything
        lines = loser.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: "), everything
        assert "overlap" in lines[0], everything
        assert "locked" not in lines[0] and "deadlock" not in lines[0], everything
        assert loser.stdout == "", everything
    assert "Traceback" not in winners[0].stderr
    assert "Booked appointment #" in winners[0].stderr
    return winners[0]


def audit_verifies(db_url: str) -> None:
    done = subprocess.run([sys.executable, "-m", "clinicctl", "--db", db_url, "--as",
                           OWNER_EMAIL, "audit", "verify"], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def test_eight_processes_race_for_one_provider_slot(tmp_path, db_url, open_session):
    # Half the clients are already in provider 0's list, half are new to them.
    practice = make_practice(open_session, assigned=[(i, 0) for i in range(0, RACERS, 2)])
    day = slot_day()
    provider = practice.providers[0]
    outcomes = race(tmp_path, db_url,
                    [book_args(cid, provider, day) for cid in practice.client_ids])
    assert_one_winner(outcomes)

    start = slot_at(day)
    with open_session(write=False) as s:
        booked = list(s.scalars(select(Appointment).where(
            Appointment.provider_id == practice.provider_ids[0],
            Appointment.status == "scheduled", Appointment.start_at < start + dt.timedelta(
                minutes=50), Appointment.end_at > start)))
        assert len(booked) == 1
        assert s.scalar(select(func.count()).select_from(Appointment)) == 1
        winner_client = booked[0].client_id
        # The losers' new-provider assignments were rolled back with their bookings.
        in_list = set(s.scalars(select(Assignment.client_id).where(
            Assignment.provider_id == practice.provider_ids[0])))
        pre_assigned = {practice.client_ids[i] for i in range(0, RACERS, 2)}
        assert in_list == pre_assigned | {winner_client}
        assert s.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "appointment.book")) == 1
    audit_verifies(db_url)


def test_eight_processes_race_to_double_book_one_client(tmp_path, db_url, open_session):
    # The client is already in the lists of providers 0-3, new to providers 4-7.
    practice = make_practice(open_session, assigned=[(0, i) for i in range(RACERS // 2)])
    day = slot_day()
    client_id = practice.client_ids[0]
    outcomes = race(tmp_path, db_url,
                    [book_args(client_id, email, day) for email in practice.providers])
    assert_one_winner(outcomes)

    start = slot_at(day)
    with open_session(write=False) as s:
        booked = list(s.scalars(select(Appointment).where(
            Appointment.client_id == client_id, Appointment.status == "scheduled",
            Appointment.start_at < start + dt.timedelta(minutes=50),
            Appointment.end_at > start)))
        assert len(booked) == 1
        assert s.scalar(select(func.count()).select_from(Appointment)) == 1
        providers = set(s.scalars(select(Assignment.provider_id).where(
            Assignment.client_id == client_id)))
        assert providers == set(practice.provider_ids[:RACERS // 2]) | {booked[0].provider_id}
    audit_verifies(db_url)


def test_eight_clients_join_one_session_at_once_while_a_second_session_is_refused(
        tmp_path, db_url, open_session):
    """Places are per client: eight concurrent `appointment clients --add` of different
    clients into one session all succeed (half of them new to the provider), while a second
    session of the same provider at that time, booked in the same instant, is refused."""
    from clinicctl.people import clients
    from clinicctl.people.refs import resolve_staff
    from clinicctl.scheduling import booking

    practice = make_practice(open_session, assigned=[(i, 0) for i in range(0, RACERS, 2)])
    day = slot_day()
    provider = practice.providers[0]
    with open_session() as s:
        owner = resolve_staff(s, OWNER_EMAIL)
        host = clients.add_client(s, owner, first_name="Host", last_name="Client",
                                  dob="1969-01-01").client
        other = clients.add_client(s, owner, first_name="Other", last_name="Client",
                                   dob="1968-01-01").client
        session_id = booking.book(s, owner, client_ref=f"#{host.id}", provider_ref=provider,
                                  at=f"{day.isoformat()} {SLOT}").appointments[0].id
        host_id, other_id = host.id, other.id
    outcomes = race(tmp_path, db_url, [
        *(["appointment", "clients", str(session_id), "--add", f"#{cid}"]
          for cid in practice.client_ids),
        book_args(other_id, provider, day, "10:20")])
    everything = "\n".join(map(str, outcomes))
    *adds, second = outcomes
    assert all(o.code == 0 for o in adds), everything
    assert second.code == 5 and "overlaps the provider's appointment" in second.stderr, (
        everything)
    with open_session(write=False) as s:
        from clinicctl.models import AppointmentParticipant

        joined = set(s.scalars(select(AppointmentParticipant.client_id).where(
            AppointmentParticipant.appointment_id == session_id)))
        assert joined == {host_id, *practice.client_ids}
        assert s.scalar(select(func.count()).select_from(Appointment)) == 1
        in_list = set(s.scalars(select(Assignment.client_id).where(
            Assignment.provider_id == practice.provider_ids[0])))
        assert in_list == {host_id, *practice.client_ids}
    audit_verifies(db_url)


def test_sixteen_different_writers_all_succeed(tmp_path, db_url, open_session):
    # Eight bookings that do not collide (provider i with client i; clients 0-3 are already
    # in their provider's list, 4-7 are new to theirs), four staff adds and four client adds.
    practice = make_practice(open_session, assigned=[(i, i) for i in range(RACERS // 2)])
    day = slot_day()
    with open_session(write=False) as s:
        events_before = s.scalar(select(func.count()).select_from(AuditEvent))
        staff_before = s.scalar(select(func.count()).select_from(Staff))
        clients_before = s.scalar(select(func.count()).select_from(Client))
    commands = [book_args(practice.client_ids[i], practice.providers[i], day,
                          ["09:00", "10:00", "11:00", "13:00"][i % 4])
                for i in range(RACERS)]
    for i in range(4):
        commands.append(["staff", "add", f"Racer Scheduler {i}", "--email",
                         f"racer{i}@riverside.example", "--role", "scheduler"])
        commands.append(["client", "add", "Racer", f"Client{i}", "--dob", f"200{i}-05-0{i + 1}"])
    assert len(commands) == 16
    outcomes = race(tmp_path, db_url, commands)
    everything = "\n".join(map(str, outcomes))
    for outcome in outcomes:
        assert outcome.code == 0, everything
        assert "Traceback" not in outcome.stderr, everything
        assert "Error" not in outcome.stderr, everything

    with open_session(write=False) as s:
        assert s.scalar(select(func.count()).select_from(Appointment).where(
            Appointment.status == "scheduled")) == RACERS
        assert s.scalar(select(func.count()).select_from(Staff)) == staff_before + 4
        assert s.scalar(select(func.count()).select_from(Client)) == clients_before + 4
        events = list(s.scalars(select(AuditEvent).order_by(AuditEvent.id)))
        # 8 bookings + 4 new-provider assignments + 4 staff adds + 4 client adds.
        assert len(events) == events_before + RACERS + 4 + 4 + 4
        # One chain, no fork: every event points at the one written just before it.
        for previous, event in zip(events, events[1:], strict=False):
            assert event.prev_hash == previous.hash
    audit_verifies(db_url)


def test_writers_wait_for_a_booking_that_adds_a_client_to_a_provider(
        tmp_path, db_url, open_session):
    """A forced interleaving: booking A puts client 0 in provider 0's list, then pauses
    before inserting its appointment. Meanwhile B books client 1 (already in the list) in the
    same slot and C books client 0 with provider 0 at another time. Writers must wait for A
    before they check anything: B is then an ordinary exit-5 overlap (it was a PostgreSQL
    deadlock, exit 6, when only the audit write took the lock) and C simply succeeds (it was
    a unique-constraint conflict on the assignment A had not committed yet)."""
    practice = make_practice(open_session, assigned=[(1, 0)])
    day = slot_day()
    provider = practice.providers[0]
    work = workdir(tmp_path)
    go_a, go_rest, assigned = work / "go-a", work / "go-rest", work / "assigned"
    a = Racer(work, db_url, book_args(practice.client_ids[0], provider, day), go_a,
              env={"RACE_PAUSE_AFTER_ASSIGN": "1.5", "RACE_ASSIGNED": str(assigned)})
    b = Racer(work, db_url, book_args(practice.client_ids[1], provider, day), go_rest)
    c = Racer(work, db_url, book_args(practice.client_ids[0], provider, day, "13:00"), go_rest)
    wait_for([a, b, c], [a.ready, b.ready, c.ready], "ready")
    go_a.touch()
    wait_for([a, b, c], [assigned], "past the assignment")
    go_rest.touch()
    first, second, third = a.outcome(), b.outcome(), c.outcome()
    everything = f"{first}\n{second}\n{third}"
    assert first.code == 0 and "is new to" in first.stderr, everything
    assert second.code == 5, everything
    assert second.stderr.strip().splitlines() == [second.stderr.strip()], everything
    assert second.stderr.startswith("Error: ") and "overlap" in second.stderr, everything
    assert third.code == 0 and "is new to" not in third.stderr, everything
    with open_session(write=False) as s:
        booked = s.execute(select(Appointment.client_id, Appointment.start_at).where(
            Appointment.provider_id == practice.provider_ids[0]).order_by(
            Appointment.start_at)).all()
        assert [(cid, start.astimezone(dt.UTC)) for cid, start in booked] == [
            (practice.client_ids[0], slot_at(day)),
            (practice.client_ids[0], slot_at(day, "13:00"))]
    audit_verifies(db_url)


# --- PostgreSQL: the exclusion constraints themselves ------------------------------------

def _insert(conn, *, client_id: int, provider_id: int, owner_id: int,
            start: dt.datetime, minutes: int = 50, status: str = "scheduled") -> None:
    conn.execute(text(
        "INSERT INTO appointment (client_id, provider_id, start_at, end_at, service_code, "
        "pos_code, status, outside_availability, created_by_id, created_at) VALUES "
        "(:client, :provider, :start, :end, '90834', '11', :status, false, :owner, now())"),
        {"client": client_id, "provider": provider_id, "start": start,
         "end": start + dt.timedelta(minutes=minutes), "status": status, "owner": owner_id})


def test_postgres_exclusion_constraint_enforces_no_overlap(backend, db_url, open_session):
    if not backend.is_postgres:
        pytest.skip("exclusion constraints exist on PostgreSQL only")
    import psycopg
    from sqlalchemy.exc import IntegrityError

    from clinicctl.db import make_engine, session_scope
    from clinicctl.errors import Conflict

    practice = make_practice(open_session, assigned=[])
    with open_session(write=False) as s:
        owner_id = s.scalar(select(Staff.id).where(Staff.email == OWNER_EMAIL))
    p0, p1 = practice.provider_ids[:2]
    c0, c1, c2 = practice.client_ids[:3]
    ten = slot_at(slot_day(), "10:00")
    engine = make_engine(db_url)
    try:
        # Two transactions at once, the service check bypassed: the second insert waits for
        # the first and fails when it commits.
        first = engine.connect()
        first_tx = first.begin()
        _insert(first, client_id=c0, provider_id=p0, owner_id=owner_id, start=ten)
        caught: list[BaseException] = []

        def second_writer() -> None:
            with engine.connect() as second:
                try:
                    with second.begin():
                        _insert(second, client_id=c1, provider_id=p0, owner_id=owner_id,
                                start=ten + dt.timedelta(minutes=30))
                except BaseException as exc:  # noqa: BLE001 - inspected below
                    caught.append(exc)

        thread = threading.Thread(target=second_writer)
        thread.start()
        thread.join(timeout=0.5)
        assert thread.is_alive(), "the overlapping insert should wait for the first writer"
        first_tx.commit()
        first.close()
        thread.join(timeout=10)
        assert not thread.is_alive()
        assert len(caught) == 1 and isinstance(caught[0], IntegrityError), caught
        assert isinstance(caught[0].orig, psycopg.Error)
        assert caught[0].orig.diag.constraint_name == "ex_appointment_provider_id_overlap"

        # The same client with another provider at an overlapping time.
        with pytest.raises(IntegrityError) as client_clash, engine.begin() as conn:
            _insert(conn, client_id=c0, provider_id=p1, owner_id=owner_id,
                    start=ten + dt.timedelta(minutes=49))
        assert isinstance(client_clash.value.orig, psycopg.Error)
        assert client_clash.value.orig.diag.constraint_name == (
            "ex_appointment_participant_client_overlap")

        with engine.begin() as conn:
            # Cancelled appointments may overlap anything.
            _insert(conn, client_id=c1, provider_id=p0, owner_id=owner_id, start=ten,
                    status="cancelled")
            _insert(conn, client_id=c2, provider_id=p0, owner_id=owner_id,
                    start=ten + dt.timedelta(minutes=10), status="late-cancelled")
            # Half-open intervals: 10:00-10:50 and 10:50-11:40 touch but do not overlap.
            _insert(conn, client_id=c1, provider_id=p0, owner_id=owner_id,
                    start=ten + dt.timedelta(minutes=50))
            _insert(conn, client_id=c0, provider_id=p1, owner_id=owner_id,
                    start=ten + dt.timedelta(minutes=50))

        # Through the session scope, a constraint violation is a friendly exit-5 conflict.
        with pytest.raises(Conflict, match="provider was booked at an overlapping time"), \
                session_scope(engine) as s:
            s.execute(text("SELECT 1"))
            _insert(s, client_id=c2, provider_id=p0, owner_id=owner_id,
                    start=ten + dt.timedelta(minutes=20))

        with engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT provider_id, client_id, status FROM appointment ORDER BY id")).all()
        assert sorted(rows) == sorted([
            (p0, c0, "scheduled"), (p0, c1, "cancelled"), (p0, c2, "late-cancelled"),
            (p0, c1, "scheduled"), (p1, c0, "scheduled")])
    finally:
        engine.dispose()


def test_refused_attempts_amid_a_burst_of_writers_are_all_recorded(tmp_path, db_url, cast,
                                                                   open_session):
    """Six writers and six refused attempts at once: every refusal exits 4 and leaves its
    denied event (they used to exit 1 and record nothing while a writer held the lock)."""
    work = workdir(tmp_path)
    go = work / "go"
    writers = [Racer(work, db_url, ["staff", "add", f"Temp {n}", "--email",
                                    f"temp{n}@riverside.example", "--role", "scheduler"], go)
               for n in range(6)]
    refused = [Racer(work, db_url, ["note", "show", str(cast.private_note_id)], go,
                     actor=cast.biller) for _ in range(3)]
    refused += [Racer(work, db_url, ["audit", "verify"], go, actor=cast.provider_a)
                for _ in range(3)]
    everyone = writers + refused
    wait_for(everyone, [r.ready for r in everyone], "ready")
    go.touch()
    outcomes = [r.outcome() for r in everyone]
    assert [o.code for o in outcomes] == [0] * 6 + [4] * 6, "\n".join(map(str, outcomes))
    assert not [o for o in outcomes if "unexpected" in o.stderr]
    with open_session(write=False) as s:
        denied = s.scalar(select(func.count()).select_from(AuditEvent)
                          .where(AuditEvent.outcome == "denied"))
    assert denied == 6
    from clinicctl import trail

    with open_session(write=False) as s:
        assert trail.verify(s).ok
