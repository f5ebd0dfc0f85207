"""``export appointments``: typed JSON, filters, and no file left behind by a failure."""

from __future__ import annotations

from tests.fixtures.exchange_db import rows_of
from tests.fixtures.schedule_db import ANA, MON, TUE


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
    assert not target.exists() and list(tmp_path.iterdir()) == []


def test_export_filters(cli, exchange_practice):
    ana = rows_of(cli("export", "appointments", "--provider", ANA).stdout)
    assert ana and {r["provider"] for r in ana} == {ANA}
    monday = rows_of(cli("export", "appointments", "--from", MON.isoformat(), "--to",
                         MON.isoformat()).stdout)
    assert monday and all(r["start"].startswith(MON.isoformat()) for r in monday)
    bad = cli("export", "appointments", "--from", TUE.isoformat(), "--to", MON.isoformat())
    assert bad.exit_code == 2, bad.output
    assert bad.stderr == f"Error: --to {MON} is before --from {TUE}\n"
