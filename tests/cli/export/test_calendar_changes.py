"""`export calendar` across clock changes and hand-overs: every event read back with
icalendar lasts as long as its appointment (the repeated 01:30 of the autumn change, both
of them, and the spring gap); an appointment moved to another provider (`appointment
reschedule --provider`, `staff reassign --appointments future`) stays in the former
provider's calendar as CANCELLED under the same UID, from the record of the move that
migration 0006 keeps."""

from __future__ import annotations

import datetime as dt
import os
from zoneinfo import ZoneInfo

import icalendar
import pytest

ZONE = ZoneInfo("America/New_York")  # the test practice's (tests/conftest.py)
TODAY = dt.datetime.now(ZONE).date()
POSTGRES = os.environ.get("CLINICCTL_TEST_DB", "sqlite").strip() not in ("", "sqlite")


def clock_changes(after: dt.date) -> tuple[dt.date, dt.date]:
    """The next day the clocks spring forward and the next day they fall back."""
    spring = fall = None
    day = after
    while spring is None or fall is None:
        today = dt.datetime.combine(day, dt.time(12), tzinfo=ZONE).utcoffset()
        tomorrow = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(12),
                                       tzinfo=ZONE).utcoffset()
        assert today is not None and tomorrow is not None
        if tomorrow > today and spring is None:
            spring = day + dt.timedelta(days=1)
        if tomorrow < today and fall is None:
            fall = day + dt.timedelta(days=1)
        day += dt.timedelta(days=1)
    return spring, fall


SPRING, FALL = clock_changes(TODAY + dt.timedelta(days=1))
MON = TODAY + dt.timedelta(days=30 + (7 - (TODAY + dt.timedelta(days=30)).weekday()) % 7)


def book(cli, cast, provider: str, at: str, *extra: str,
         client: str | None = None) -> dict:
    result = cli("appointment", "book", "--client", client or cast.client, "--provider", provider,
                 "--at", at, "--outside-availability", *extra, "-o", "json")
    assert result.exit_code == 0, result.output
    return result.json()["appointments"][0]


def calendar(cli, provider: str, tmp_path, *args: str) -> tuple[str, dict[str, dict]]:
    """The .ics text and its events by UID, read back with icalendar."""
    out = tmp_path / "calendar.ics"
    result = cli("export", "calendar", "--provider", provider, "--output", str(out), *args)
    assert result.exit_code == 0, result.output
    text = out.read_text()
    events = {}
    for event in icalendar.Calendar.from_ical(text).walk("VEVENT"):
        start, end = event.decoded("dtstart"), event.decoded("dtend")
        events[str(event["uid"])] = {
            "id": int(str(event["uid"]).split("@")[0].removeprefix("appointment-")),
            "start": start.astimezone(dt.UTC), "end": end.astimezone(dt.UTC),
            "status": str(event["status"]), "sequence": int(event.decoded("sequence"))}
    return text, events


def utc(iso: str) -> dt.datetime:
    return dt.datetime.fromisoformat(iso).astimezone(dt.UTC)


# --- clock changes ----------------------------------------------------------------------------

def test_both_passes_of_the_autumn_hour_read_back_as_booked(cli, cast, tmp_path):
    first = book(cli, cast, cast.provider_a, f"{FALL} 01:30")  # taken as the first pass
    second = book(cli, cast, cast.provider_b, f"{FALL}T01:30-05:00", "--duration", "20")
    across = book(cli, cast, cast.provider_c, f"{FALL} 00:50", "--duration", "90",
                  client=cast.own_client)
    assert first["start"] == f"{FALL}T01:30:00-04:00"
    assert first["end"] == f"{FALL}T01:20:00-05:00"  # 50 minutes later, the clocks went back
    assert second["start"] == f"{FALL}T01:30:00-05:00"
    for provider, booked, minutes in ((cast.provider_a, first, 50),
                                      (cast.provider_b, second, 20),
                                      (cast.provider_c, across, 90)):
        text, events = calendar(cli, provider, tmp_path)
        [event] = events.values()
        assert (event["start"], event["end"]) == (utc(booked["start"]), utc(booked["end"]))
        assert event["end"] - event["start"] == dt.timedelta(minutes=minutes)
    # The first pass is written in local time; the second has no local name of its own in
    # RFC 5545 (a TZID time that occurs twice is its first occurrence), so it is in UTC.
    first_text, _ = calendar(cli, cast.provider_a, tmp_path)
    compact = FALL.strftime("%Y%m%d")
    assert f"DTSTART;TZID=America/New_York:{compact}T013000" in first_text
    assert f"DTEND:{compact}T062000Z" in first_text
    second_text, _ = calendar(cli, cast.provider_b, tmp_path)
    assert f"DTSTART:{compact}T063000Z" in second_text


