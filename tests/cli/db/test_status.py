"""``db status``: the schema revision against this clinicctl's head."""

from __future__ import annotations

from clinicctl.schema import SCHEMA_HEAD


def test_db_status_at_head(cli, db_url):
    from clinicctl.db import normalise_url
    from clinicctl.schema import SCHEMA_HEAD

    result = cli("db", "status", "-o", "json", actor=None)
    assert result.exit_code == 0, result.output
    on_postgres = db_url.startswith("postgresql")
    assert result.json() == {"database": normalise_url(db_url), "current": SCHEMA_HEAD,
                             "head": SCHEMA_HEAD, "at_head": True,
                             "row_level_security": on_postgres, "bound_logins": []}
    assert result.stderr == ""


def test_db_status_not_at_head_reports_and_exits_6(cli, old):
    result = cli("db", "status", "-o", "json")
    assert result.exit_code == 6, result.output
    data = result.json()
    assert (data["current"], data["head"], data["at_head"]) == ("0000", SCHEMA_HEAD, False)
    assert result.stderr == "Error: schema is not at head (run `clinicctl db upgrade`)\n"
