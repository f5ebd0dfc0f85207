"""The store's failure modes: locked, unreachable, malformed."""

from __future__ import annotations

import sqlite3

import pytest

from clinicctl import db as db_module


def test_locked_sqlite_database_exits_6_after_retrying(cli, db_url, monkeypatch):
    if not db_url.startswith("sqlite"):
        pytest.skip("SQLite locking")
    monkeypatch.setattr(db_module, "SQLITE_BUSY_TIMEOUT_MS", 50)
    holder = sqlite3.connect(db_url.removeprefix("sqlite:///"), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        result = cli("staff", "add", "Jo Diaz", "--email", "jo@riverside.example",
                     "--role", "scheduler")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.exit_code == 6, result.output
    assert result.stderr.startswith("Error: database is locked by another writer")
    assert result.stderr.count("\n") == 1
    after = cli("staff", "list", "-o", "json")
    assert [s["email"] for s in after.json()] == ["dana@riverside.example"]


def test_reads_are_not_blocked_by_a_writer(cli, db_url, monkeypatch):
    if not db_url.startswith("sqlite"):
        pytest.skip("SQLite locking")
    monkeypatch.setattr(db_module, "SQLITE_BUSY_TIMEOUT_MS", 50)
    holder = sqlite3.connect(db_url.removeprefix("sqlite:///"), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        result = cli("staff", "list", "-o", "json")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.exit_code == 0, result.output


def test_unreachable_postgresql_exits_6(cli):
    result = cli("--db", "postgresql://nobody@127.0.0.1:1/clinic", "staff", "list")
    assert result.exit_code == 6, result.output
    assert result.stderr.startswith("Error: database unavailable: ")
    assert result.stderr.count("\n") == 1


@pytest.mark.parametrize("url", ["mysql://x@localhost/y", "not a url"])
def test_unsupported_database_url_exits_2(cli, url):
    result = cli("--db", url, "staff", "list")
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("Error: ")
    assert result.stdout == ""


def test_missing_sqlite_file_is_not_created_by_a_data_command(cli, tmp_path):
    target = tmp_path / "nowhere" / "clinic.sqlite3"
    result = cli("--db", f"sqlite:///{target}", "client", "list")
    assert result.exit_code == 6, result.output
    assert "clinicctl init" in result.stderr
    assert not target.exists()


def test_a_refused_attempt_is_recorded_while_another_writer_holds_the_lock(cli, cast, db_url,
                                                                           open_session):
    """The denied event waits for the writer like any write (it used to fail at once with
    exit 1 and record nothing); the exit code stays 4."""
    if not db_url.startswith("sqlite"):
        pytest.skip("SQLite locking")
    import threading

    from sqlalchemy import select

    from clinicctl.models import AuditEvent

    holder = sqlite3.connect(db_url.removeprefix("sqlite:///"), isolation_level=None,
                             check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("UPDATE practice SET name = name")
    release = threading.Timer(0.5, lambda: holder.execute("COMMIT"))
    release.start()
    try:
        result = cli("note", "show", str(cast.private_note_id), actor=cast.biller)
    finally:
        release.join()
        holder.close()
    assert result.exit_code == 4, result.output
    assert result.stderr == "Error: note.read: no access to this chart note\n"
    with open_session(write=False) as s:
        denied = s.scalars(select(AuditEvent).where(AuditEvent.outcome == "denied")).all()
    assert [(e.action, e.object_id) for e in denied] == [("note.read", cast.private_note_id)]


def test_a_refused_attempt_on_a_read_only_database_exits_6(cli, cast, db_url, monkeypatch):
    """If the denied event cannot be written at all, the command says so (exit 6) instead of
    losing the record quietly. (Root ignores file modes, so the file is made read-only the
    way SQLite sees it: query_only.)"""
    if not db_url.startswith("sqlite"):
        pytest.skip("SQLite files")
    original = db_module._configure_sqlite

    def read_only(engine):
        original(engine)
        from sqlalchemy import event

        @event.listens_for(engine, "connect")
        def _query_only(connection, _record):
            connection.execute("PRAGMA query_only = 1")

    monkeypatch.setattr(db_module, "_configure_sqlite", read_only)
    # A reading command (a writing one could not even begin on a read-only file).
    result = cli("audit", "verify", actor=cast.provider_a)
    assert result.exit_code == 6, result.output
    assert result.stderr == ("Error: audit.verify: requires one of the roles owner, manager, "
                             "records-custodian; the refused attempt could not be recorded: "
                             "database unavailable: attempt to write a readonly database\n")


def test_a_refused_attempt_waits_for_the_audit_lock_within_a_bound(cli, cast, db_url,
                                                                   monkeypatch):
    """PostgreSQL: the denied event takes the chain lock with a lock timeout (15 s unless the
    session set less), never waiting for ever behind a long writer."""
    if not db_url.startswith("postgresql"):
        pytest.skip("PostgreSQL locking")
    import psycopg

    from clinicctl.db import WRITER_LOCK

    monkeypatch.setenv("PGOPTIONS", "-c lock_timeout=300ms")
    with psycopg.connect(db_url.replace("postgresql+psycopg://", "postgresql://")) as holder:
        holder.execute("SELECT pg_advisory_xact_lock(%s)", (WRITER_LOCK,))
        # A reading command (no writer lock of its own) that is refused.
        result = cli("audit", "verify", actor=cast.provider_a)
    assert result.exit_code == 6, result.output
    assert result.stderr.startswith("Error: audit.verify: requires one of the roles owner, "
                                    "manager, records-custodian; the refused attempt could "
                                    "not be recorded: database is locked by another writer")
