"""``import appointments``: the booking checks (overlaps, availability), status changes and
reopened appointments, ids and years out of range."""

from __future__ import annotations

import csv
import io

from tests.fixtures.exchange_db import appointment_file, rows_of, write
from tests.fixtures.practice_db import snapshot
from tests.fixtures.schedule_db import ANA, LEE, MON, SAM, TUE, at


def test_imported_appointments_cannot_double_book(cli, exchange_practice, tmp_path):
    before = snapshot(exchange_practice.url)
    path = appointment_file(
        tmp_path,
        f"Omar,Haddad,1985-09-30,{LEE},{at(TUE, '10:00')},scheduled,true",
        f"Omar,Haddad,1985-09-30,{SAM},{at(MON, '13:20')},scheduled,false")  # Sam busy 13:00
    result = cli("import", "appointments", path)
    assert result.exit_code == 5, result.output
    assert result.stderr.startswith("Error: row 3: ")
    assert "overlaps the provider's appointment #" in result.stderr
    assert snapshot(exchange_practice.url) == before


def test_future_appointments_respect_availability_unless_marked(cli, exchange_practice, tmp_path):
    outside = f"Omar,Haddad,1985-09-30,{LEE},{at(TUE, '10:00')},scheduled,"
    result = cli("import", "appointments", appointment_file(tmp_path, outside + "false"))
    assert result.exit_code == 5, result.output
    assert "outside Lee Park's availability" in result.stderr
    result = cli("import", "appointments", appointment_file(tmp_path, outside + "true"),
                 "-o", "json")
    assert result.exit_code == 0, result.output
    assert result.json() == {"created": 1, "updated": 0, "unchanged": 0, "new_to_provider": 1,
                             "reactivated": 0}
    # Lee is new to Omar: he is in Lee's list with demographics only, as a booking does.
    listed = cli("client", "list", "--provider", LEE, "-o", "json").json()
    assert "Omar" in [c["first_name"] for c in listed]
    shares = rows_of(cli("export", "shares").stdout)
    assert [r for r in shares if r["client_first_name"] == "Omar"] == []


def test_changing_an_appointments_status_by_import_updates_it(cli, exchange_practice, tmp_path):
    exported = rows_of(cli("export", "appointments").stdout)
    row = next(r for r in exported if r["status"] == "scheduled"
               and r["client_external_id"] == "EXT-7")
    row["status"] = "no-show"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(row))
    writer.writeheader()
    writer.writerow(row)
    result = cli("import", "appointments", write(tmp_path, "u.csv", out.getvalue()),
                 "-o", "json")
    assert result.exit_code == 0, result.output
    assert result.json() == {"created": 0, "updated": 1, "unchanged": 0, "new_to_provider": 0,
                             "reactivated": 0}
    shown = cli("appointment", "show", row["id"], "-o", "json").json()
    assert shown["status"] == "no-show"


def test_reopening_a_cancelled_appointment_by_import_is_checked_for_overlap(
        cli, exchange_practice, tmp_path):
    exported = rows_of(cli("export", "appointments").stdout)
    cancelled = next(r for r in exported if r["status"] == "cancelled")
    # Book Omar with Ana over the cancelled slot, then try to reopen the cancelled one.
    booked = cli("appointment", "book", "--client", "Omar Haddad", "--provider", ANA,
                 "--at", at(MON, "09:00"))
    assert booked.exit_code == 0, booked.output
    path = write(tmp_path, "a.csv", "client_external_id,provider,start,status\n"
                 f"EXT-7,{cancelled['provider']},{cancelled['start']},scheduled\n")
    result = cli("import", "appointments", path)
    assert result.exit_code == 5, result.output
    assert "overlaps the provider's appointment #" in result.stderr


def test_out_of_range_ids_and_years_are_input_errors(cli, exchange_practice, tmp_path):
    path = appointment_file(tmp_path, f"Maya,Chen,1990-04-12,#{'9' * 25},{at(MON, '11:00')},,")
    result = cli("import", "appointments", path)
    assert result.exit_code == 2, result.output
    assert "too large" in result.stderr
    path = appointment_file(tmp_path, f"Maya,Chen,1990-04-12,{ANA},9999-12-31 23:30,,")
    result = cli("import", "appointments", path)
    assert result.exit_code == 2, result.output
    assert "the year is out of range" in result.stderr