def test_an_event_across_the_spring_gap_keeps_its_length(cli, cast, tmp_path):
    booked = book(cli, cast, cast.provider_a, f"{SPRING} 01:30")
    assert booked["end"] == f"{SPRING}T03:20:00-04:00"
    text, events = calendar(cli, cast.provider_a, tmp_path)
    [event] = events.values()
    assert event["end"] - event["start"] == dt.timedelta(minutes=50)
    compact = SPRING.strftime("%Y%m%d")
    assert f"DTSTART;TZID=America/New_York:{compact}T013000" in text
    assert f"DTEND;TZID=America/New_York:{compact}T032000" in text


def test_a_time_in_the_spring_gap_is_still_refused(cli, cast):
    result = cli("appointment", "book", "--client", cast.client, "--provider", cast.provider_a,
                 "--at", f"{SPRING} 02:30", "--outside-availability")
    assert result.exit_code == 2, result.output
    assert result.stderr == (f"Error: {SPRING} 02:30 does not exist in America/New_York: the "
                             "clocks skip it (daylight saving time starts)\n")


# --- moved appointments stay, cancelled, in the former provider's calendar ---------------------

def test_a_reschedule_to_another_provider_cancels_the_event_in_the_old_calendar(
        cli, cast, tmp_path):
    appointment = book(cli, cast, cast.provider_a, f"{MON} 10:00")
    _, before = calendar(cli, cast.provider_a, tmp_path)
    [uid] = before
    assert before[uid]["status"] == "CONFIRMED"
    moved = cli("appointment", "reschedule", str(appointment["id"]), "--at", f"{MON} 11:00",
                "--provider", cast.provider_b, "--outside-availability")
    assert moved.exit_code == 0, moved.output
    _, old = calendar(cli, cast.provider_a, tmp_path)
    _, new = calendar(cli, cast.provider_b, tmp_path)
    assert list(old) == list(new) == [uid]  # the same UID in both calendars
    assert old[uid]["status"] == "CANCELLED"
    assert old[uid]["sequence"] > before[uid]["sequence"]
    assert new[uid]["status"] == "CONFIRMED"
    assert new[uid]["start"] == dt.datetime.combine(MON, dt.time(11), tzinfo=ZONE).astimezone(
        dt.UTC)

    # Moved back, it is the first provider's again, as an update of the cancelled event.
    back = cli("appointment", "reschedule", str(appointment["id"]), "--at", f"{MON} 12:00",
               "--provider", cast.provider_a, "--outside-availability")
    assert back.exit_code == 0, back.output
    _, again = calendar(cli, cast.provider_a, tmp_path)
    _, left = calendar(cli, cast.provider_b, tmp_path)
    assert again[uid]["status"] == "CONFIRMED"
    assert again[uid]["sequence"] > old[uid]["sequence"]
    assert left[uid]["status"] == "CANCELLED"


def test_a_reschedule_with_the_same_provider_records_no_move(cli, cast, tmp_path,
                                                              open_session):
    from sqlalchemy import func, select

    from clinicctl.models import AppointmentMove

    appointment = book(cli, cast, cast.provider_a, f"{MON} 10:00")
    moved = cli("appointment", "reschedule", str(appointment["id"]), "--at", f"{MON} 11:00",
                "--outside-availability")
    assert moved.exit_code == 0, moved.output
    with open_session(write=False) as s:
        assert s.scalar(select(func.count()).select_from(AppointmentMove)) == 0
    _, events = calendar(cli, cast.provider_a, tmp_path)
    assert [e["status"] for e in events.values()] == ["CONFIRMED"]


