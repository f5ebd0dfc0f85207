"""Happy paths through the CLI: output formats, idempotency, --dry-run, configuration and the
client views (list, show, sharing, access)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import stat
import tomllib
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import OWNER_EMAIL, PRACTICE_TZ
from tests.practice_db import snapshot


def parse_csv(text: str) -> list[list[str]]:
    """Every record parsed back by the csv module. (The runner's ``stdout`` turns CRLF into
    LF; ``test_csv_lines_end_with_crlf`` checks the raw bytes.)"""
    assert text.endswith("\n"), repr(text)
    return list(csv.reader(io.StringIO(text, newline="")))


def practice_offset(instant: dt.datetime) -> dt.timedelta | None:
    return instant.astimezone(ZoneInfo(PRACTICE_TZ)).utcoffset()


# --- listings in every format -----------------------------------------------------------------

# (args, actor, CSV header). Each lists at least one row for the cast.
LISTINGS: list[tuple[tuple[str, ...], str, list[str]]] = [
    (("staff", "list"), OWNER_EMAIL,
     ["id", "name", "email", "roles", "credentials", "records_owner", "active"]),
    (("client", "list"), OWNER_EMAIL,
     ["id", "first_name", "last_name", "name", "dob", "external_id"]),
    (("client", "access", "Maya Chen"), OWNER_EMAIL,
     ["staff_id", "staff", "roles", "profile", "profile_reason", "chart_notes",
      "chart_reason"]),
    (("client", "sharing", "Maya Chen"), OWNER_EMAIL,
     ["provider_id", "provider", "status", "diagnosis", "shares_to"]),
    (("note", "list", "Maya Chen"), "sam@riverside.example",
     ["id", "client_id", "author_id", "kind", "date", "addendum_to", "body"]),
    (("doc", "list", "Maya Chen"), OWNER_EMAIL,
     ["id", "client_id", "title", "clinical", "size", "sha256"]),
    (("audit", "list"), OWNER_EMAIL,
     ["id", "at", "actor_id", "action", "object_type", "object_id", "client_id", "outcome",
      "details"]),
    (("config", "show"), OWNER_EMAIL, ["key", "value", "source"]),
]
LISTING_IDS = [" ".join(args[:2]) for args, _, _ in LISTINGS]
# Names that would only appear in stderr if data leaked there.
DATA_WORDS = ("Maya", "Chen", "Okafor", "riverside.example", "{", "[")


@pytest.mark.parametrize(("args", "actor", "header"), LISTINGS, ids=LISTING_IDS)
def test_listing_json(cli, shared, args, actor, header):  # type: ignore[no-untyped-def]
    result = cli(*args, "-o", "json", actor=actor)
    assert result.exit_code == 0, result.output
    data = result.json()
    if args[:2] == ("client", "sharing"):
        assert set(data) == {"client_id", "providers"}
        data = data["providers"]
    assert isinstance(data, list) and data
    for row in data:
        assert set(header) <= set(row), (header, row)
        assert all(key == key.lower() and " " not in key for key in row)
    for word in DATA_WORDS:
        assert word not in result.stderr


@pytest.mark.parametrize(("args", "actor", "header"), LISTINGS, ids=LISTING_IDS)
def test_listing_csv(cli, shared, args, actor, header):  # type: ignore[no-untyped-def]
    result = cli(*args, "-o", "csv", actor=actor)
    assert result.exit_code == 0, result.output
    rows = parse_csv(result.stdout)
    assert rows[0] == header
    assert len(rows) >= 2
    assert all(len(row) == len(header) for row in rows)
    assert result.stderr == ""


@pytest.mark.parametrize(("args", "actor", "header"), LISTINGS, ids=LISTING_IDS)
def test_listing_table(cli, shared, args, actor, header):  # type: ignore[no-untyped-def]
    result = cli(*args, "-o", "table", actor=actor)
    assert result.exit_code == 0, result.output
    assert result.stdout.lstrip()[:1] not in ("[", "{")
    assert "\x1b[" not in result.stdout  # no colour when stdout is not a terminal
    assert "┃" in result.stdout and "│" in result.stdout
    assert result.stderr == ""


def test_client_list_exact_json_and_csv(cli, shared):  # type: ignore[no-untyped-def]
    maya, omar = shared.ids["maya"], shared.ids["omar"]
    result = cli("client", "list", "-o", "json")
    assert result.exit_code == 0, result.output
    assert result.json() == [
        {"id": maya, "first_name": "Maya", "last_name": "Chen", "name": "Maya Chen",
         "dob": "1990-04-12", "external_id": None},
        {"id": omar, "first_name": "Omar", "last_name": "Haddad", "name": "Omar Haddad",
         "dob": "1985-09-30", "external_id": None},
    ]
    result = cli("client", "list", "-o", "csv")
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "id,first_name,last_name,name,dob,external_id\n"
        f"{maya},Maya,Chen,Maya Chen,1990-04-12,\n"
        f"{omar},Omar,Haddad,Omar Haddad,1985-09-30,\n"
    )


def test_csv_quotes_commas_quotes_and_markup(cli, cast):  # type: ignore[no-untyped-def]
    added = cli("client", "add", "Ann, Marie", 'O"Neil [b]x[/b]', "--dob", "1970-01-02",
                "--external-id", "EXT-1", "-o", "json")
    assert added.exit_code == 0, added.output
    new_id = added.json()["id"]
    result = cli("client", "list", "--search", "EXT-1", "-o", "csv")
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "id,first_name,last_name,name,dob,external_id\n"
        f'{new_id},"Ann, Marie","O""Neil [b]x[/b]","Ann, Marie O""Neil [b]x[/b]",1970-01-02,'
        "EXT-1\n"
    )
    assert parse_csv(result.stdout)[1][2] == 'O"Neil [b]x[/b]'
    table = cli("client", "list", "--search", "EXT-1")
    assert table.exit_code == 0, table.output
    assert "[b]x[/b]" in table.stdout  # rich markup in a name is shown, not interpreted


def test_csv_lines_end_with_crlf(cast):  # type: ignore[no-untyped-def]
    """RFC 4180 records end with CRLF, also when a cell holds a line break."""
    from typer.testing import CliRunner

    from clinicctl.cli import app

    edited = CliRunner().invoke(app, ["--as", OWNER_EMAIL, "client", "edit", "Maya Chen",
                                      "--address", "1 Main St\nApt 2"])
    assert edited.exit_code == 0, edited.output
    result = CliRunner().invoke(app, ["--as", OWNER_EMAIL, "client", "show", "Maya Chen",
                                      "-o", "csv"])
    assert result.exit_code == 0, result.output
    raw = result.stdout_bytes.decode()
    assert raw.count("\r\n") == 2, repr(raw)
    assert raw.endswith("\r\n")
    rows = list(csv.reader(io.StringIO(raw, newline="")))
    assert rows[1][rows[0].index("address")] == "1 Main St\nApt 2"
    assert rows[1][rows[0].index("name")] == "Maya Chen"


def test_staff_list_json_exact(cli, db_url, open_session):  # type: ignore[no-untyped-def]
    added = cli("staff", "add", "Sam Okafor", "--email", "sam@riverside.example", "--role",
                "provider", "--role", "scheduler", "--credentials", "LCSW", "-o", "json")
    assert added.exit_code == 0, added.output
    assert added.stderr == f"Added Sam Okafor as #{added.json()['id']}.\n"
    result = cli("staff", "list", "-o", "json")
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert [{k: s[k] for k in ("name", "email", "roles", "active", "credentials")}
            for s in result.json()] == [
        {"name": "Dana Reyes", "email": OWNER_EMAIL, "roles": ["owner"], "active": True,
         "credentials": None},
        {"name": "Sam Okafor", "email": "sam@riverside.example",
         "roles": ["provider", "scheduler"], "active": True, "credentials": "LCSW"},
    ]
    assert all(isinstance(s["id"], int) for s in result.json())


def test_format_from_environment(cli, shared, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("CLINICCTL_FORMAT", "json")
    result = cli("client", "list")
    assert result.exit_code == 0, result.output
    assert [c["name"] for c in result.json()] == ["Maya Chen", "Omar Haddad"]
    result = cli("client", "list", "-o", "csv")  # the flag wins over the environment
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("id,first_name,")


EMPTY_LISTINGS = [
    (("client", "list", "--search", "nobody at all"), OWNER_EMAIL),
    (("client", "list", "--provider", "ana@riverside.example"), OWNER_EMAIL),
    (("doc", "list", "Omar Haddad"), OWNER_EMAIL),
    (("note", "list", "Omar Haddad"), "kim@riverside.example"),
    (("audit", "list", "--action", "nothing.*"), OWNER_EMAIL),
]


def test_empty_staff_listing(cli, db_url):  # type: ignore[no-untyped-def]
    result = cli("staff", "list", "--role", "provider", "--all", "-o", "json")
    assert result.exit_code == 0, result.output
    assert (result.stdout, result.stderr) == ("[]\n", "")


@pytest.mark.parametrize(("args", "actor"), EMPTY_LISTINGS,
                         ids=[" ".join(a[:3]) for a, _ in EMPTY_LISTINGS])
def test_empty_listing(cli, shared, args, actor):  # type: ignore[no-untyped-def]
    result = cli(*args, "-o", "json", actor=actor)
    assert result.exit_code == 0, result.output
    assert result.stdout == "[]\n"
    assert result.stderr == ""
    result = cli(*args, "-o", "csv", actor=actor)
    assert result.exit_code == 0, result.output
    assert len(parse_csv(result.stdout)) == 1  # the header row only


# --- idempotency and --dry-run ----------------------------------------------------------------

def test_repeat_share_is_a_noop(cli, cast, db_url):  # type: ignore[no-untyped-def]
    args = ("client", "share", "Maya Chen", "--from", cast.provider_a, "--to", cast.provider_b,
            "-o", "json")
    first = cli(*args)
    assert first.exit_code == 0, first.output
    assert first.json()["changed"] is True
    before = snapshot(db_url)
    again = cli(*args)
    assert again.exit_code == 0, again.output
    assert again.json() == {"client_id": cast.client_id, "from_id": first.json()["from_id"],
                            "to_id": first.json()["to_id"], "assignment": "existing",
                            "chart_share": "none", "changed": False}
    assert again.stderr == "Already shared with Ana Ruiz; nothing changed.\n"
    assert snapshot(db_url) == before


def test_repeat_chart_share_is_a_noop(cli, cast, db_url):  # type: ignore[no-untyped-def]
    args = ("client", "share", "Maya Chen", "--from", cast.provider_a, "--to", cast.provider_b,
            "--chart", "-o", "json")
    first = cli(*args)
    assert first.exit_code == 0, first.output
    assert (first.json()["assignment"], first.json()["chart_share"]) == ("created", "started")
    before = snapshot(db_url)
    again = cli(*args)
    assert again.exit_code == 0, again.output
    assert (again.json()["assignment"], again.json()["chart_share"],
            again.json()["changed"]) == ("existing", "active", False)
    assert again.stderr == ("Already shared with Ana Ruiz with an active chart share; "
                            "nothing changed.\n")
    # A demographics-only share never ends an active chart share.
    demo = cli(*args[:-3], "-o", "json")
    assert demo.exit_code == 0, demo.output
    assert (demo.json()["chart_share"], demo.json()["changed"]) == ("active", False)
    assert snapshot(db_url) == before


def test_repeat_unshare_is_a_noop(cli, cast, db_url):  # type: ignore[no-untyped-def]
    before = snapshot(db_url)
    result = cli("client", "unshare", "Maya Chen", "--from", cast.provider_a, "--to",
                 cast.provider_b, "-o", "json")
    assert result.exit_code == 0, result.output
    assert result.json()["changed"] is False
    assert result.stderr == "No active chart share Sam Okafor -> Ana Ruiz; nothing changed.\n"
    assert snapshot(db_url) == before


def test_repeat_client_add_is_a_noop(cli, cast, db_url):  # type: ignore[no-untyped-def]
    before = snapshot(db_url)
    result = cli("client", "add", "  maya ", "CHEN", "--dob", "1990-04-12", "-o", "json")
    assert result.exit_code == 0, result.output
    assert result.json()["id"] == cast.client_id
    assert result.stderr == f"Client #{cast.client_id} already exists; nothing changed.\n"
    assert snapshot(db_url) == before


@pytest.mark.parametrize(("args", "message"), [
    (("client", "status", "Maya Chen", "--provider", "sam@riverside.example", "--set", "new"),
     "Status is already new; nothing changed.\n"),
    (("client", "diagnosis", "Maya Chen", "--provider", "sam@riverside.example", "--set",
      "f41.1"), "Diagnosis already as given; nothing changed.\n"),
    (("staff", "roles", "sam@riverside.example", "--add", "provider"),
     "Roles already as asked; nothing changed.\n"),
], ids=["status", "diagnosis", "roles"])
def test_setting_already_in_effect_is_a_noop(cli, cast, db_url, args, message
                                             ):  # type: ignore[no-untyped-def]
    before = snapshot(db_url)
    result = cli(*args, "-o", "json")
    assert result.exit_code == 0, result.output
    assert result.stderr == message
    if "changed" in result.json():
        assert result.json()["changed"] is False
    assert snapshot(db_url) == before


def test_status_change_then_repeat(cli, cast, db_url):  # type: ignore[no-untyped-def]
    args = ("client", "status", "Maya Chen", "--provider", cast.provider_a, "--set", "active",
            "-o", "json")
    first = cli(*args)
    assert first.exit_code == 0, first.output
    assert (first.json()["status"], first.json()["changed"]) == ("active", True)
    before = snapshot(db_url)
    again = cli(*args)
    assert again.exit_code == 0, again.output
    assert (again.json()["status"], again.json()["changed"]) == ("active", False)
    assert again.stderr == "Status is already active; nothing changed.\n"
    assert snapshot(db_url) == before


DRY_RUNS = [
    (("client", "share", "Maya Chen", "--from", "sam@riverside.example", "--to",
      "ana@riverside.example", "--chart"), OWNER_EMAIL,
     {"assignment": "created", "chart_share": "started", "changed": True},
     "Dry run (nothing written): Added client #{client} to Ana Ruiz's list "
     "(demographics only: no chart notes); "
     "started a chart share Sam Okafor -> Ana Ruiz.\n"),
    (("client", "add", "Noor", "Aziz", "--dob", "2001-02-03", "--provider",
      "sam@riverside.example"), OWNER_EMAIL,
     {"name": "Noor Aziz", "dob": "2001-02-03", "id": None},
     "Dry run (nothing written): would add client Noor Aziz.\n"),
    (("staff", "add", "Pat Lin", "--email", "pat@riverside.example", "--role", "biller"),
     OWNER_EMAIL, {"name": "Pat Lin", "roles": ["biller"], "id": None},
     "Dry run (nothing written): would add Pat Lin.\n"),
    (("note", "add", "Maya Chen", "--body", "Session 4"), "sam@riverside.example",
     {"kind": "progress", "body": "Session 4", "id": None},
     "Dry run (nothing written): would add a progress note.\n"),
    (("client", "status", "Maya Chen", "--provider", "sam@riverside.example", "--set",
      "discharged"), OWNER_EMAIL, {"status": "discharged", "changed": True},
     "Dry run (nothing written): Sam Okafor's status for client #{client} is now "
     "discharged.\n"),
    (("client", "edit", "Maya Chen", "--phone", "555-0100"), OWNER_EMAIL,
     {"phone": "555-0100"}, "Dry run (nothing written): Changed: phone.\n"),
    (("staff", "deactivate", "lee@riverside.example"), OWNER_EMAIL, {"active": False},
     "Dry run (nothing written): Deactivated Lee Park.\n"),
]


@pytest.mark.parametrize(("args", "actor", "expected", "message"), DRY_RUNS,
                         ids=[" ".join(a[:2]) for a, *_ in DRY_RUNS])
def test_dry_run_reports_and_writes_nothing(cli, cast, db_url, args, actor, expected, message
                                            ):  # type: ignore[no-untyped-def]
    before = snapshot(db_url)
    result = cli(*args, "--dry-run", "-o", "json", actor=actor)
    assert result.exit_code == 0, result.output
    data = result.json()
    assert {k: data[k] for k in expected} == expected
    assert result.stderr == message.format(client=cast.client_id)
    assert snapshot(db_url) == before


# --- configuration ----------------------------------------------------------------------------

def _config_rows(result) -> dict[str, tuple[object, str]]:  # type: ignore[no-untyped-def]
    assert result.exit_code == 0, result.output
    return {row["key"]: (row["value"], row["source"]) for row in result.json()}


def test_config_precedence(cli, tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    config = tmp_path / "config.toml"  # CLINICCTL_CONFIG points here (conftest)
    config.write_text('db = "sqlite:///file.sqlite3"\nactor = "file@riverside.example"\n'
                      'format = "csv"\n')
    where = f"file {config}"

    rows = _config_rows(cli("config", "show", "-o", "json", actor=None))
    assert rows["db"] == ("sqlite:///file.sqlite3", where)
    assert rows["actor"] == ("file@riverside.example", where)
    assert rows["format"] == ("csv", where)
    assert "bind_actor_to_login" not in rows
    assert rows["config"] == (str(config), "env CLINICCTL_CONFIG")

    monkeypatch.setenv("CLINICCTL_DB", "sqlite:///env.sqlite3")
    monkeypatch.setenv("CLINICCTL_ACTOR", "env@riverside.example")
    rows = _config_rows(cli("config", "show", "-o", "json", actor=None))
    assert rows["db"] == ("sqlite:///env.sqlite3", "env CLINICCTL_DB")
    assert rows["actor"] == ("env@riverside.example", "env CLINICCTL_ACTOR")

    rows = _config_rows(cli("--db", "sqlite:///flag.sqlite3", "config", "show", "-o", "json",
                            actor="flag@riverside.example"))
    assert rows["db"] == ("sqlite:///flag.sqlite3", "flag")
    assert rows["actor"] == ("flag@riverside.example", "flag")

    # Without -o the file's format applies: CSV.
    plain = cli("config", "show", actor=None)
    assert plain.exit_code == 0, plain.output
    assert parse_csv(plain.stdout)[0] == ["key", "value", "source"]


def test_config_defaults(cli, tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.delenv("CLINICCTL_CONFIG")
    rows = _config_rows(cli("config", "show", "-o", "json", actor=None))
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
    rows = _config_rows(cli("--config", str(other), "config", "show", "-o", "json",
                            actor=None))
    assert rows["config"] == (str(other), "flag --config")
    assert rows["actor"] == ("other@riverside.example", f"file {other}")


@pytest.mark.parametrize("fmt", ["json", "csv", "table"])
def test_config_show_redacts_password(cli, monkeypatch, fmt):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("CLINICCTL_DB", "postgresql://clinic:s3cret@db.example:5432/clinic")
    result = cli("config", "show", "-o", fmt, actor=None)
    assert result.exit_code == 0, result.output
    assert "s3cret" not in result.output
    assert "postgresql://clinic:***@db.example:5432/clinic" in result.stdout
    if fmt == "json":
        assert _config_rows(result)["db"] == ("postgresql://clinic:***@db.example:5432/clinic",
                                              "env CLINICCTL_DB")


def test_config_init_writes_private_toml(cli, tmp_path):  # type: ignore[no-untyped-def]
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
    rows = _config_rows(cli("--config", str(target), "config", "show", "-o", "json",
                            actor=None))
    assert rows["actor"] == (OWNER_EMAIL, f"file {target}")
    again = cli("config", "init", "--path", str(target), "--force", "--actor",
                "sam@riverside.example", actor=None)
    assert again.exit_code == 0, again.output
    with target.open("rb") as handle:
        assert tomllib.load(handle)["actor"] == "sam@riverside.example"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_config_init_default_path(cli, tmp_path):  # type: ignore[no-untyped-def]
    result = cli("config", "init", actor=None)
    assert result.exit_code == 0, result.output
    target = tmp_path / "config.toml"  # CLINICCTL_CONFIG (conftest)
    assert result.stderr == f"Wrote {target}.\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    with target.open("rb") as handle:
        assert set(tomllib.load(handle)) == {"db", "format"}


def test_actor_from_config_file(cli, db_url, tmp_path):  # type: ignore[no-untyped-def]
    (tmp_path / "config.toml").write_text(f'actor = "{OWNER_EMAIL}"\nformat = "json"\n')
    result = cli("staff", "list", actor=None)
    assert result.exit_code == 0, result.output
    assert [s["email"] for s in result.json()] == [OWNER_EMAIL]


def test_default_database_is_private(cli, backend, tmp_path):  # type: ignore[no-untyped-def]
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


# --- client views -----------------------------------------------------------------------------

def test_client_list_provider_statuses(cli, cast):  # type: ignore[no-untyped-def]
    sam = cast.provider_a
    for first, status in [("Nina", "active"), ("Ivan", "inactive"), ("Dora", "discharged"),
                          ("Emil", None)]:
        added = cli("client", "add", first, "Test", "--dob", "1980-01-01", "--provider", sam)
        assert added.exit_code == 0, added.output
        if status:
            changed = cli("client", "status", f"{first} Test", "--provider", sam, "--set",
                          status)
            assert changed.exit_code == 0, changed.output

    def names(*extra: str) -> list[str]:
        result = cli("client", "list", "--provider", sam, *extra, "-o", "json")
        assert result.exit_code == 0, result.output
        return [c["name"] for c in result.json()]

    # Ordered by last name, then first name.
    assert names() == ["Maya Chen", "Emil Test", "Nina Test"]
    assert names("--status", "all") == ["Maya Chen", "Dora Test", "Emil Test", "Ivan Test",
                                        "Nina Test"]
    assert names("--status", "inactive,discharged") == ["Dora Test", "Ivan Test"]
    assert names("--status", "all", "--search", "test") == ["Dora Test", "Emil Test",
                                                            "Ivan Test", "Nina Test"]
    # Without --provider: the whole directory.
    everyone = cli("client", "list", "-o", "json")
    assert everyone.exit_code == 0, everyone.output
    assert len(everyone.json()) == 6


def test_client_show_json(cli, cast, open_session):  # type: ignore[no-untyped-def]
    shared = cli("client", "share", "Maya Chen", "--from", cast.provider_a, "--to",
                 cast.provider_b)
    assert shared.exit_code == 0, shared.output
    sam, ana = cast.id_of(open_session, cast.provider_a), cast.id_of(open_session,
                                                                      cast.provider_b)
    result = cli("client", "show", "Maya Chen", "-o", "json")
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert result.json() == {
        "id": cast.client_id, "first_name": "Maya", "last_name": "Chen", "name": "Maya Chen",
        "dob": "1990-04-12", "external_id": None, "preferred_name": None, "sex": None,
        "email": None, "phone": None, "address": None,
        "providers": [
            {"provider_id": sam, "provider": "Sam Okafor", "status": "new",
             "diagnosis": ["F41.1"]},
            {"provider_id": ana, "provider": "Ana Ruiz", "status": "new", "diagnosis": []},
        ],
    }
    # The same client by #ID and by a differently spaced, differently cased name.
    for ref in (f"#{cast.client_id}", "  MAYA   chen "):
        again = cli("client", "show", ref, "-o", "json")
        assert again.exit_code == 0, again.output
        assert again.json() == result.json()


def test_client_sharing_json(cli, cast, open_session):  # type: ignore[no-untyped-def]
    before = dt.datetime.now(dt.UTC)
    shared = cli("client", "share", "Maya Chen", "--from", cast.provider_a, "--to",
                 cast.provider_b, "--chart", "--private-notes")
    assert shared.exit_code == 0, shared.output
    diagnosed = cli("client", "diagnosis", "Maya Chen", "--provider", cast.provider_b,
                    "--set", "F32.1", "--set", "Z63.0")
    assert diagnosed.exit_code == 0, diagnosed.output
    sam, ana = cast.id_of(open_session, cast.provider_a), cast.id_of(open_session,
                                                                      cast.provider_b)
    result = cli("client", "sharing", "Maya Chen", "-o", "json")
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    data = result.json()
    since = data["providers"][0]["shares_to"][0].pop("since")
    assert data == {
        "client_id": cast.client_id,
        "providers": [
            {"provider_id": sam, "provider": "Sam Okafor", "status": "new",
             "diagnosis": ["F41.1"],
             "shares_to": [{"provider_id": ana, "include_private_notes": True}]},
            {"provider_id": ana, "provider": "Ana Ruiz", "status": "new",
             "diagnosis": ["F32.1", "Z63.0"], "shares_to": []},
        ],
    }
    started = dt.datetime.fromisoformat(since)
    assert before - dt.timedelta(seconds=1) <= started <= dt.datetime.now(dt.UTC)
    # Instants carry the practice's UTC offset.
    assert started.utcoffset() == practice_offset(started), since

    ended = cli("client", "unshare", "Maya Chen", "--from", cast.provider_a, "--to",
                cast.provider_b)
    assert ended.exit_code == 0, ended.output
    after = cli("client", "sharing", "Maya Chen", "-o", "json")
    assert after.exit_code == 0, after.output
    assert [p["shares_to"] for p in after.json()["providers"]] == [[], []]


def test_client_access(cli, cast, open_session):  # type: ignore[no-untyped-def]
    def access_of(email: str) -> dict[str, object]:
        result = cli("client", "access", "Maya Chen", "--staff", email, "-o", "json")
        assert result.exit_code == 0, result.output
        rows = result.json()
        assert len(rows) == 1
        return rows[0]

    sam = cast.id_of(open_session, cast.provider_a)
    ana_before = access_of(cast.provider_b)
    assert (ana_before["profile"], ana_before["chart_notes"]) == (False, "none")

    shared = cli("client", "share", "Maya Chen", "--from", cast.provider_a, "--to",
                 cast.provider_b)
    assert shared.exit_code == 0, shared.output
    ana = access_of(cast.provider_b)
    assert ana["profile"] is True
    assert str(ana["profile_reason"]).endswith("(origin share)")
    assert ana["chart_reason"] == "demographics only"
    assert sam not in ana["readable_authors"]  # type: ignore[operator]

    charted = cli("client", "share", "Maya Chen", "--from", cast.provider_a, "--to",
                  cast.provider_b, "--chart")
    assert charted.exit_code == 0, charted.output
    ana = access_of(cast.provider_b)
    assert sam in ana["readable_authors"]  # type: ignore[operator]
    assert "chart share from Sam Okafor" in str(ana["chart_reason"])

    manager = access_of(cast.manager)
    assert (manager["profile"], manager["chart_notes"], manager["readable_authors"]) == (
        True, "none", [])
    everyone = cli("client", "access", "Maya Chen", "-o", "json")
    assert everyone.exit_code == 0, everyone.output
    assert {row["staff"] for row in everyone.json()} >= {"Dana Reyes", "Sam Okafor",
                                                         "Ana Ruiz", "Bo Grant"}


def test_audit_list_instants_in_practice_offset(cli, shared):  # type: ignore[no-untyped-def]
    result = cli("audit", "list", "--limit", "3", "-o", "json")
    assert result.exit_code == 0, result.output
    events = result.json()
    assert len(events) == 3
    for event in events:
        at = dt.datetime.fromisoformat(event["at"])
        assert at.utcoffset() == practice_offset(at), event["at"]
        assert isinstance(event["id"], int)
    assert [e["id"] for e in events] == sorted(e["id"] for e in events)


def test_note_list_json_shape(cli, shared):  # type: ignore[no-untyped-def]
    sam = "sam@riverside.example"
    result = cli("note", "list", "Maya Chen", "-o", "json", actor=sam)
    assert result.exit_code == 0, result.output
    notes = result.json()
    assert [(n["id"], n["kind"], n["body"]) for n in notes] == [
        (shared.ids["progress_note"], "progress", "A's progress note"),
        (shared.ids["private_note"], "private", "A's private note"),
    ]
    for note in notes:
        assert (note["client_id"], note["author_id"]) == (shared.ids["maya"], shared.ids["sam"])
        assert dt.date.fromisoformat(note["date"])
    shown = cli("note", "show", str(shared.ids["progress_note"]), "-o", "json", actor=sam)
    assert shown.exit_code == 0, shown.output
    assert shown.json() == notes[0]


def test_doc_get_writes_private_file(cli, shared, tmp_path):  # type: ignore[no-untyped-def]
    target = tmp_path / "consent.out"
    result = cli("doc", "get", str(shared.ids["plain_doc"]), "--output", str(target))
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert result.stderr == f"Wrote 7 bytes to {target}.\n"
    assert target.read_bytes() == b"consent"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_version_and_help(cli):  # type: ignore[no-untyped-def]
    from clinicctl import __version__

    version = cli("--version", actor=None)
    assert version.exit_code == 0, version.output
    assert version.stdout == f"clinicctl {__version__}\n"
    shown = cli("--help", actor=None)
    assert shown.exit_code == 0, shown.output
    for group in ("init", "db", "config", "staff", "client", "note", "doc", "audit"):
        assert group in shown.stdout


def test_json_output_is_valid_for_single_results(cli, shared):  # type: ignore[no-untyped-def]
    for args in (("staff", "show", "sam@riverside.example"), ("audit", "verify")):
        result = cli(*args, "-o", "json")
        assert result.exit_code == 0, result.output
        assert isinstance(json.loads(result.stdout), dict)


def test_a_long_table_is_printed_as_plain_aligned_columns(monkeypatch, capsys):
    from clinicctl import output

    monkeypatch.setattr(output, "RICH_TABLE_ROWS", 2)
    rows = [{"id": 1, "name": "Maya Chen", "ok": True}, {"id": 22, "name": "[b]x", "ok": None},
            {"id": 333, "name": "Bo", "ok": False}]
    output.write_table(rows, [("id", "ID"), ("name", "Name"), ("ok", "OK")])
    assert capsys.readouterr().out.splitlines() == [
        "ID   Name       OK",
        "---  ---------  -----",
        "1    Maya Chen  true",
        "22   [b]x",
        "333  Bo         false",
    ]


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
    shown = _config_rows(cli("config", "show", "-o", "json", actor=None))
    assert "bind_actor_to_login" not in shown


def test_doc_get_never_writes_through_a_symlink(cli, shared, tmp_path):  # type: ignore[no-untyped-def]
    """A link at --output is refused without --force and replaced with --force; its target
    is never written (a dangling link counts as existing too)."""
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    os.chmod(victim, 0o644)
    link = tmp_path / "out.bin"
    link.symlink_to(victim)
    dangling = tmp_path / "dangling.bin"
    dangling.symlink_to(tmp_path / "nowhere.txt")
    for target in (link, dangling):
        refused = cli("doc", "get", str(shared.ids["plain_doc"]), "--output", str(target))
        assert refused.exit_code == 5, refused.output
    assert not (tmp_path / "nowhere.txt").exists()
    forced = cli("doc", "get", str(shared.ids["plain_doc"]), "--output", str(link), "--force")
    assert forced.exit_code == 0, forced.output
    assert victim.read_text() == "keep me"
    assert not link.is_symlink() and link.read_bytes() == b"consent"
    assert stat.S_IMODE(link.stat().st_mode) == 0o600
    # An existing 0644 file, replaced with --force, is 0600 afterwards.
    plain = tmp_path / "plain.bin"
    plain.write_text("old")
    os.chmod(plain, 0o644)
    assert cli("doc", "get", str(shared.ids["plain_doc"]), "--output", str(plain),
               "--force").exit_code == 0
    assert stat.S_IMODE(plain.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.endswith(".part")) == []


def test_doc_get_to_standard_output(cli, shared, tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    result = cli("doc", "get", str(shared.ids["plain_doc"]), "--output", "-")
    assert result.exit_code == 0, result.output
    assert result.stdout == "consent"
    assert not (tmp_path / "-").exists()


@pytest.mark.parametrize("args", [("client", "list"), ("location", "list"),
                                  ("staff", "list")])
def test_every_csv_output_is_spreadsheet_safe(cli, cast, args):  # type: ignore[no-untyped-def]
    assert cli("client", "add", "=HYPERLINK(\"http://x\")", "@Sum", "--dob", "1970-01-02"
               ).exit_code == 0
    assert cli("location", "add", "+Annex", "--pos", "11").exit_code == 0
    assert cli("staff", "add", "Cmd Jones", "--email", "cmd@riverside.example", "--role",
               "scheduler", "--credentials=-2+3").exit_code == 0
    result = cli(*args, "-o", "csv")
    assert result.exit_code == 0, result.output
    cells = [cell for row in parse_csv(result.stdout) for cell in row]
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@")], cells
    assert any(cell.startswith("'") for cell in cells)


def test_control_characters_are_shown_escaped_in_tables(cli, cast, tmp_path):  # type: ignore[no-untyped-def]
    """A name that carries terminal escape sequences (from an imported file, say) cannot drive
    the terminal: tables show the characters escaped; JSON keeps the stored text."""
    name = "Evil\x1b[2J\x1b[31mRed"
    path = tmp_path / "clients.csv"
    path.write_text(f"first_name,last_name,dob\n{name},Smith,1980-01-01\n")
    imported = cli("import", "clients", str(path))
    assert imported.exit_code == 0, imported.output
    table = cli("client", "list", "--search", "Smith")
    assert table.exit_code == 0, table.output
    assert "\x1b" not in table.stdout
    assert "Evil\\x1b[2J\\x1b[31mRed" in table.stdout
    data = cli("client", "list", "--search", "Smith", "-o", "json").json()
    assert data[0]["first_name"] == name


def test_share_help_says_exactly_what_is_shared(cli):  # type: ignore[no-untyped-def]
    """The profile a share gives shows every provider's status and diagnosis (as `client
    show` does, and as the product's source article says), not only the new provider's."""
    shown = cli("client", "share", "--help", actor=None)
    assert shown.exit_code == 0, shown.output
    text = " ".join(shown.stdout.split())
    assert "the client profile (including each provider's status and diagnosis)" in text
    assert "their own status" not in text
