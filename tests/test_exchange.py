"""``import`` and ``export``: round trip, idempotence, all or nothing, spreadsheet safety,
permissions, and that chart notes and documents never leave the database."""

from __future__ import annotations

import csv
import io
import os

import pytest

from tests.conftest import OWNER_EMAIL
from tests.practice_db import snapshot
from tests.schedule_db import (
    ANA,
    BILLER,
    CAST,
    LEE,
    MAYA,
    MON,
    SAM,
    SCHEDULER,
    TUE,
    Practice,
    at,
    build_schedule,
    clone,
)

# In the order a whole practice is imported: each kind refers only to kinds before it.
KINDS = ("staff", "locations", "services", "clients", "availability", "assignments",
         "appointments")
IDS = {"id", "client_id", "series_id", "created_at"}  # belong to the database that made them


@pytest.fixture(scope="module")
def _template(backend) -> Practice:  # type: ignore[no-untyped-def]
    """The scheduling practice plus a client with an external id and awkward details, a
    weekly series, a cancelled appointment and a chart share."""
    from clinicctl.charts import sharing
    from clinicctl.people import clients
    from clinicctl.people.refs import resolve_staff
    from clinicctl.scheduling import appointments, booking
    from clinicctl.scheduling.recurrence import make_recurrence

    practice = build_schedule(backend)
    with practice.session() as s:
        owner = resolve_staff(s, OWNER_EMAIL)
        clients.add_client(s, owner, first_name="Zoë", last_name="O'Neil, Jr", dob="2001-02-03",
                           external_id="EXT-7", phone="+1 555 0100", address="=1+2",
                           email="zoe@example.org", provider_ref=ANA, diagnosis=["F32.0"])
        sharing.share(s, owner, MAYA, SAM, LEE, chart=True)
        booking.book(s, owner, client_ref=MAYA, provider_ref=SAM, at=at(MON, "13:00"),
                          recurrence=make_recurrence(repeat="weekly", count=3))
        done = booking.book(s, owner, client_ref="EXT-7", provider_ref=ANA,
                                 at=at(MON, "09:00"))
        appointments.cancel(s, owner, done.appointments[0].id, reason="sick")
        booking.book(s, owner, client_ref="EXT-7", provider_ref=ANA,
                          at=at(MON, "10:00"))
    return practice


@pytest.fixture
def practice(backend, _template: Practice, monkeypatch: pytest.MonkeyPatch
             ) -> Practice:  # type: ignore[no-untyped-def]
    fresh = clone(backend, _template)
    monkeypatch.setenv("CLINICCTL_DB", fresh.url)
    return fresh


def rows_of(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def comparable(text: str) -> list[tuple[tuple[str, str], ...]]:
    """A CSV export without the columns that are ids of one database, in a stable order."""
    return sorted(tuple((k, v) for k, v in row.items() if k not in IDS) for row in rows_of(text))


def write(tmp_path, name: str, text: str, *, bom: bool = False) -> str:
    path = tmp_path / name
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode())
    return str(path)


def export_all(cli, url: str | None = None) -> dict[str, str]:
    extra = ("--db", url) if url else ()
    out = {}
    for kind in KINDS:
        result = cli(*extra, "export", kind)
        assert result.exit_code == 0, result.output
        out[kind] = result.stdout
    return out


# --- round trip -------------------------------------------------------------------------

def test_export_then_import_into_an_empty_database_reproduces_the_practice(
        cli, practice, backend, tmp_path):
    exported = export_all(cli)
    target = backend.initialised()
    for kind in KINDS:
        path = write(tmp_path, f"{kind}.csv", exported[kind])
        result = cli("--db", target, "import", kind, path, "-o", "json")
        assert result.exit_code == 0, result.output
        assert result.json()["updated"] == 0
    again = export_all(cli, target)
    for kind in KINDS:
        assert comparable(again[kind]) == comparable(exported[kind]), kind
    # Series stay series: the three weekly occurrences share one series in the new database.
    series = [row["series_id"] for row in rows_of(again["appointments"]) if row["series_id"]]
    assert len(series) == 3 and len(set(series)) == 1