def test_a_reassigned_appointment_is_cancelled_in_the_old_calendar(cli, cast, tmp_path,
                                                                   open_session):
    from sqlalchemy import select

    from clinicctl.models import AppointmentMove
    from clinicctl.people.refs import resolve_staff
    from clinicctl.scheduling import availability

    with open_session() as s:
        availability.add_block(s, resolve_staff(s, cast.owner), cast.provider_b,
                               days="mon", start="09:00", end="12:00")
    appointment = book(cli, cast, cast.provider_a, f"{MON} 10:00")
    kept = book(cli, cast, cast.provider_a, f"{MON + dt.timedelta(days=1)} 10:00")
    cli("appointment", "cancel", str(kept["id"]))
    handed = cli("staff", "reassign", cast.provider_a, "--to", cast.provider_b,
                 "--appointments", "future")
    assert handed.exit_code == 0, handed.output
    _, old = calendar(cli, cast.provider_a, tmp_path)
    _, new = calendar(cli, cast.provider_b, tmp_path)
    assert {e["id"]: e["status"] for e in old.values()} == {
        appointment["id"]: "CANCELLED", kept["id"]: "CANCELLED"}
    assert {e["id"]: e["status"] for e in new.values()} == {appointment["id"]: "CONFIRMED"}
    with open_session(write=False) as s:
        [move] = s.scalars(select(AppointmentMove)).all()
        ana, sam, owner = (resolve_staff(s, e).id for e in (cast.provider_b, cast.provider_a,
                                                             cast.owner))
    assert (move.appointment_id, move.from_provider_id, move.to_provider_id,
            move.moved_by_id) == (appointment["id"], sam, ana, owner)


def test_a_moved_appointment_outside_the_window_is_left_out(cli, cast, tmp_path):
    appointment = book(cli, cast, cast.provider_a, f"{MON} 10:00")
    cli("appointment", "reschedule", str(appointment["id"]), "--at", f"{MON} 11:00",
        "--provider", cast.provider_b, "--outside-availability")
    later = (MON + dt.timedelta(days=1)).isoformat()
    _, events = calendar(cli, cast.provider_a, tmp_path, "--from", later)
    assert events == {}
    _, events = calendar(cli, cast.provider_a, tmp_path, "--to", MON.isoformat())
    assert [e["status"] for e in events.values()] == ["CANCELLED"]


def test_a_dry_run_move_records_nothing(cli, cast, tmp_path):
    appointment = book(cli, cast, cast.provider_a, f"{MON} 10:00")
    dry = cli("appointment", "reschedule", str(appointment["id"]), "--at", f"{MON} 11:00",
              "--provider", cast.provider_b, "--outside-availability", "--dry-run")
    assert dry.exit_code == 0, dry.output
    _, events = calendar(cli, cast.provider_a, tmp_path)
    assert [e["status"] for e in events.values()] == ["CONFIRMED"]


def test_the_move_record_holds_ids_and_an_instant_only(db_url):
    from sqlalchemy import inspect

    from clinicctl.db import make_engine

    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            columns = {c["name"] for c in inspect(conn).get_columns("appointment_move")}
    finally:
        engine.dispose()
    assert columns == {"id", "appointment_id", "from_provider_id", "to_provider_id",
                       "moved_by_id", "moved_at"}


# --- migration 0006 ---------------------------------------------------------------------------

def test_migration_0006_loses_nothing_and_goes_back(cli, cast, db_url, tmp_path):
    from alembic import command
    from sqlalchemy import inspect, text

    from clinicctl import migrate
    from clinicctl.db import make_engine
    from clinicctl.schema import SCHEMA_HEAD

    appointment = book(cli, cast, cast.provider_a, f"{MON} 10:00")
    cli("appointment", "reschedule", str(appointment["id"]), "--at", f"{MON} 11:00",
        "--provider", cast.provider_b, "--outside-availability")

    def rows(engine) -> dict[str, list[str]]:
        """Every row of the tables 0005 has, in the columns 0005 has (0009 adds
        appointment.group_id and chart_note.appointment_id, 0010 the co-signature, 0011
        client.restricted)."""
        def columns(conn, name: str) -> str:
            return ", ".join(f'"{c["name"]}"' for c in inspect(conn).get_columns(name)
                             if (name, c["name"]) not in (("appointment", "group_id"),
                                                          ("chart_note", "appointment_id"),
                                                          ("chart_note", "cosign_status"),
                                                          ("chart_note", "cosigned_by_id"),
                                                          ("chart_note", "cosigned_at"),
                                                          ("client", "restricted")))

        with engine.connect() as conn:
            return {name: sorted(repr(tuple(r)) for r in conn.execute(
                text(f'SELECT {columns(conn, name)} FROM "{name}"')))
                for name in inspect(conn).get_table_names()
                if name not in ("alembic_version", "appointment_move", "client_merge",
                                "client_group", "client_group_member",
                                "appointment_participant", "supervision",
                                "emergency_access")}

    engine = make_engine(db_url)
    try:
        before = rows(engine)
        command.downgrade(migrate.alembic_config(engine), "0005")
        assert migrate.current_revision(engine) == "0005"
        with engine.connect() as conn:
            assert "appointment_move" not in inspect(conn).get_table_names()
        assert rows(engine) == before
        migrate.upgrade(engine)
        assert migrate.current_revision(engine) == SCHEMA_HEAD
        assert rows(engine) == before
        if POSTGRES:
            with engine.connect() as conn:
                secured = conn.execute(text(
                    "SELECT relrowsecurity FROM pg_class WHERE relname = 'appointment_move'"
                )).scalar()
            assert secured is True
            # Downgraded, the database no longer records moves into a table that is gone.
            command.downgrade(migrate.alembic_config(engine), "0005")
            with engine.connect() as conn:
                left = conn.execute(text(
                    "SELECT (SELECT count(*) FROM pg_trigger "
                    "WHERE tgname = 'appointment_move_record'), (SELECT count(*) FROM pg_proc "
                    "WHERE proname IN ('clinicctl_record_move', 'clinicctl_move_counts'))"
                )).one()
            assert tuple(left) == (0, 0)
            migrate.upgrade(engine)
    finally:
        engine.dispose()
    verified = cli("audit", "verify", "-o", "json")
    assert verified.json()["ok"] is True


