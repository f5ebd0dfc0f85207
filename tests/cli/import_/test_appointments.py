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


def as_csv(row: dict[str, str]) -> str:
    """One exported row as a file of its own, header first."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(row))
    writer.writeheader()
    writer.writerow(row)
    return out.getvalue()


def places_of_session(cli, appointment_id: str) -> list[int]:
    shown = cli("appointment", "show", appointment_id, "-o", "json")
    assert shown.exit_code == 0, shown.output
    return [c["client_id"] for c in shown.json()["clients"]]


def test_a_clients_column_books_one_session_of_several_clients(
        cli, exchange_practice, tmp_path):
    ids = exchange_practice.ids
    path = write(tmp_path, "g.csv", "clients,provider,start,outside_availability\n"
                 f"#{ids['omar']};EXT-7;{ids['maya']},{LEE},{at(TUE, '15:00')},true\n")
    result = cli("import", "appointments", path, "-o", "json")
    assert result.exit_code == 0, result.output
    # Each client new to Lee is alerted on their own and counted (Maya is already Lee's).
    assert result.json() == {"created": 1, "updated": 0, "unchanged": 0, "new_to_provider": 2,
                             "reactivated": 0}
    assert result.stderr.count("is new to Lee Park") == 2
    assert f"client #{ids['omar']} is new to Lee Park" in result.stderr
    [row] = [r for r in rows_of(cli("export", "appointments").stdout)
             if r["provider"] == LEE and r["start"].startswith(f"{TUE.isoformat()}T15:00")]
    assert row["client_id"] == "" and row["clients"].split(";")[0] == str(ids["omar"])
    assert places_of_session(cli, row["id"])[:1] == [ids["omar"]]
    assert len(places_of_session(cli, row["id"])) == 3
    # The export imported again is the same session: nothing changes.
    again = cli("import", "appointments", write(tmp_path, "r.csv", as_csv(row)), "-o", "json")
    assert again.exit_code == 0, again.output
    assert again.json()["unchanged"] == 1
    # Moved to another time, the same clients make a new session.
    row["start"] = row["start"].replace("T15:00", "T17:00")
    row["end"] = row["end"].replace("T15:", "T17:")
    moved = cli("import", "appointments", write(tmp_path, "m.csv", as_csv(row)), "-o", "json")
    assert moved.exit_code == 0, moved.output
    [new] = [r for r in rows_of(cli("export", "appointments").stdout)
             if r["provider"] == LEE and r["start"].startswith(f"{TUE.isoformat()}T17:00")]
    assert new["clients"] == row["clients"]


def test_the_client_columns_and_clients_give_the_first_client_then_the_others(
        cli, exchange_practice, tmp_path):
    ids = exchange_practice.ids
    path = write(tmp_path, "g.csv", "client_external_id,clients,provider,start,"
                 "outside_availability\n"
                 f"EXT-7,#{ids['omar']},{ANA},{at(TUE, '15:00')},true\n")
    result = cli("import", "appointments", path, "-o", "json")
    assert result.exit_code == 0, result.output
    assert result.json()["created"] == 1 and result.json()["new_to_provider"] == 1
    assert result.stderr.count("is new to Ana Ruiz") == 1
    [row] = [r for r in rows_of(cli("export", "appointments").stdout)
             if r["provider"] == ANA and r["start"].startswith(f"{TUE.isoformat()}T15:00")]
    assert row["clients"].split(";")[1] == str(ids["omar"])
    assert places_of_session(cli, row["id"])[1:] == [ids["omar"]]


def test_each_client_of_an_imported_session_is_checked_for_overlaps(
        cli, exchange_practice, tmp_path):
    ids = exchange_practice.ids
    before = snapshot(exchange_practice.url)
    # Maya is Sam's at MON 13:00; a session with her at 13:20 overlaps it, booked or history.
    for status in ("scheduled", "completed"):
        path = write(tmp_path, "g.csv", "clients,provider,start,status,outside_availability\n"
                     f"#{ids['omar']};#{ids['maya']},{LEE},{at(MON, '13:20')},{status},true\n")
        result = cli("import", "appointments", path)
        assert result.exit_code == 5, result.output
        assert "overlaps Maya Chen's (client #" in result.stderr, result.stderr
    assert snapshot(exchange_practice.url) == before
    twice = write(tmp_path, "t.csv", "clients,provider,start,outside_availability\n"
                  f"#{ids['omar']};#{ids['omar']},{LEE},{at(TUE, '15:00')},true\n")
    result = cli("import", "appointments", twice)
    assert result.exit_code == 2, result.output
    assert "column clients" in result.stderr and "named twice" in result.stderr
    nobody = write(tmp_path, "n.csv", "clients,provider,start\n,"
                   f"{LEE},{at(TUE, '15:00')}\n")
    result = cli("import", "appointments", nobody)
    assert result.exit_code == 2, result.output
    assert "no client" in result.stderr


def test_an_imported_past_session_gives_every_client_the_attendance_of_its_status(
        cli, exchange_practice, tmp_path):
    """A completed group session from another system: each client attended, as the first
    client's place says; a cancelled one frees every client's time."""
    import datetime as dt

    ids = exchange_practice.ids
    past = dt.date.today() - dt.timedelta(days=10)
    path = write(tmp_path, "p.csv", "clients,provider,start,status,outside_availability\n"
                 f"#{ids['maya']};#{ids['omar']},{LEE},{past.isoformat()} 15:00,completed,true\n"
                 f"#{ids['maya']};#{ids['omar']},{LEE},{past.isoformat()} 17:00,cancelled,true\n")
    result = cli("import", "appointments", path, "-o", "json")
    assert result.exit_code == 0, result.output
    listed = cli("appointment", "list", "--provider", LEE, "--from", past.isoformat(), "--to",
                 past.isoformat(), "-o", "json").json()
    assert [[c["attendance"] for c in a["clients"]] for a in listed] == [
        ["attended", "attended"], ["cancelled", "cancelled"]]