def test_reimporting_the_same_files_changes_nothing(cli, practice, tmp_path):
    exported = export_all(cli)
    before = snapshot(practice.url)
    for kind in KINDS:
        path = write(tmp_path, f"{kind}.csv", exported[kind])
        result = cli("import", kind, path, "-o", "json")
        assert result.exit_code == 0, result.output
        extra = {"new_to_provider": 0, "reactivated": 0} if kind == "appointments" else {}
        assert result.json() == {"created": 0, "updated": 0,
                                 "unchanged": len(rows_of(exported[kind])), **extra}
    after = snapshot(practice.url)
    assert {k: v for k, v in after.items() if k != "audit_event"} == {
        k: v for k, v in before.items() if k != "audit_event"}


def test_json_export_has_typed_values_and_the_same_rows(cli, practice):
    as_csv = rows_of(cli("export", "appointments").stdout)
    result = cli("export", "appointments", "--format", "json")
    assert result.exit_code == 0, result.output
    data = result.json()
    assert [row["id"] for row in data] == [int(row["id"]) for row in as_csv]
    cancelled = next(row for row in data if row["status"] == "cancelled")
    assert cancelled["cancellation_reason"] == "sick"
    assert cancelled["outside_availability"] is False
    assert cancelled["start"] == f"{MON.isoformat()}T09:00:00" + cancelled["start"][19:]


# --- spreadsheets -------------------------------------------------------------------------

def test_formula_cells_are_neutralised_in_csv_and_restored_on_import(cli, practice):
    exported = rows_of(cli("export", "clients").stdout)
    zoe = next(row for row in exported if row["external_id"] == "EXT-7")
    assert zoe["address"] == "'=1+2"
    assert zoe["phone"] == "'+1 555 0100"
    assert zoe["last_name"] == "O'Neil, Jr"  # an apostrophe inside is left alone
    as_json = cli("export", "clients", "-o", "json").json()
    assert next(r for r in as_json if r["external_id"] == "EXT-7")["address"] == "=1+2"


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_every_formula_start_is_neutralised(start):
    from clinicctl.exchange.csvio import neutralise, restore

    value = f"{start}cmd|' /C calc'!A0"
    assert neutralise(value) == "'" + value
    assert restore(neutralise(value)) == value
    assert neutralise("plain") == "plain" and restore("'quoted") == "'quoted"


def test_bom_quoted_commas_and_stdin(cli, db_url, open_session):
    text = ("external_id,first_name,last_name,dob,address\r\n"
            'X1,Ines,"García, MD",1970-01-02,"12 Oak St, Apt 3"\r\n')
    result = cli("import", "clients", "-", "-o", "json", input="\ufeff" + text)
    assert result.exit_code == 0, result.output
    assert result.json() == {"created": 1, "updated": 0, "unchanged": 0}
    assert result.stderr == "Imported clients: 1 created, 0 updated, 0 unchanged.\n"
    shown = cli("client", "show", "X1", "-o", "json").json()
    assert (shown["last_name"], shown["address"]) == ("García, MD", "12 Oak St, Apt 3")


# --- clients: matching and updates ------------------------------------------------------

def test_clients_match_on_external_id_else_name_and_birth_date(cli, cast, db_url, tmp_path):
    path = write(tmp_path, "c.csv", "external_id,first_name,last_name,dob,phone\n"
                 "M-1,Maya,Chen,1990-04-12,555-0199\n"  # Maya has no id yet: matched by name
                 ",Omar,Haddad,1985-09-30,\n"  # unchanged: no phone before either
                 "N-2,New,Person,2000-01-01,\n")
    result = cli("import", "clients", path, "-o", "json")
    assert result.exit_code == 0, result.output
    assert result.json() == {"created": 1, "updated": 1, "unchanged": 1}
    maya = cli("client", "show", "M-1", "-o", "json").json()
    assert (maya["id"], maya["phone"]) == (cast.client_id, "555-0199")
    again = cli("import", "clients", path, "-o", "json")
    assert again.json() == {"created": 0, "updated": 0, "unchanged": 3}