# --- PostgreSQL: the record of moves under row-level security ---------------------------------

@pytest.mark.skipif(not POSTGRES, reason="database logins and row-level security are "
                    "PostgreSQL's")
def test_logins_record_moves_only_as_clinicctl_does(cli, cast, db_url, tmp_path):
    from tests.fixtures.pg_logins import logins_for, refused, run_as, sql, staff_id

    appointment = book(cli, cast, cast.provider_a, f"{MON} 10:00")
    with logins_for(db_url) as logins:
        for email in (cast.scheduler, cast.provider_a, cast.provider_c):
            logins.bind(email)
        moved = run_as(logins.url_of(cast.scheduler), "appointment", "reschedule",
                       str(appointment["id"]), "--at", f"{MON} 11:00", "--provider",
                       cast.provider_b, "--outside-availability")
        assert moved.exit_code == 0, moved.output
        out = tmp_path / "sam.ics"
        exported = run_as(logins.url_of(cast.scheduler), "export", "calendar", "--provider",
                          cast.provider_a, "--output", str(out))
        assert exported.exit_code == 0, exported.output
        assert "STATUS:CANCELLED" in out.read_text()
        # One row, written by the database: moved by the scheduler's login, just now.
        [(moved_by, moved_at, count)] = sql(
            db_url, "SELECT moved_by_id, moved_at, count(*) OVER () FROM appointment_move")
        assert count == 1
        assert moved_by == staff_id(db_url, cast.scheduler)
        assert abs(dt.datetime.now(dt.UTC) - moved_at) < dt.timedelta(seconds=60)
        sam, ana, lee_id = (staff_id(db_url, e) for e in (cast.provider_a, cast.provider_b,
                                                           cast.provider_c))
        # The two providers involved read it; a bystander provider does not.
        sam_url = logins.url_of(cast.provider_a)
        assert sql(sam_url, "SELECT from_provider_id, to_provider_id FROM appointment_move"
                   ) == [(sam, ana)]
        lee = logins.url_of(cast.provider_c)
        assert sql(lee, "SELECT count(*) FROM appointment_move") == [(0,)]
        # No login writes a move, however plausible: not the bystander, not the former
        # provider naming themselves, not through the id sequence.
        for url, row in ((lee, (appointment["id"], ana, lee_id, lee_id)),
                         (sam_url, (appointment["id"], sam, ana, sam))):
            error = refused(url, "INSERT INTO appointment_move (appointment_id, "
                            "from_provider_id, to_provider_id, moved_by_id, moved_at) "
                            "VALUES (%s, %s, %s, %s, '2020-01-01')", row)
            assert "permission denied" in error
        assert "permission denied" in refused(
            sam_url, "SELECT nextval(pg_get_serial_sequence('appointment_move', 'id'))")
        for url in (lee, sam_url):
            assert "permission denied" in refused(url, "DELETE FROM appointment_move")
            assert "permission denied" in refused(url, "UPDATE appointment_move SET "
                                                  "from_provider_id = to_provider_id")
        assert sql(db_url, "SELECT count(*) FROM appointment_move") == [(1,)]


