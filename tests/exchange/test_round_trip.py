"""``import`` and ``export`` together: a whole practice exported and imported into an empty
database is the same practice; importing it again changes nothing; formula cells survive the
round trip; chart notes and documents never leave the database."""

from __future__ import annotations

import pytest

from tests.fixtures.exchange_db import KINDS, comparable, export_all, rows_of, write
from tests.fixtures.practice_db import snapshot
from tests.fixtures.schedule_db import MAYA, SAM


def test_export_then_import_into_an_empty_database_reproduces_the_practice(
        cli, exchange_practice, backend, tmp_path):
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


def test_reimporting_the_same_files_changes_nothing(cli, exchange_practice, tmp_path):
    exported = export_all(cli)
    before = snapshot(exchange_practice.url)
    for kind in KINDS:
        path = write(tmp_path, f"{kind}.csv", exported[kind])
        result = cli("import", kind, path, "-o", "json")
        assert result.exit_code == 0, result.output
        extra = {"new_to_provider": 0, "reactivated": 0} if kind == "appointments" else {}
        assert result.json() == {"created": 0, "updated": 0,
                                 "unchanged": len(rows_of(exported[kind])), **extra}
    after = snapshot(exchange_practice.url)
    assert {k: v for k, v in after.items() if k != "audit_event"} == {
        k: v for k, v in before.items() if k != "audit_event"}


def test_a_column_left_out_leaves_that_detail_alone(cli, exchange_practice, tmp_path):
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


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_every_formula_start_is_neutralised(start):
    from clinicctl.exchange.csvio import neutralise, restore

    value = f"{start}cmd|' /C calc'!A0"
    assert neutralise(value) == "'" + value
    assert restore(neutralise(value)) == value
    assert neutralise("plain") == "plain" and restore("'quoted") == "'quoted"


def test_no_export_holds_chart_notes_or_documents(cli, exchange_practice):
    from clinicctl.charts import records
    from clinicctl.people.refs import resolve_staff

    secrets = ["progress-body-5d1c", "private-body-77aa", "clinical-title-91",
               "clinical-content-3e", "plain-title-c4", "plain-content-0b"]
    with exchange_practice.session() as s:
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
