"""``config show``: each setting with where it came from (flag, environment, file, default),
passwords redacted."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.fixtures.formats import config_rows, parse_csv


def test_config_precedence(cli, tmp_path, monkeypatch):
    config = tmp_path / "config.toml"  # CLINICCTL_CONFIG points here (conftest)
    config.write_text('db = "sqlite:///file.sqlite3"\nactor = "file@riverside.example"\n'
                      'format = "csv"\n')
    where = f"file {config}"

    rows = config_rows(cli("config", "show", "-o", "json", actor=None))
    assert rows["db"] == ("sqlite:///file.sqlite3", where)
    assert rows["actor"] == ("file@riverside.example", where)
    assert rows["format"] == ("csv", where)
    assert "bind_actor_to_login" not in rows
    assert rows["config"] == (str(config), "env CLINICCTL_CONFIG")

    monkeypatch.setenv("CLINICCTL_DB", "sqlite:///env.sqlite3")
    monkeypatch.setenv("CLINICCTL_ACTOR", "env@riverside.example")
    rows = config_rows(cli("config", "show", "-o", "json", actor=None))
    assert rows["db"] == ("sqlite:///env.sqlite3", "env CLINICCTL_DB")
    assert rows["actor"] == ("env@riverside.example", "env CLINICCTL_ACTOR")

    rows = config_rows(cli("--db", "sqlite:///flag.sqlite3", "config", "show", "-o", "json",
                            actor="flag@riverside.example"))
    assert rows["db"] == ("sqlite:///flag.sqlite3", "flag")
    assert rows["actor"] == ("flag@riverside.example", "flag")

    # Without -o the file's format applies: CSV.
    plain = cli("config", "show", actor=None)
    assert plain.exit_code == 0, plain.output
    assert parse_csv(plain.stdout)[0] == ["key", "value", "source"]


def test_config_defaults(cli, tmp_path, monkeypatch):
    monkeypatch.delenv("CLINICCTL_CONFIG")
    rows = config_rows(cli("config", "show", "-o", "json", actor=None))
    data_home = Path(os.environ["XDG_DATA_HOME"])
    config_home = Path(os.environ["XDG_CONFIG_HOME"])
    assert rows == {
        "config": (str(config_home / "clinicctl" / "config.toml"), "default"),
        "db": (f"sqlite:///{data_home / 'clinicctl' / 'clinic.sqlite3'}", "default"),
        "actor": (None, "default"),
        "format": ("table", "default"),
    }
    other = tmp_path / "other.toml"
    other.write_text('actor = "other@riverside.example"\n')
    rows = config_rows(cli("--config", str(other), "config", "show", "-o", "json",
                            actor=None))
    assert rows["config"] == (str(other), "flag --config")
    assert rows["actor"] == ("other@riverside.example", f"file {other}")


@pytest.mark.parametrize("fmt", ["json", "csv", "table"])
def test_config_show_redacts_password(cli, monkeypatch, fmt):
    monkeypatch.setenv("CLINICCTL_DB", "postgresql://clinic:s3cret@db.example:5432/clinic")
    result = cli("config", "show", "-o", fmt, actor=None)
    assert result.exit_code == 0, result.output
    assert "s3cret" not in result.output
    assert "postgresql://clinic:***@db.example:5432/clinic" in result.stdout
    if fmt == "json":
        assert config_rows(result)["db"] == ("postgresql://clinic:***@db.example:5432/clinic",
                                              "env CLINICCTL_DB")
