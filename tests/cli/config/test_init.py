"""``config init``: a private TOML file, never a password in it, never over a file without
``--force``."""

from __future__ import annotations

import stat
import tomllib

from tests.fixtures.bad_input import assert_error
from tests.fixtures.cast import OWNER_EMAIL
from tests.fixtures.formats import config_rows


def test_config_init_writes_private_toml(cli, tmp_path):
    target = tmp_path / "nested" / "clinicctl.toml"
    result = cli("config", "init", "--path", str(target), "--db", "sqlite:///clinic.sqlite3",
                 "--actor", OWNER_EMAIL, actor=None)
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert result.stderr == f"Wrote {target}.\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    with target.open("rb") as handle:
        assert tomllib.load(handle) == {"db": "sqlite:///clinic.sqlite3", "format": "table",
                                        "actor": OWNER_EMAIL}
    rows = config_rows(cli("--config", str(target), "config", "show", "-o", "json",
                            actor=None))
    assert rows["actor"] == (OWNER_EMAIL, f"file {target}")
    again = cli("config", "init", "--path", str(target), "--force", "--actor",
                "sam@riverside.example", actor=None)
    assert again.exit_code == 0, again.output
    with target.open("rb") as handle:
        assert tomllib.load(handle)["actor"] == "sam@riverside.example"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_config_init_default_path(cli, tmp_path):
    result = cli("config", "init", actor=None)
    assert result.exit_code == 0, result.output
    target = tmp_path / "config.toml"  # CLINICCTL_CONFIG (conftest)
    assert result.stderr == f"Wrote {target}.\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    with target.open("rb") as handle:
        assert set(tomllib.load(handle)) == {"db", "format"}


def test_config_init_refuses_password(cli, tmp_path):
    target = tmp_path / "written.toml"
    result = cli("config", "init", "--path", str(target), "--db",
                 "postgresql://clinic:s3cret@db.example/clinic", actor=None)
    assert_error(result, 2, "do not put a password in the config file; use ~/.pgpass")
    assert "s3cret" not in result.output
    assert not target.exists()


def test_config_init_refuses_to_overwrite(cli, tmp_path):
    target = tmp_path / "written.toml"
    target.write_text('actor = "x@y.example"\n')
    result = cli("config", "init", "--path", str(target), actor=None)
    assert_error(result, 5, f"{target} already exists (add --force to overwrite it)")
    assert target.read_text() == 'actor = "x@y.example"\n'
