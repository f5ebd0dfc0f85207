"""The root command: ``--version`` and ``--help``, ``--db`` and ``--config``, a config file's
bad or retired settings, and options it does not know."""

from __future__ import annotations

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
