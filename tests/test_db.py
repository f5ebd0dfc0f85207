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
