"""``import staff`` keeps the single commands' limits: only the owner grants the owner or
records-custodian role and changes who owns a provider's records."""

from __future__ import annotations

from tests.fixtures.exchange_db import write
from tests.fixtures.schedule_db import CAST


def test_a_manager_cannot_grant_the_custodian_role_by_import(cli, exchange_practice, tmp_path):
    path = write(tmp_path, "s.csv", "email,name,roles\nx@riverside.example,X Y,"
                 "records-custodian\n")
    result = cli("import", "staff", path, actor=CAST.manager)
    assert result.exit_code == 4, result.output


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