def test_a_bad_row_writes_nothing_and_is_named(cli, cast, db_url, tmp_path):
    before = snapshot(db_url)
    path = write(tmp_path, "c.csv", "first_name,last_name,dob\n"
                 "Ok,Row,1990-01-01\n"
                 "Bad,Date,1990-02-30\n")
    result = cli("import", "clients", path)
    assert result.exit_code == 2, result.output
    assert result.stderr == ("Error: row 3, column dob: invalid date of birth '1990-02-30': "
                             "expected YYYY-MM-DD\n")
    assert snapshot(db_url) == before


def test_every_bad_row_is_listed(cli, db_url, tmp_path):
    path = write(tmp_path, "c.csv", "first_name,last_name,dob\n"
                 ",Nameless,1990-01-01\n"
                 "Ok,Row,1990-01-01\n"
                 "Future,Born,2999-01-01\n"
                 "Ok,Row,1990-01-01\n")
    result = cli("import", "clients", path)
    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines() == [
        "Error: 3 of 4 rows are bad; nothing was imported",
        "  row 2, column first_name: first name is empty",
        "  row 4, column dob: date of birth 2999-01-01 is in the future",
        "  row 5: the same client as row 3",
    ]


def test_duplicates_across_chunks_are_caught(cli, db_url, tmp_path, monkeypatch):
    from clinicctl.exchange import import_clients

    monkeypatch.setattr(import_clients, "CHUNK", 3)
    lines = [f"E{i},First{i},Last{i},1980-01-{i + 1:02d}" for i in range(7)]
    lines.append("E1,Again,Someone,1981-01-01")
    path = write(tmp_path, "c.csv", "external_id,first_name,last_name,dob\n"
                 + "\n".join(lines) + "\n")
    result = cli("import", "clients", path)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("Error: row 9: the same client as an earlier row (#")
    path = write(tmp_path, "ok.csv", "external_id,first_name,last_name,dob\n"
                 + "\n".join(lines[:7]) + "\n")
    result = cli("import", "clients", path, "-o", "json")
    assert result.json() == {"created": 7, "updated": 0, "unchanged": 0}
    assert len(cli("client", "list", "-o", "json").json()) == 7


def test_header_problems_are_row_1(cli, db_url, tmp_path):
    for text, expected in [
        ("first_name,last_name\nA,B\n", "Error: row 1: missing column 'dob' (expected "),
        ("first_name,last_name,dob,shoe_size\n", "Error: row 1: unknown column 'shoe_size' "),
        ("", "Error: the CSV file is empty"),
        ("first_name,last_name,dob\n", "Error: the CSV file has no data rows"),
    ]:
        result = cli("import", "clients", write(tmp_path, "h.csv", text))
        assert result.exit_code == 2, result.output
        assert result.stderr.startswith(expected), result.stderr


def test_dry_run_writes_nothing(cli, cast, db_url, tmp_path):
    before = snapshot(db_url)
    path = write(tmp_path, "c.csv", "first_name,last_name,dob\nNew,Person,2000-01-01\n")
    result = cli("import", "clients", path, "--dry-run", "-o", "json")
    assert result.exit_code == 0, result.output
    assert result.json() == {"created": 1, "updated": 0, "unchanged": 0}
    assert result.stderr.startswith("Dry run (nothing written): Imported clients: 1 created")
    assert snapshot(db_url) == before


# --- appointments: the booking checks -------------------------------------------------------

def appointment_file(tmp_path, *rows: str) -> str:
    return write(tmp_path, "a.csv", "client_first_name,client_last_name,client_dob,provider,"
                 "start,status,outside_availability\n" + "".join(r + "\n" for r in rows))


def test_imported_appointments_cannot_double_book(cli, practice, tmp_path):
    before = snapshot(practice.url)
    path = appointment_file(
        tmp_path,
        f"Omar,Haddad,1985-09-30,{LEE},{at(TUE, '10:00')},scheduled,true",
        f"Omar,Haddad,1985-09-30,{SAM},{at(MON, '13:20')},scheduled,false")  # Sam busy 13:00
    result = cli("import", "appointments", path)
    assert result.exit_code == 5, result.output
    assert result.stderr.startswith("Error: row 3: ")
    assert "overlaps the provider's appointment #" in result.stderr
    assert snapshot(practice.url) == before


