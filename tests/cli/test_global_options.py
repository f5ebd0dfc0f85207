"""The root command: ``--version`` and ``--help``, ``--db`` and ``--config``, a config file's
bad or retired settings, options it does not know, and the root options given after the
command (SPEC section 11)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.fixtures.bad_input import assert_error, assert_usage_error, command_id, fill
from tests.fixtures.formats import config_rows
from tests.fixtures.practice_db import snapshot


def test_version_and_help(cli):
    from clinicctl import __version__

    version = cli("--version", actor=None)
    assert version.exit_code == 0, version.output
    assert version.stdout == f"clinicctl {__version__}\n"
    shown = cli("--help", actor=None)
    assert shown.exit_code == 0, shown.output
    for group in ("init", "db", "config", "staff", "client", "note", "doc", "audit"):
        assert group in shown.stdout


def test_bare_group_still_shows_help(cli, plain):
    result = cli("client", actor=None)
    assert result.exit_code == 2, result.output
    assert "share" in result.stdout
    assert "Error" not in result.output


# --- bad input --------------------------------------------------------------------------------

USAGE_CASES = [
    (("--frobnicate", "client", "list"), "No such option: --frobnicate", ""),
]


@pytest.mark.parametrize(("args", "starts", "command"), USAGE_CASES,
                         ids=[" ".join(c[0][:3]) for c in USAGE_CASES])
def test_usage_error_is_one_line(cli, plain, paths, args, starts, command):
    before = snapshot(plain.url)
    result = cli(*fill(args, paths))
    assert_usage_error(result, starts, command)
    assert snapshot(plain.url) == before


@pytest.mark.parametrize(("content", "error"), [
    ("db = \n", "config file {path} is not valid TOML: Invalid value (at line 1, column 6)"),
    ('colour = "red"\n', "config file {path}: unknown key 'colour'"),
    ('format = "yaml"\n',
     "invalid format 'yaml' (from file {path}); expected one of table, json, csv"),
], ids=["not-toml", "unknown-key", "bad-format"])
@pytest.mark.parametrize("args", [("config", "show"), ("client", "list")], ids=command_id)
def test_bad_config_file(cli, plain, tmp_path, content, error, args):
    path = tmp_path / "bad.toml"
    path.write_text(content)
    before = snapshot(plain.url)
    result = cli("--config", str(path), *args)
    assert_error(result, 2, error.format(path=path))
    assert snapshot(plain.url) == before


def test_global_db_flag_refuses_a_password(cli):
    result = cli("--db", "postgresql://clinic:s3cret@db.example/clinic", "staff", "list")
    assert_error(result, 2, "--db must not carry a password (it would show in the process list "
                 "and shell history) (put it in ~/.pgpass or PGPASSFILE)")
    assert "s3cret" not in result.output


@pytest.mark.parametrize("where", ["file", "env"])
def test_retired_bind_actor_to_login_setting_warns_and_is_ignored(cli, db_url, tmp_path,
                                                                  monkeypatch, where):
    """A config file or environment from before explicit login bindings still works: one
    warning line, and the setting changes nothing (on PostgreSQL a bound login is always its
    staff member; see tests/test_row_security.py)."""
    config = tmp_path / "config.toml"  # CLINICCTL_CONFIG points here (conftest)
    if where == "file":
        config.write_text("bind_actor_to_login = true\n")
        expected = (f"Warning: config file {config}: bind_actor_to_login is no longer read: "
                    "on PostgreSQL a login bound with `clinicctl staff login` is always its "
                    "staff member\n")
    else:
        monkeypatch.setenv("CLINICCTL_BIND_ACTOR_TO_LOGIN", "true")
        expected = ("Warning: CLINICCTL_BIND_ACTOR_TO_LOGIN is set: bind_actor_to_login is no "
                    "longer read: on PostgreSQL a login bound with `clinicctl staff login` is "
                    "always its staff member\n")
    result = cli("staff", "list", "-o", "json")
    assert result.exit_code == 0, result.output
    assert result.stderr == expected
    assert [row["email"] for row in result.json()] == ["dana@riverside.example"]
    shown = config_rows(cli("config", "show", "-o", "json", actor=None))
    assert "bind_actor_to_login" not in shown


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
