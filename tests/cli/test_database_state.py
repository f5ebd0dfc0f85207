"""A database the command cannot use: missing, empty, not a database, at another schema
revision, or an unsupported URL; exit 6 (or 2) with the way out, and nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest

from clinicctl.schema import SCHEMA_HEAD
from tests.fixtures.bad_input import (
    DATA_COMMANDS,
    INIT_HINT,
    Case,
    assert_error,
    assert_still_empty,
    command_id,
    fill,
    sqlite_only,
)
from tests.fixtures.practice_db import snapshot


@pytest.mark.parametrize("args", [*DATA_COMMANDS, ("db", "status"), ("db", "upgrade")],
                         ids=command_id)
def test_uninitialised_database(cli, backend, empty, paths, args):
    """A missing SQLite file, or an empty PostgreSQL database: exit 6 with the way out."""
    if backend.is_postgres and args == ("db", "upgrade"):
        pytest.skip("db upgrade creates the schema in an empty PostgreSQL database")
    result = cli(*fill(args, paths))
    if backend.is_postgres:
        assert_error(result, 6, f"database is not initialised {INIT_HINT}")
    else:
        assert_error(result, 6, f"database {empty.removeprefix('sqlite:///')} does not exist "
                                "(create it with `clinicctl init --practice ... "
                                "--owner-email ...`)")
    assert_still_empty(backend, empty)


@pytest.mark.parametrize("args", [("client", "list"), ("note", "add", "#1", "--body", "x"),
                                  ("db", "status")], ids=command_id)
def test_empty_sqlite_file(cli, backend, request, args):
    """An SQLite file that exists but has no schema is "not initialised", not a crash."""
    if backend.is_postgres:
        pytest.skip("SQLite files only")
    empty_db_url = request.getfixturevalue("empty_db_url")
    path = Path(empty_db_url.removeprefix("sqlite:///"))
    path.touch(mode=0o600)
    result = cli(*args)
    assert_error(result, 6, f"database is not initialised {INIT_HINT}")
    assert snapshot(empty_db_url) == {}


@pytest.mark.parametrize("args", DATA_COMMANDS, ids=command_id)
def test_schema_not_at_head(cli, old, paths, args):
    before = snapshot(old.url)
    result = cli(*fill(args, paths))
    assert_error(result, 6, f"database schema is at revision 0000, this clinicctl needs "
                            f"{SCHEMA_HEAD} (run `clinicctl db upgrade`)")
    assert snapshot(old.url) == before


@pytest.mark.parametrize("args", [("client", "list"), ("db", "status"), ("db", "upgrade"),
                                  ("init", "--practice", "P", "--timezone", "UTC",
                                   "--owner-name", "A B", "--owner-email", "a@b.example")],
                         ids=command_id)
def test_a_file_that_is_not_a_database_exits_6(cli, backend, tmp_path, args):
    sqlite_only(backend)
    path = tmp_path / "notes.txt"
    path.write_text("this is a letter, not a database\n" * 20)
    result = cli("--db", f"sqlite:///{path}", *args)
    assert_error(result, 6, "database error: file is not a database")
    assert path.read_text().startswith("this is a letter")


def _initialised_then(backend, statement: str) -> str:
    """A fresh practice database after one statement of the administrator's."""
    from sqlalchemy import text

    from tests.fixtures.practice_db import session_on

    url = backend.initialised()
    with session_on(url) as session:
        session.execute(text(statement))
    return url


@pytest.mark.parametrize("args", [("client", "list"), ("db", "status"), ("db", "upgrade"),
                                  ("init", "--practice", "P", "--timezone", "UTC",
                                   "--owner-name", "A B", "--owner-email", "a@b.example")],
                         ids=command_id)
def test_a_database_whose_revision_table_is_gone_exits_6(cli, backend, args):
    url = _initialised_then(backend, "DROP TABLE alembic_version")
    before = snapshot(url)
    result = cli("--db", url, *args)
    assert_error(result, 6, "the database holds clinicctl's tables but no schema revision (its "
                 "alembic_version table is gone) (restore the database from a backup; "
                 "clinicctl cannot tell which migrations it has)")
    assert snapshot(url) == before


@pytest.mark.parametrize("args", [("client", "list"), ("db", "status"), ("db", "upgrade")],
                         ids=command_id)
def test_a_database_from_a_newer_clinicctl_exits_6(cli, backend, args):
    url = _initialised_then(backend, "UPDATE alembic_version SET version_num = '0099'")
    result = cli("--db", url, *args)
    assert_error(result, 6, f"database schema is at revision 0099, newer than this clinicctl "
                 f"knows ({SCHEMA_HEAD}): a newer clinicctl upgraded it (use that clinicctl: "
                 "pip install --upgrade clinicctl)")


# --- bad input --------------------------------------------------------------------------------

CASES = [
    Case("unsupported-database", ("--db", "mysql://db.example/clinic", "client", "list"), 2,
         "unsupported database 'mysql': use sqlite:/// or postgresql://"),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_bad_value(cli, plain, paths, case):
    values = {**plain.ids, **paths}
    before = snapshot(plain.url)
    result = cli(*fill(case.args, values), actor=case.actor)
    assert_error(result, case.code, case.error.format(**values))
    assert snapshot(plain.url) == before