def test_future_appointments_respect_availability_unless_marked(cli, practice, tmp_path):
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


def test_changing_an_appointments_status_by_import_updates_it(cli, practice, tmp_path):
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


# --- permissions ------------------------------------------------------------------------

@pytest.mark.parametrize("actor,kind,code", [
    (OWNER_EMAIL, "clients", 0), (CAST.manager, "clients", 0),
    (SCHEDULER, "clients", 4), (BILLER, "clients", 4), (SAM, "clients", 4),
    (CAST.custodian, "clients", 0), (SCHEDULER, "appointments", 0),
    (BILLER, "appointments", 0), (SAM, "appointments", 4), (SCHEDULER, "audit", 4),
    (CAST.custodian, "audit", 0), (BILLER, "staff", 4),
])
def test_who_may_export(cli, practice, actor, kind, code):
    result = cli("export", kind, actor=actor)
    assert result.exit_code == code, result.output
    if code == 4:
        assert result.stdout == ""
        assert result.stderr.startswith(f"Error: export.{kind}: requires one of the roles")


def test_a_scoped_custodian_exports_only_clients_in_scope(cli, practice):
    scoped = CAST.scoped_custodian  # covers Lee Park only; Lee has Maya through a chart share
    names = {r["first_name"] for r in rows_of(cli("export", "clients", actor=scoped).stdout)}
    assert names == {"Maya"}
    refused = cli("export", "appointments", "--provider", ANA, actor=scoped)
    assert refused.exit_code == 4, refused.output
    assert "outside your records-custodian scope" in refused.stderr


@pytest.mark.parametrize("actor,kind,code", [
    (CAST.manager, "clients", 0), (SCHEDULER, "clients", 4), (SAM, "clients", 4),
    (CAST.custodian, "clients", 4), (SCHEDULER, "appointments", 0),
    (BILLER, "appointments", 4), (CAST.manager, "staff", 0), (SCHEDULER, "staff", 4),
])
def test_who_may_import(cli, practice, tmp_path, actor, kind, code):
    text = {
        "clients": "first_name,last_name,dob\nNew,Person,2000-01-01\n",
        "appointments": "client_first_name,client_last_name,client_dob,provider,start\n"
                        f"Maya,Chen,1990-04-12,{ANA},{at(MON, '11:00')}\n",
        "staff": "email,name,roles\nnew@riverside.example,New Person,provider\n",
    }[kind]
    before = practice.last_event_id()
    result = cli("import", kind, write(tmp_path, "f.csv", text), actor=actor)
    assert result.exit_code == code, result.output
    if code == 4:
        events = practice.events(before)
        assert [(action, outcome) for _, action, outcome, _ in events][-1][1] == "denied"


def test_a_manager_cannot_grant_the_custodian_role_by_import(cli, practice, tmp_path):
    path = write(tmp_path, "s.csv", "email,name,roles\nx@riverside.example,X Y,"
                 "records-custodian\n")
    result = cli("import", "staff", path, actor=CAST.manager)
    assert result.exit_code == 4, result.output


# --- what never leaves ------------------------------------------------------------------------

def test_no_export_holds_chart_notes_or_documents(cli, practice):
    from clinicctl.charts import records
    from clinicctl.people.refs import resolve_staff

    secrets = ["progress-body-5d1c", "private-body-77aa", "clinical-title-91",
               "clinical-content-3e", "plain-title-c4", "plain-content-0b"]
    with practice.session() as s:
        sam = resolve_staff(s, SAM)
        records.add_note(s, sam, MAYA, body=secrets[0])
        records.add_note(s, sam, MAYA, body=secrets[1], kind="private")
        records.add_document(s, sam, MAYA, title=secrets[2], content=secrets[3].encode(),
                             clinical=True)
        records.add_document(s, sam, MAYA, title=secrets[4], content=secrets[5].encode(),
                             clinical=False)
    everything = "".join(export_all(cli).values())
    for kind in ("shares", "audit"):
        everything += cli("export", kind).stdout + cli("export", kind, "-o", "json").stdout
    assert "Maya" in everything
    for secret in secrets:
        assert secret not in everything


