"""``clinicctl init``: a new practice and its owner in a new, private database; bad input
creates nothing, and an initialised database is left alone."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tests.fixtures.bad_input import INIT_ARGS, assert_error, assert_still_empty, sqlite_only
from tests.fixtures.cast import OWNER_EMAIL, PRACTICE_TZ
from tests.fixtures.practice_db import snapshot


def test_default_database_is_private(cli, backend, tmp_path):
    if backend.is_postgres:
        pytest.skip("the default database is an SQLite file")
    result = cli("init", "--practice", "Riverside Counseling", "--timezone", PRACTICE_TZ,
                 "--owner-name", "Dana Reyes", "--owner-email", OWNER_EMAIL, actor=None)
    assert result.exit_code == 0, result.output
    directory = Path(os.environ["XDG_DATA_HOME"]) / "clinicctl"
    database = directory / "clinic.sqlite3"
    assert database.exists()
    assert stat.S_IMODE(database.stat().st_mode) == 0o600
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    listed = cli("staff", "list", "-o", "json")
    assert listed.exit_code == 0, listed.output
    assert [s["email"] for s in listed.json()] == [OWNER_EMAIL]


def test_init_on_initialised_database(cli, plain):
    before = snapshot(plain.url)
    result = cli(*INIT_ARGS, actor=None)
    assert_error(result, 5, "this database is already initialised "
                            "(use `clinicctl db upgrade` to bring its schema to head)")
    assert snapshot(plain.url) == before


def test_init_on_database_at_other_revision(cli, old):
    before = snapshot(old.url)
    result = cli(*INIT_ARGS, actor=None)
    assert result.exit_code == 5, result.output
    assert snapshot(old.url) == before


@pytest.mark.parametrize(("change", "error"), [
    (("--timezone", "Mars/Olympus_Mons"),
     "unknown time zone 'Mars/Olympus_Mons': use an IANA name such as America/New_York"),
    (("--timezone", "EST5EDT/../../etc"),
     "unknown time zone 'EST5EDT/../../etc': use an IANA name such as America/New_York"),
    (("--timezone", ""), "unknown time zone '': use an IANA name such as America/New_York"),
    (("--owner-email", "dana"), "invalid email 'dana'"),
    (("--practice", "  "), "the practice name is empty"),
    (("--owner-name", " "), "a name is required"),
], ids=["unknown-zone", "path-zone", "empty-zone", "bad-email", "no-practice", "no-owner"])
def test_init_bad_input_creates_nothing(cli, backend, empty, change, error):
    args = list(INIT_ARGS)
    args[args.index(change[0]) + 1] = change[1]
    result = cli(*args, actor=None)
    assert_error(result, 2, error)
    assert_still_empty(backend, empty)


def test_init_into_a_folder_that_cannot_be_made_exits_6(cli, backend, tmp_path):
    sqlite_only(backend)
    blocker = tmp_path / "afile"
    blocker.write_text("")
    target = blocker / "clinic.sqlite3"
    result = cli("--db", f"sqlite:///{target}", "init", "--practice", "P", "--timezone", "UTC",
                 "--owner-name", "A B", "--owner-email", "a@b.example", actor=None)
    assert_error(result, 6, f"cannot create the database file {target}: Not a directory "
                 "(choose a folder you may write to)")


def test_init_makes_the_file_0600_and_its_new_folders_0700(cli, backend, tmp_path):
    sqlite_only(backend)
    touched = tmp_path / "touched.sqlite3"
    touched.touch()
    os.chmod(touched, 0o644)
    deep = tmp_path / "new" / "deeper" / "clinic.sqlite3"
    for path in (touched, deep):
        result = cli("--db", f"sqlite:///{path}", "init", "--practice", "P", "--timezone",
                     "UTC", "--owner-name", "A B", "--owner-email", "a@b.example", actor=None)
        assert result.exit_code == 0, result.output
    assert stat.S_IMODE(touched.stat().st_mode) == 0o600
    assert stat.S_IMODE(deep.stat().st_mode) == 0o600
    assert [stat.S_IMODE(p.stat().st_mode) for p in (deep.parent, deep.parent.parent)] == [
        0o700, 0o700]
