"""``export appointments``: typed JSON, filters, and no file left behind by a failure."""

from __future__ import annotations

from tests.fixtures.exchange_db import rows_of
from tests.fixtures.schedule_db import ANA, IVY, LEE, MAYA, MON, OMAR, TUE, WED, at


def test_json_export_has_typed_values_and_the_same_rows(cli, exchange_practice):
    as_csv = rows_of(cli("export", "appointments").stdout)
    result = cli("export", "appointments", "--format", "json")
    assert result.exit_code == 0, result.output
    data = result.json()
    assert [row["id"] for row in data] == [int(row["id"]) for row in as_csv]
    cancelled = next(row for row in data if row["status"] == "cancelled")
    assert cancelled["cancellation_reason"] == "sick"
    assert cancelled["outside_availability"] is False
    assert cancelled["start"] == f"{MON.isoformat()}T09:00:00" + cancelled["start"][19:]


def test_a_failed_export_leaves_no_file(cli, exchange_practice, tmp_path):
    target = tmp_path / "out.csv"
    result = cli("export", "appointments", "--provider", "Nobody Here", "--output", str(target))
    assert result.exit_code == 3, result.output
    assert not target.exists() and [p.name for p in tmp_path.iterdir()] == ["config.toml"]


def test_export_filters(cli, exchange_practice):
    ana = rows_of(cli("export", "appointments", "--provider", ANA).stdout)
    assert ana and {r["provider"] for r in ana} == {ANA}
    monday = rows_of(cli("export", "appointments", "--from", MON.isoformat(), "--to",
                         MON.isoformat()).stdout)
    assert monday and all(r["start"].startswith(MON.isoformat()) for r in monday)
    bad = cli("export", "appointments", "--from", TUE.isoformat(), "--to", MON.isoformat())
    assert bad.exit_code == 2, bad.output
    assert bad.stderr == f"Error: --to {MON} is before --from {TUE}\n"


def book_session(cli, *clients: str, provider: str = ANA, day=TUE, hhmm: str = "15:00"
                 ) -> dict:
    args = [part for client in clients for part in ("--client", client)]
    booked = cli("-q", "appointment", "book", *args, "--provider", provider, "--at",
                 at(day, hhmm), "--outside-availability", "-o", "json")
    assert booked.exit_code == 0, booked.output
    [appointment] = booked.json()["appointments"]
    return appointment


def test_a_session_of_several_clients_is_one_row_without_a_name(cli, exchange_practice):
    ids = exchange_practice.ids
    session = book_session(cli, OMAR, MAYA)
    rows = rows_of(cli("export", "appointments").stdout)
    assert list(rows[0])[-1] == "clients"  # the new column comes last
    [row] = [r for r in rows if r["id"] == str(session["id"])]
    assert row["client_id"] == "" and row["clients"] == f"{ids['omar']};{ids['maya']}"
    assert [row[column] for column in ("client_external_id", "client_first_name",
                                       "client_last_name", "client_dob")] == ["", "", "", ""]
    assert "Omar" not in ",".join(row.values()) and "Maya" not in ",".join(row.values())
    # A one-client session keeps its columns and names its client in clients too.
    single = next(r for r in rows if r["client_external_id"] == "EXT-7")
    assert single["client_id"] and single["clients"] == single["client_id"]
    [typed] = [r for r in cli("export", "appointments", "-o", "json").json()
               if r["id"] == session["id"]]
    assert typed["client_id"] is None and typed["clients"] == f"{ids['omar']};{ids['maya']}"


def test_a_custodian_exports_a_session_when_one_of_its_clients_is_in_scope(
        cli, exchange_practice):
    ids = exchange_practice.ids
    book_session(cli, OMAR, provider=LEE, day=WED)  # Omar is in Lee's list, Ivy's scope
    session = book_session(cli, "EXT-7", OMAR)  # Ana's session, its first client out of scope
    rows = rows_of(cli("export", "appointments", actor=IVY).stdout)
    [row] = [r for r in rows if r["id"] == str(session["id"])]
    # Only the clients in Ivy's scope are named.
    assert row["clients"] == str(ids["omar"]) and row["client_id"] == ""
    assert not any(r["client_external_id"] == "EXT-7" for r in rows)
