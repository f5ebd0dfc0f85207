"""``export clients``: formula cells neutralised, a private output file, an audit event per
export, and a refusal that says nothing about who exists."""

from __future__ import annotations

import os

from tests.fixtures.exchange_db import rows_of


def test_formula_cells_are_neutralised_in_csv_and_restored_on_import(cli, exchange_practice):
    exported = rows_of(cli("export", "clients").stdout)
    zoe = next(row for row in exported if row["external_id"] == "EXT-7")
    assert zoe["address"] == "'=1+2"
    assert zoe["phone"] == "'+1 555 0100"
    assert zoe["last_name"] == "O'Neil, Jr"  # an apostrophe inside is left alone
    as_json = cli("export", "clients", "-o", "json").json()
    assert next(r for r in as_json if r["external_id"] == "EXT-7")["address"] == "=1+2"


def test_output_file_is_private_and_each_export_is_audited(cli, exchange_practice, tmp_path):
    target = tmp_path / "clients.csv"
    before = exchange_practice.last_event_id()
    result = cli("export", "clients", "--output", str(target))
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert os.stat(target).st_mode & 0o777 == 0o600
    count = len(rows_of(target.read_text()))
    assert result.stderr == f"Exported {count} rows of clients to {target}.\n"
    events = exchange_practice.events(before)
    assert [(a, o, d) for _, a, o, d in events] == [
        ("export.clients", "ok", {"kind": "clients", "rows": count})]


def test_a_refused_export_says_nothing_about_who_exists(cli, cast, db_url):
    result = cli("export", "clients", "--provider", "nobody@riverside.example",
                 actor=cast.provider_a)
    assert result.exit_code == 4, result.output
    assert result.stderr.startswith("Error: export.clients: requires one of the roles")