def test_output_file_is_private_and_each_export_is_audited(cli, practice, tmp_path):
    target = tmp_path / "clients.csv"
    before = practice.last_event_id()
    result = cli("export", "clients", "--output", str(target))
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert os.stat(target).st_mode & 0o777 == 0o600
    count = len(rows_of(target.read_text()))
    assert result.stderr == f"Exported {count} rows of clients to {target}.\n"
    events = practice.events(before)
    assert [(a, o, d) for _, a, o, d in events] == [
        ("export.clients", "ok", {"kind": "clients", "rows": count})]


def test_a_failed_export_leaves_no_file(cli, practice, tmp_path):
    target = tmp_path / "out.csv"
    result = cli("export", "appointments", "--provider", "Nobody Here", "--output", str(target))
    assert result.exit_code == 3, result.output
    assert not target.exists() and list(tmp_path.iterdir()) == []


def test_export_filters(cli, practice):
    ana = rows_of(cli("export", "appointments", "--provider", ANA).stdout)
    assert ana and {r["provider"] for r in ana} == {ANA}
    monday = rows_of(cli("export", "appointments", "--from", MON.isoformat(), "--to",
                         MON.isoformat()).stdout)
    assert monday and all(r["start"].startswith(MON.isoformat()) for r in monday)
    bad = cli("export", "appointments", "--from", TUE.isoformat(), "--to", MON.isoformat())
    assert bad.exit_code == 2, bad.output
    assert bad.stderr == f"Error: --to {MON} is before --from {TUE}\n"


def test_a_column_left_out_leaves_that_detail_alone(cli, practice, tmp_path):
    exported = rows_of(cli("export", "appointments").stdout)
    cancelled = next(r for r in exported if r["status"] == "cancelled")
    path = write(tmp_path, "a.csv", "client_external_id,provider,start\n"
                 f"EXT-7,{cancelled['provider']},{cancelled['start']}\n")
    result = cli("import", "appointments", path, "-o", "json")
    assert result.exit_code == 0, result.output
    assert result.json() == {"created": 0, "updated": 0, "unchanged": 1, "new_to_provider": 0,
                             "reactivated": 0}
    blocks = rows_of(cli("export", "availability").stdout)
    path = write(tmp_path, "b.csv", "provider,weekdays,start_time,end_time\n" + "".join(
        f"{b['provider']},\"{b['weekdays']}\",{b['start_time']},{b['end_time']}\n"
        for b in blocks))
    result = cli("import", "availability", path, "-o", "json")
    assert result.json() == {"created": 0, "updated": 0, "unchanged": len(blocks)}
    assert rows_of(cli("export", "availability").stdout) == blocks


def test_reopening_a_cancelled_appointment_by_import_is_checked_for_overlap(
        cli, practice, tmp_path):
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


def test_rows_that_change_different_details_each_keep_their_changes(cli, db_url, tmp_path):
    first = write(tmp_path, "c.csv", "external_id,first_name,last_name,dob,phone,address\n"
                  "A1,Ann,One,1970-01-01,111,Elm\n"
                  "B2,Bob,Two,1971-01-01,222,Oak\n"
                  ",Cy,Three,1972-01-01,,\n")
    assert cli("import", "clients", first).exit_code == 0
    second = write(tmp_path, "d.csv", "external_id,first_name,last_name,dob,phone,address\n"
                   "A1,Ann,One,1970-01-01,999,Elm\n"
                   "B2,Bob,Two,1971-01-01,222,Pine\n"
                   "C3,Cy,Three,1972-01-01,333,\n")
    result = cli("import", "clients", second, "-o", "json")
    assert result.exit_code == 0, result.output
    assert result.json() == {"created": 0, "updated": 3, "unchanged": 0}
    shown = {c["external_id"]: (c["phone"], c["address"])
             for c in cli("export", "clients", "-o", "json").json()}
    assert shown == {"A1": ("999", "Elm"), "B2": ("222", "Pine"), "C3": ("333", None)}