def test_each_move_is_recorded_once_naming_who_moved_it(cli, cast, open_session):
    from sqlalchemy import select

    from clinicctl.models import AppointmentMove

    appointment = book(cli, cast, cast.provider_a, f"{MON} 10:00")
    moved = cli("appointment", "reschedule", str(appointment["id"]), "--at", f"{MON} 11:00",
                "--provider", cast.provider_b, "--outside-availability", actor=cast.scheduler)
    assert moved.exit_code == 0, moved.output
    with open_session(write=False) as s:
        [move] = s.scalars(select(AppointmentMove)).all()
        assert move.moved_by_id == cast.id_of(open_session, cast.scheduler)
        assert (move.from_provider_id, move.to_provider_id) == (
            cast.id_of(open_session, cast.provider_a), cast.id_of(open_session, cast.provider_b))
        assert abs(dt.datetime.now(dt.UTC) - move.moved_at) < dt.timedelta(seconds=60)


@pytest.mark.skipif(not POSTGRES, reason="database logins and row-level security are "
                    "PostgreSQL's")
def test_a_reassign_through_a_login_is_recorded_once_by_the_database(cli, cast, db_url,
                                                                     open_session):
    from clinicctl.people.refs import resolve_staff
    from clinicctl.scheduling import availability
    from tests.fixtures.pg_logins import logins_for, run_as, sql, staff_id

    with open_session() as s:
        availability.add_block(s, resolve_staff(s, cast.owner), cast.provider_b,
                               days="mon", start="09:00", end="12:00")
    appointment = book(cli, cast, cast.provider_a, f"{MON} 10:00")
    with logins_for(db_url) as logins:
        logins.bind(cast.manager)
        handed = run_as(logins.url_of(cast.manager), "staff", "reassign", cast.provider_a,
                        "--to", cast.provider_b, "--appointments", "future")
        assert handed.exit_code == 0, handed.output
    assert sql(db_url, "SELECT appointment_id, from_provider_id, to_provider_id, moved_by_id "
               "FROM appointment_move") == [
        (appointment["id"], staff_id(db_url, cast.provider_a),
         staff_id(db_url, cast.provider_b), staff_id(db_url, cast.manager))]


@pytest.mark.skipif(not POSTGRES, reason="database logins and row-level security are "
                    "PostgreSQL's")
def test_calendar_exporters_logins_export_moves_as_the_administrator_does(cli, cast, db_url,
                                                                           tmp_path):
    from tests.fixtures.pg_logins import logins_for, run_as, sql

    # Sam -> Ana -> Lee; the scoped custodian covers Lee only.
    appointment = book(cli, cast, cast.provider_a, f"{MON} 10:00")
    for provider, hour in ((cast.provider_b, 11), (cast.provider_c, 12)):
        moved = cli("appointment", "reschedule", str(appointment["id"]), "--at",
                    f"{MON} {hour}:00", "--provider", provider, "--outside-availability")
        assert moved.exit_code == 0, moved.output
    _, admin_sam = calendar(cli, cast.provider_a, tmp_path)
    _, admin_lee = calendar(cli, cast.provider_c, tmp_path)
    with logins_for(db_url) as logins:
        for email in (cast.biller, cast.scoped_custodian):
            logins.bind(email)

        def export(email: str, provider: str) -> dict[str, dict]:
            out = tmp_path / "login.ics"
            result = run_as(logins.url_of(email), "export", "calendar", "--provider",
                            provider, "--output", str(out))
            assert result.exit_code == 0, result.output
            return {str(e["uid"]): {"status": str(e["status"]),
                                    "sequence": int(e.decoded("sequence"))}
                    for e in icalendar.Calendar.from_ical(out.read_text()).walk("VEVENT")}

        pick = ("status", "sequence")
        as_admin = {uid: {k: e[k] for k in pick} for uid, e in admin_sam.items()}
        assert [e["status"] for e in as_admin.values()] == ["CANCELLED"]
        assert export(cast.biller, cast.provider_a) == as_admin
        # The custodian reads only the move into Lee's calendar, yet numbers it the same.
        custodian = logins.url_of(cast.scoped_custodian)
        assert sql(custodian, "SELECT count(*) FROM appointment_move") == [(1,)]
        assert export(cast.scoped_custodian, cast.provider_c) == {
            uid: {k: e[k] for k in pick} for uid, e in admin_lee.items()}
        # Counts are for calendar exporters only.
        logins.bind(cast.provider_c)
        assert sql(logins.url_of(cast.provider_c), "SELECT count(*) FROM "
                   "clinicctl_move_counts(ARRAY[%s])", (appointment["id"],)) == [(0,)]
        assert sql(logins.url_of(cast.biller), "SELECT moves FROM "
                   "clinicctl_move_counts(ARRAY[%s])", (appointment["id"],)) == [(2,)]
