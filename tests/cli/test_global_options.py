"""The root options (--as, --db, --config, -q) work after the command too (SPEC section 11)."""

from __future__ import annotations

import json
from typing import Any

import pytest


def test_actor_and_format_after_the_command(cli: Any, cast: Any) -> None:
    before = cli("note", "list", cast.client, "-o", "json", actor=cast.provider_a)
    after = cli("note", "list", cast.client, "-o", "json", "--as", cast.provider_a, actor=None)
    assert after.exit_code == 0, after.stderr
    assert json.loads(after.stdout) == json.loads(before.stdout) != []
    # Ana sees none of Sam's notes: the actor after the command really is Ana.
    joined = cli("note", "list", cast.client, f"--as={cast.provider_b}", "-o", "json",
                 actor=None)
    other = cli("note", "list", cast.client, "-o", "json", actor=cast.provider_b)
    assert (joined.exit_code, joined.stdout) == (other.exit_code, other.stdout)
    assert joined.stdout != after.stdout


def test_quiet_after_a_subcommand(cli: Any, cast: Any) -> None:
    loud = cli("client", "share", cast.client, "--from", cast.provider_a, "--to", cast.provider_c)
    assert loud.exit_code == 0, loud.stderr
    assert loud.stderr
    quiet = cli("client", "unshare", cast.client, "--from", cast.provider_a, "--to",
                cast.provider_c, "-q")
    assert quiet.exit_code == 0, quiet.stderr
    assert quiet.stderr == ""


def test_db_after_the_command(cli: Any, db_url: str, monkeypatch: pytest.MonkeyPatch,
                              tmp_path: Any) -> None:
    monkeypatch.setenv("CLINICCTL_DB", f"sqlite:///{tmp_path / 'elsewhere.sqlite3'}")
    result = cli("staff", "list", "-o", "json", "--db", db_url)
    assert result.exit_code == 0, result.stderr
    assert [row["email"] for row in json.loads(result.stdout)] == ["dana@riverside.example"]
    assert not (tmp_path / "elsewhere.sqlite3").exists()


def test_an_option_of_the_command_keeps_its_own_meaning(cli: Any, tmp_path: Any) -> None:
    # `demo --db` is the demo's own option: where to build it, not the database to open.
    target = tmp_path / "demo.sqlite3"
    result = cli("demo", "--db", f"sqlite:///{target}", actor=None)
    assert result.exit_code == 0, result.stderr
    assert target.exists()


def test_values_and_the_end_of_options_are_not_taken_as_global_options(cli: Any,
                                                                        cast: Any) -> None:
    # "-q" here is the note's text, and after "--" everything is an argument.
    added = cli("note", "add", cast.client, "--body", "-q", "-o", "json",
                actor=cast.provider_a)
    assert added.exit_code == 0, added.stderr
    assert added.stderr  # not quiet: the -q was the note
    shown = cli("note", "show", str(json.loads(added.stdout)["id"]), "-o", "json",
                actor=cast.provider_a)
    assert json.loads(shown.stdout)["body"] == "-q"
    after_dashes = cli("client", "show", "--", "--as", actor=cast.owner)
    assert after_dashes.exit_code == 3, after_dashes.stderr
    assert "--as" in after_dashes.stderr


def test_a_global_option_without_its_value_is_a_usage_error(cli: Any, cast: Any) -> None:
    result = cli("client", "list", "--as", actor=None)
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: Option '--as' requires an argument.")
    assert len(result.stderr.splitlines()) == 1
