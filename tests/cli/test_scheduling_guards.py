"""Scheduling that never surprises (issue 12, SPEC section 11): `availability add` is
idempotent and refuses overlaps (also under concurrent writers); time off over booked
appointments, deactivating a provider with future appointments and booking in the past need
--force; --quiet never hides an alert; imports print and count the alerts a booking prints;
dry runs hand out no ids; the booking JSON says when an assignment was reactivated; and
`availability list` and `export availability` are one shape that imports back."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import threading
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

ZONE = ZoneInfo("America/New_York")  # the test practice's (tests/conftest.py)
TODAY = dt.datetime.now(ZONE).date()


def monday(after_days: int = 30) -> dt.date:
    day = TODAY + dt.timedelta(days=after_days)
    return day + dt.timedelta(days=(7 - day.weekday()) % 7)


MON = monday()
TUE = MON + dt.timedelta(days=1)
PAST = TODAY - dt.timedelta(days=3)


def at(day: dt.date, hhmm: str) -> str:
    return f"{day.isoformat()} {hhmm}"


def when(day: dt.date, hhmm: str) -> str:
    """How messages name a local time: ``2027-01-04 10:00 EST``."""
    local = dt.datetime.combine(day, dt.time.fromisoformat(hhmm), tzinfo=ZONE)
    return f"{day.isoformat()} {hhmm} {local:%Z}"


def alert(client_id: int, provider: str) -> str:
    return (f"Alert: client #{client_id} is new to {provider}: added to their list with "
            "demographics only (the client profile, including each provider's status and "
            "diagnosis, and non-clinical documents). No chart notes were shared.")


@pytest.fixture
def clinic(cast, open_session):
    """The cast, a Main office, and weekday hours 09:00-17:00 there for Sam, Ana and Lee."""
    from clinicctl.people.refs import resolve_staff
    from clinicctl.scheduling import availability, catalog

    with open_session() as s:
        owner = resolve_staff(s, cast.owner)
        catalog.add_location(s, owner, "Main office", "11")
        for provider in (cast.provider_a, cast.provider_b, cast.provider_c):
            availability.add_block(s, owner, provider, days="mon,tue,wed,thu,fri",
                                   start="09:00", end="17:00", location_ref="Main office")
    return cast


def ids_of(open_session, cast) -> dict[str, int]:
    from clinicctl.people.refs import resolve_staff

    with open_session(write=False) as s:
        return {key: resolve_staff(s, getattr(cast, key)).id
                for key in ("provider_a", "provider_b", "provider_c")}


def count_rows(open_session, model) -> int:
    from sqlalchemy import func, select

    with open_session(write=False) as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


# --- availability add: identical is a no-op, overlapping exits 5 ----------------------------

def add_block(cli, provider: str, *args: str):
    return cli("availability", "add", provider, *args, "-o", "json")


def test_the_same_block_twice_is_a_no_op_that_says_so(cli, cast, open_session):
    from clinicctl.models import AvailabilityBlock

    args = ("--days", "mon,wed", "--start", "09:00", "--end", "12:00")
    first = add_block(cli, cast.provider_b, *args)
    assert first.exit_code == 0, first.output
    block = first.json()
    assert first.stderr == f"Added availability block #{block['id']} for Ana Ruiz.\n"
    again = add_block(cli, cast.provider_b, *args)
    assert again.exit_code == 0, again.output
    assert again.json() == block
    assert again.stderr == (f"Ana Ruiz already has this availability block (#{block['id']}); "
                            "nothing changed.\n")
    assert count_rows(open_session, AvailabilityBlock) == 1


@pytest.mark.parametrize(("args", "overlapping"), [
    (("--days", "wed", "--start", "11:00", "--end", "13:00"), True),  # a day and an hour
    (("--days", "mon,wed", "--start", "09:00", "--end", "12:00", "--session", "45"), True),
    (("--days", "mon", "--start", "08:00", "--end", "18:00"), True),  # around it
    (("--days", "mon", "--start", "12:00", "--end", "15:00"), False),  # follows it
    (("--days", "tue,thu", "--start", "09:00", "--end", "12:00"), False),  # other days
], ids=["overlap", "same-hours-other-length", "around", "adjacent", "other-days"])
def test_an_overlapping_block_exits_5_naming_the_existing_one(cli, cast, open_session, args,
                                                              overlapping):
    from clinicctl.models import AvailabilityBlock

    first = add_block(cli, cast.provider_b, "--days", "mon,wed", "--start", "09:00",
                      "--end", "12:00")
    block_id = first.json()["id"]
    result = add_block(cli, cast.provider_b, *args)
    if not overlapping:
        assert result.exit_code == 0, result.output
        assert count_rows(open_session, AvailabilityBlock) == 2
        return
    assert result.exit_code == 5, result.output
    assert result.stdout == ""
    assert result.stderr == (
        f"Error: the block overlaps Ana Ruiz's availability block #{block_id} (mon,wed "
        "09:00-12:00); choose other days or hours, or remove that block first (clinicctl "
        f"availability remove {block_id})\n")
    assert count_rows(open_session, AvailabilityBlock) == 1


def test_blocks_overlap_only_where_their_dates_do(cli, cast, open_session):
    first = add_block(cli, cast.provider_b, "--days", "mon", "--start", "09:00", "--end",
                      "12:00", "--from", "2027-01-01", "--until", "2027-03-31")
    assert first.exit_code == 0, first.output
    later = add_block(cli, cast.provider_b, "--days", "mon", "--start", "10:00", "--end",
                      "13:00", "--from", "2027-04-01")
    assert later.exit_code == 0, later.output
    open_ended = add_block(cli, cast.provider_b, "--days", "mon", "--start", "10:00", "--end",
                           "13:00", "--until", "2027-01-01")
    assert open_ended.exit_code == 5, open_ended.output
    assert f"#{first.json()['id']} (mon 09:00-12:00, from 2027-01-01, until 2027-03-31)" in (
        open_ended.stderr)
    other_provider = add_block(cli, cast.provider_c, "--days", "mon", "--start", "09:00",
                               "--end", "12:00")
    assert other_provider.exit_code == 0, other_provider.output


def test_an_overlapping_block_in_an_import_is_refused_with_its_row(cli, cast, tmp_path):
    add_block(cli, cast.provider_b, "--days", "mon", "--start", "09:00", "--end", "12:00")
    path = tmp_path / "blocks.csv"
    path.write_text("provider_email,weekdays,start_time,end_time\n"
                    f"{cast.provider_b},tue,09:00,12:00\n{cast.provider_b},mon,11:00,14:00\n")
    result = cli("import", "availability", str(path))
    assert result.exit_code == 5, result.output
    assert result.stderr.startswith("Error: row 3: the block overlaps Ana Ruiz's availability "
                                    "block #"), result.stderr


def test_concurrent_identical_adds_make_one_block(cast, db_url, open_session):
    """Two writers add the same block at once: the second waits for the first's writer lock
    (SQLite BEGIN IMMEDIATE, PostgreSQL's advisory lock), then finds its block."""
    from clinicctl.db import make_engine
    from clinicctl.models import AvailabilityBlock
    from clinicctl.people.refs import resolve_staff
    from clinicctl.runtime import unit_of_work
    from clinicctl.scheduling import availability

    first_added = threading.Event()
    outcomes: dict[str, Any] = {}

    def writer(name: str, hold: float) -> None:
        engine = make_engine(db_url)
        try:
            if name == "second":
                first_added.wait(10)
            with unit_of_work(engine) as s:
                owner = resolve_staff(s, cast.owner)
                block, added = availability.ensure_block(
                    s, owner, cast.provider_b, days="mon", start="09:00", end="12:00")
                outcomes[name] = added
                if name == "first":
                    first_added.set()
                    threading.Event().wait(hold)  # still uncommitted while the second starts
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            outcomes[name] = exc
        finally:
            first_added.set()
            engine.dispose()

    threads = [threading.Thread(target=writer, args=("first", 0.5)),
               threading.Thread(target=writer, args=("second", 0))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert outcomes == {"first": True, "second": False}
    assert count_rows(open_session, AvailabilityBlock) == 1


# --- time off over booked appointments -------------------------------------------------------

def test_time_off_over_booked_appointments_needs_force(cli, clinic, open_session):
    from clinicctl.models import TimeOff

    booked = cli("appointment", "book", "--client", clinic.client, "--provider",
                 clinic.provider_a, "--at", at(MON, "10:00"), "-o", "json")
    [appointment] = booked.json()["appointments"]
    args = ("availability", "timeoff", clinic.provider_a, "--start", str(MON), "--end",
            str(MON), "-o", "json")
    refused = cli(*args)
    assert refused.exit_code == 5, refused.output
    assert refused.stdout == ""
    assert refused.stderr == (
        "Error: Sam Okafor has 1 booked appointment during this time off; cancel or "
        "reschedule it first, or add --force to record the time off anyway\n"
        f"  appointment #{appointment['id']} {when(MON, '10:00')}-10:50\n")
    assert count_rows(open_session, TimeOff) == 0
    forced = cli("-q", *args, "--force")
    assert forced.exit_code == 0, forced.output
    assert forced.json()["booked_appointments"] == [appointment["id"]]
    assert forced.stderr == (
        "Warning: Sam Okafor has 1 booked appointment during this time off, still booked "
        f"(cancel or reschedule it): appointment #{appointment['id']} "
        f"{when(MON, '10:00')}-10:50.\n")
    assert count_rows(open_session, TimeOff) == 1


def test_time_off_ignores_cancelled_and_other_providers_appointments(cli, clinic):
    mine = cli("appointment", "book", "--client", clinic.client, "--provider",
               clinic.provider_a, "--at", at(MON, "10:00"), "-o", "json")
    cli("appointment", "cancel", str(mine.json()["appointments"][0]["id"]))
    cli("appointment", "book", "--client", clinic.client, "--provider", clinic.provider_b,
        "--at", at(MON, "11:00"))
    result = cli("availability", "timeoff", clinic.provider_a, "--start", str(MON), "--end",
                 str(MON))
    assert result.exit_code == 0, result.output
    assert "Warning" not in result.stderr


# --- staff deactivate with future appointments ------------------------------------------------

def test_deactivating_a_provider_with_future_appointments_needs_force(cli, clinic,
                                                                        open_session):
    ids = []
    for day in range(7):
        booked = cli("appointment", "book", "--client", clinic.client, "--provider",
                     clinic.provider_a, "--at",
                     at(MON + dt.timedelta(days=7 * day), "10:00"), "-o", "json")
        assert booked.exit_code == 0, booked.output
        ids.append(booked.json()["appointments"][0]["id"])
    refused = cli("staff", "deactivate", clinic.provider_a)
    assert refused.exit_code == 5, refused.output
    lines = [f"  appointment #{i} {when(MON + dt.timedelta(days=7 * n), '10:00')}-10:50"
             for n, i in enumerate(ids[:5])]
    assert refused.stderr == (
        "Error: Sam Okafor has 7 future appointments; move them first (clinicctl staff "
        f"reassign {clinic.provider_a} --to COLLEAGUE --appointments future) or cancel "
        "them, or add --force to deactivate anyway\n" + "\n".join(lines)
        + "\n  ... and 2 more\n")
    shown = cli("staff", "show", clinic.provider_a, "-o", "json")
    assert shown.json()["active"] is True
    forced = cli("-q", "staff", "deactivate", clinic.provider_a, "--force", "-o", "json")
    assert forced.exit_code == 0, forced.output
    assert forced.json()["active"] is False
    assert forced.stderr.startswith(
        "Warning: 7 future appointments of Sam Okafor stay booked with a deactivated provider "
        f"(move them with `clinicctl staff reassign {clinic.provider_a} --to COLLEAGUE "
        f"--appointments future`): appointment #{ids[0]} "), forced.stderr


def test_past_and_cancelled_appointments_do_not_hold_a_deactivation(cli, clinic):
    booked = cli("appointment", "book", "--client", clinic.client, "--provider",
                 clinic.provider_a, "--at", at(PAST, "10:00"), "--outside-availability",
                 "--force", "-o", "json")
    assert booked.exit_code == 0, booked.output
    future = cli("appointment", "book", "--client", clinic.client, "--provider",
                 clinic.provider_a, "--at", at(MON, "10:00"), "-o", "json")
    cli("appointment", "cancel", str(future.json()["appointments"][0]["id"]))
    result = cli("staff", "deactivate", clinic.provider_a)
    assert result.exit_code == 0, result.output
    assert result.stderr == "Deactivated Sam Okafor.\n"


def test_an_imported_deactivation_of_a_provider_with_future_appointments_is_refused(
        cli, clinic, tmp_path):
    cli("appointment", "book", "--client", clinic.client, "--provider", clinic.provider_c,
        "--at", at(MON, "10:00"))
    path = tmp_path / "staff.csv"
    path.write_text(f"email,active\n{clinic.provider_c},false\n")
    result = cli("import", "staff", str(path))
    assert result.exit_code == 5, result.output
    assert result.stderr.startswith("Error: row 2: Lee Park has 1 future appointment; "), (
        result.stderr)


# --- booking in the past ----------------------------------------------------------------------

def test_booking_in_the_past_needs_force(cli, clinic, open_session):
    from clinicctl.models import Appointment

    args = ("appointment", "book", "--client", clinic.client, "--provider", clinic.provider_a,
            "--at", at(PAST, "20:00"), "--outside-availability", "-o", "json")
    refused = cli(*args)
    assert refused.exit_code == 5, refused.output
    assert refused.stderr == (f"Error: {when(PAST, '20:00')} is in the past; add --force to "
                              "record it anyway\n")
    assert count_rows(open_session, Appointment) == 0
    forced = cli("-q", *args, "--force")
    assert forced.exit_code == 0, forced.output
    assert forced.json()["appointments"][0]["start"].startswith(PAST.isoformat())
    assert forced.stderr == (
        f"Warning: {when(PAST, '20:00')} is in the past (booked with --force, for the "
        "record).\nBooked outside the provider's availability (recorded in the audit trail).\n")


def test_a_series_starting_in_the_past_lists_the_past_occurrences(cli, clinic):
    # Weekly from 15 days ago: three occurrences on days before today, none today (whose
    # 10:00 is past or not depending on the hour the test runs), one next week.
    start = TODAY - dt.timedelta(days=15)
    result = cli("appointment", "book", "--client", clinic.client, "--provider",
                 clinic.provider_a, "--at", at(start, "10:00"), "--repeat", "weekly",
                 "--count", "4", "--outside-availability")
    assert result.exit_code == 5, result.output
    past = [start + dt.timedelta(days=7 * n) for n in range(3)]
    assert result.stderr == (
        f"Error: {len(past)} of 4 occurrences are in the past; nothing was booked (add "
        "--force to record them anyway)\n"
        + "".join(f"  {when(day, '10:00')}\n" for day in past))


def test_rescheduling_to_the_past_needs_force(cli, clinic):
    booked = cli("appointment", "book", "--client", clinic.client, "--provider",
                 clinic.provider_a, "--at", at(MON, "10:00"), "-o", "json")
    appointment_id = str(booked.json()["appointments"][0]["id"])
    args = ("appointment", "reschedule", appointment_id, "--at", at(PAST, "10:00"),
            "--outside-availability")
    refused = cli(*args)
    assert refused.exit_code == 5, refused.output
    assert refused.stderr == (f"Error: {when(PAST, '10:00')} is in the past; add --force to "
                              "record it anyway\n")
    forced = cli("-q", *args, "--force", "-o", "json")
    assert forced.exit_code == 0, forced.output
    assert forced.json()["start"].startswith(PAST.isoformat())
    assert forced.stderr.startswith(f"Warning: {when(PAST, '10:00')} is in the past")


def test_more_than_a_year_back_is_refused_even_with_force(cli, clinic):
    result = cli("appointment", "book", "--client", clinic.client, "--provider",
                 clinic.provider_a, "--at", at(TODAY - dt.timedelta(days=400), "10:00"),
                 "--outside-availability", "--force")
    assert result.exit_code == 2, result.output
    assert result.stderr == "Error: the appointment is more than a year in the past\n"


# --- --quiet never hides an alert -------------------------------------------------------------

def test_quiet_keeps_the_new_provider_alert_of_a_booking(cli, clinic):
    result = cli("-q", "appointment", "book", "--client", clinic.client, "--provider",
                 clinic.provider_b, "--at", at(MON, "10:00"), "-o", "json")
    assert result.exit_code == 0, result.output
    assert result.stderr == alert(clinic.client_id, "Ana Ruiz") + "\n"


def test_quiet_keeps_the_alert_of_availability_find_book(cli, clinic):
    result = cli("-q", "availability", "find", "--client", clinic.client, "--therapist",
                 clinic.provider_c, "--from", str(MON), "--book-first", "-o", "json")
    assert result.exit_code == 0, result.output
    assert result.stderr == alert(clinic.client_id, "Lee Park") + "\n"


def test_quiet_keeps_the_alert_of_a_reschedule_to_a_new_provider(cli, clinic):
    booked = cli("appointment", "book", "--client", clinic.client, "--provider",
                 clinic.provider_a, "--at", at(MON, "10:00"), "-o", "json")
    moved = cli("-q", "appointment", "reschedule", str(booked.json()["appointments"][0]["id"]),
                "--at", at(MON, "11:00"), "--provider", clinic.provider_b)
    assert moved.exit_code == 0, moved.output
    assert moved.stderr == alert(clinic.client_id, "Ana Ruiz") + "\n"


# --- booking JSON: reactivated_from -----------------------------------------------------------

def test_booking_json_says_when_an_assignment_was_reactivated(cli, clinic):
    shared = cli("client", "share", clinic.client, "--from", clinic.provider_a, "--to",
                 clinic.provider_c)
    assert shared.exit_code == 0, shared.output
    cli("client", "status", clinic.client, "--provider", clinic.provider_c, "--set",
        "discharged")
    result = cli("appointment", "book", "--client", clinic.client, "--provider",
                 clinic.provider_c, "--at", at(MON, "10:00"), "-o", "json")
    assert result.exit_code == 0, result.output
    data = result.json()
    assert (data["new_provider"], data["reactivated_from"]) == (False, "discharged")
    assert result.stderr.endswith(f"Client #{clinic.client_id} was discharged in Lee Park's "
                                  "list; reactivated.\n")
    again = cli("appointment", "book", "--client", clinic.client, "--provider",
                clinic.provider_c, "--at", at(TUE, "10:00"), "-o", "json")
    assert (again.json()["new_provider"], again.json()["reactivated_from"]) == (False, None)


# --- import appointments: the alerts of a booking, counted ------------------------------------

def test_import_appointments_prints_and_counts_each_alert(cli, clinic, tmp_path):
    cli("client", "share", clinic.client, "--from", clinic.provider_a, "--to",
        clinic.provider_c)
    cli("client", "status", clinic.client, "--provider", clinic.provider_c, "--set",
        "discharged")
    path = tmp_path / "appointments.csv"
    path.write_text(
        "client_first_name,client_last_name,client_dob,provider,start\n"
        f"Maya,Chen,1990-04-12,{clinic.provider_b},{at(MON, '10:00')}\n"
        f"Maya,Chen,1990-04-12,{clinic.provider_b},{at(TUE, '10:00')}\n"
        f"Maya,Chen,1990-04-12,{clinic.provider_c},{at(MON, '14:00')}\n"
        f"Maya,Chen,1990-04-12,{clinic.provider_a},{at(TUE, '14:00')}\n")
    result = cli("-q", "import", "appointments", str(path), "-o", "json")
    assert result.exit_code == 0, result.output
    assert result.json() == {"created": 4, "updated": 0, "unchanged": 0, "new_to_provider": 1,
                             "reactivated": 1}
    assert result.stderr == (
        f"{alert(clinic.client_id, 'Ana Ruiz')}\n"
        f"Client #{clinic.client_id} was discharged in Lee Park's list; reactivated.\n")
    again = cli("import", "appointments", str(path), "-o", "json")
    assert again.json() == {"created": 0, "updated": 0, "unchanged": 4, "new_to_provider": 0,
                            "reactivated": 0}


# --- dry runs hand out no ids -----------------------------------------------------------------

def test_a_dry_run_booking_says_would_book_without_ids(cli, clinic):
    single = cli("appointment", "book", "--client", clinic.client, "--provider",
                 clinic.provider_a, "--at", at(MON, "10:00"), "--dry-run", "-o", "json")
    assert single.exit_code == 0, single.output
    assert [a["id"] for a in single.json()["appointments"]] == [None]
    assert single.stderr == ("Dry run (nothing written): would book 1 appointment with Sam "
                             f"Okafor on {when(MON, '10:00')}.\n")
    series = cli("appointment", "book", "--client", clinic.client, "--provider",
                 clinic.provider_a, "--at", at(MON, "10:00"), "--repeat", "weekly", "--count",
                 "3", "--dry-run")
    assert series.exit_code == 0, series.output
    last = MON + dt.timedelta(days=14)
    assert series.stderr == ("Dry run (nothing written): would book 3 appointments with Sam "
                             f"Okafor from {when(MON, '10:00')} to {when(last, '10:00')}.\n")
    rows = list(csv.DictReader(io.StringIO(
        cli("appointment", "book", "--client", clinic.client, "--provider", clinic.provider_a,
            "--at", at(MON, "10:00"), "--repeat", "weekly", "--count", "3", "--dry-run",
            "-o", "csv").stdout)))
    assert {(r["id"], r["series_id"]) for r in rows} == {("", "")}


def test_dry_runs_of_blocks_and_time_off_hand_out_no_ids(cli, clinic):
    block = cli("availability", "add", clinic.provider_b, "--days", "sat", "--start", "09:00",
                "--end", "12:00", "--dry-run", "-o", "json")
    assert block.exit_code == 0, block.output
    assert block.json()["id"] is None
    assert block.stderr == ("Dry run (nothing written): would add an availability block for "
                            "Ana Ruiz.\n")
    off = cli("availability", "timeoff", clinic.provider_b, "--start", str(MON), "--end",
              str(MON), "--dry-run", "-o", "json")
    assert off.exit_code == 0, off.output
    assert off.json()["id"] is None
    assert off.stderr == "Dry run (nothing written): would record time off for Ana Ruiz.\n"
    location = cli("location", "add", "Annex", "--pos", "22", "--dry-run", "-o", "json")
    assert (location.json()["id"], location.stderr) == (
        None, "Dry run (nothing written): would add location 'Annex'.\n")


def test_a_dry_run_of_something_already_there_shows_its_real_id(cli, clinic):
    first = cli("availability", "add", clinic.provider_b, "--days", "sat", "--start", "09:00",
                "--end", "12:00", "-o", "json")
    again = cli("availability", "add", clinic.provider_b, "--days", "sat", "--start", "09:00",
                "--end", "12:00", "--dry-run", "-o", "json")
    assert again.exit_code == 0, again.output
    assert again.json()["id"] == first.json()["id"]


# --- availability: one shape for the listing and the export -----------------------------------

def test_availability_list_and_export_have_one_shape_that_imports_back(cli, clinic, backend,
                                                                       tmp_path):
    cli("availability", "add", clinic.provider_b, "--days", "sat,sun", "--start", "08:00",
        "--end", "11:00", "--session", "45", "--break", "15", "--from", "2027-01-01",
        "--until", "2027-06-30")
    listed = cli("availability", "list", "-o", "csv")
    exported = cli("export", "availability")
    assert listed.exit_code == exported.exit_code == 0, listed.output + exported.output
    assert listed.stdout == exported.stdout
    header = listed.stdout.splitlines()[0]
    assert header == ("id,provider_id,provider,provider_email,weekdays,start_time,end_time,"
                      "location,session_minutes,break_minutes,effective_from,effective_until")
    assert (json.loads(cli("availability", "list", "-o", "json").stdout)
            == json.loads(cli("export", "availability", "-o", "json").stdout))

    # The listing imports into another practice, and re-importing it changes nothing.
    target = backend.initialised()
    for kind in ("staff", "locations"):
        path = tmp_path / f"{kind}.csv"
        path.write_text(cli("export", kind).stdout)
        assert cli("--db", target, "import", kind, str(path)).exit_code == 0
    blocks = tmp_path / "blocks.csv"
    blocks.write_text(listed.stdout)
    imported = cli("--db", target, "import", "availability", str(blocks), "-o", "json")
    assert imported.exit_code == 0, imported.output
    assert imported.json() == {"created": 4, "updated": 0, "unchanged": 0}
    again = cli("--db", target, "import", "availability", str(blocks), "-o", "json")
    assert again.json() == {"created": 0, "updated": 0, "unchanged": 4}

    def without_ids(text: str) -> list[dict[str, str]]:
        return [{k: v for k, v in row.items() if k not in ("id", "provider_id")}
                for row in csv.DictReader(io.StringIO(text))]

    assert without_ids(cli("--db", target, "availability", "list", "-o", "csv").stdout) == (
        without_ids(listed.stdout))


def test_availability_files_of_the_older_shape_still_import(cli, clinic, tmp_path):
    path = Path(tmp_path) / "old.csv"
    path.write_text("id,provider,weekdays,start_time,end_time,location,session_minutes,"
                    "break_minutes,effective_from,effective_until\n"
                    f'9,{clinic.provider_b},"sat,sun",08:00,11:00,Main office,50,10,,\n')
    result = cli("import", "availability", str(path), "-o", "json")
    assert result.exit_code == 0, result.output
    assert result.json()["created"] == 1
    listed = cli("availability", "list", clinic.provider_b, "-o", "json").json()
    assert ["sat", "sun"] in [b["weekdays"] for b in listed]


def test_an_availability_row_without_a_provider_is_named(cli, clinic, tmp_path):
    path = tmp_path / "blocks.csv"
    path.write_text("provider_email,weekdays,start_time,end_time\n,sat,08:00,11:00\n")
    result = cli("import", "availability", str(path))
    assert result.exit_code == 2, result.output
    assert result.stderr == ("Error: row 2, column provider: provider is empty: give "
                             "provider_email (or provider)\n")
