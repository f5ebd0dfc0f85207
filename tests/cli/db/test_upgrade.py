"""``db upgrade``: a no-op at head, the whole schema in an empty database, and a clear error
for a revision it does not know."""

from __future__ import annotations

from pathlib import Path

from tests.fixtures.backend import schema_differences
from tests.fixtures.cast import OWNER_EMAIL, PRACTICE_TZ
from tests.fixtures.practice_db import snapshot


def test_db_upgrade_at_head_is_a_noop(cli, db_url):
    from clinicctl.schema import SCHEMA_HEAD

    result = cli("db", "upgrade", actor=None)
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert result.stderr == f"Schema already at head ({SCHEMA_HEAD}).\n"


def test_db_upgrade_of_empty_database_then_init(cli, backend, empty_db_url):
    from clinicctl.schema import SCHEMA_HEAD

    if not backend.is_postgres:
        # An existing, empty SQLite file (a missing one is refused: see
        # tests/cli/test_database_state.py).
        Path(empty_db_url.removeprefix("sqlite:///")).touch(mode=0o600)
    result = cli("db", "upgrade", actor=None)
    assert result.exit_code == 0, result.output
    assert result.stderr == f"Schema upgraded from empty to {SCHEMA_HEAD}.\n"
    assert schema_differences(empty_db_url) == []
    status = cli("db", "status", "-o", "json", actor=None)
    assert status.exit_code == 0, status.output
    assert status.json()["at_head"] is True
    # The schema exists but nobody is in it yet: init still completes the setup.
    init = cli("init", "--practice", "Riverside Counseling", "--timezone", PRACTICE_TZ,
               "--owner-name", "Dana Reyes", "--owner-email", OWNER_EMAIL, actor=None)
    assert init.exit_code == 0, init.output
    listed = cli("staff", "list", "-o", "json")
    assert listed.exit_code == 0, listed.output
    assert [s["email"] for s in listed.json()] == [OWNER_EMAIL]


def test_db_upgrade_from_unknown_revision(cli, old):
    before = snapshot(old.url)
    result = cli("db", "upgrade")
    assert result.exit_code == 6, result.output
    assert result.stdout == ""
    assert result.stderr.startswith("Error: cannot upgrade the database schema: "), result.stderr
    assert "'0000'" in result.stderr
    assert result.stderr.endswith("(is it from a newer clinicctl?)\n")
    assert result.stderr.count("\n") == 1
    assert snapshot(old.url) == before