# --- what the review found: imports keep the single commands' limits ----------------------

def test_only_the_owner_changes_who_owns_a_providers_records(cli, cast, db_url, tmp_path):
    path = write(tmp_path, "s.csv", f"email,records_owner\n{cast.provider_own},group\n")
    refused = cli("import", "staff", path, actor=cast.manager)
    assert refused.exit_code == 4, refused.output
    assert "only the owner changes who owns Kim Novak's records" in refused.stderr
    chart = cli("client", "share", cast.own_client, "--from", cast.provider_own, "--to",
                cast.provider_b, "--chart", actor=cast.manager)
    assert chart.exit_code == 4, chart.output  # still Kim's alone to share
    done = cli("import", "staff", path, "-o", "json")
    assert done.exit_code == 0, done.output
    assert done.json() == {"created": 0, "updated": 1, "unchanged": 0}


def test_a_manager_cannot_reactivate_or_rename_a_records_custodian(cli, cast, db_url,
                                                                    tmp_path):
    assert cli("staff", "deactivate", cast.custodian).exit_code == 0
    for text in (f"email,active\n{cast.custodian},true\n",
                 f"email,name\n{cast.owner},Someone Else\n"):
        result = cli("import", "staff", write(tmp_path, "s.csv", text), actor=cast.manager)
        assert result.exit_code == 4, result.output
        assert "only the owner grants the owner or records-custodian role" in result.stderr


def test_a_refused_export_says_nothing_about_who_exists(cli, cast, db_url):
    result = cli("export", "clients", "--provider", "nobody@riverside.example",
                 actor=cast.provider_a)
    assert result.exit_code == 4, result.output
    assert result.stderr.startswith("Error: export.clients: requires one of the roles")


def test_every_imported_client_has_its_own_audit_event(cli, db_url, tmp_path):
    first = write(tmp_path, "c.csv", "external_id,first_name,last_name,dob,phone\n"
                  "A1,Ann,One,1970-01-01,111\nB2,Bob,Two,1971-01-01,222\n")
    assert cli("import", "clients", first).exit_code == 0
    second = write(tmp_path, "d.csv", "external_id,first_name,last_name,dob,phone\n"
                   "A1,Ann,One,1970-01-01,999\n")
    assert cli("import", "clients", second).exit_code == 0
    ann = cli("client", "show", "A1", "-o", "json").json()["id"]
    events = cli("audit", "list", "--client", "A1", "-o", "json").json()
    assert [(e["action"], e["details"]) for e in events
            if e["action"].startswith("client.")] == [
        ("client.add", {"by": "import"}),
        ("client.edit", {"by": "import", "fields": ["phone"]}),
    ]
    assert {e["client_id"] for e in events} == {ann}
    assert cli("audit", "verify").exit_code == 0


@pytest.mark.parametrize("text,expected", [
    ("external_id,first_name,last_name,dob\n" + "X" * 70 + ",A,B,1990-01-01\n",
     "Error: row 2, column external_id: longer than 64 characters\n"),
    ("first_name,first_name,last_name,dob\nA,A,B,1990-01-01\n",
     "Error: row 1: column 'first_name' appears more than once\n"),
])
def test_values_the_database_cannot_hold_are_named(cli, db_url, tmp_path, text, expected):
    before = snapshot(db_url)
    result = cli("import", "clients", write(tmp_path, "c.csv", text))
    assert result.exit_code == 2, result.output
    assert result.stderr == expected
    assert snapshot(db_url) == before


def test_out_of_range_ids_and_years_are_input_errors(cli, practice, tmp_path):
    path = appointment_file(tmp_path, f"Maya,Chen,1990-04-12,#{'9' * 25},{at(MON, '11:00')},,")
    result = cli("import", "appointments", path)
    assert result.exit_code == 2, result.output
    assert "too large" in result.stderr
    path = appointment_file(tmp_path, f"Maya,Chen,1990-04-12,{ANA},9999-12-31 23:30,,")
    result = cli("import", "appointments", path)
    assert result.exit_code == 2, result.output
    assert "the year is out of range" in result.stderr
