"""Output formats: every listing as JSON, CSV and a table; CSV that spreadsheets and the csv
module read back; ``--format`` / CLINICCTL_FORMAT and their bad values."""

from __future__ import annotations

import csv
import io
import json

import pytest

from tests.fixtures.bad_input import (
    DATA_COMMANDS,
    assert_error,
    assert_usage_error,
    command_id,
    fill,
)
from tests.fixtures.cast import OWNER_EMAIL
from tests.fixtures.formats import parse_csv
from tests.fixtures.practice_db import snapshot

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
     ["id", "client_id", "author_id", "kind", "date", "addendum_to", "body", "author",
      "appointment_id", "cosign_status", "cosigned_by_id", "cosigned_by", "cosigned_at"]),
    (("doc", "list", "Maya Chen"), OWNER_EMAIL,
     ["id", "client_id", "title", "clinical", "size", "sha256"]),
    (("audit", "list"), OWNER_EMAIL,
     ["id", "at", "actor_id", "action", "object_type", "object_id", "client_id", "outcome",
      "details", "actor"]),
    (("config", "show"), OWNER_EMAIL, ["key", "value", "source"]),
]
LISTING_IDS = [" ".join(args[:2]) for args, _, _ in LISTINGS]


# Names that would only appear in stderr if data leaked there.
DATA_WORDS = ("Maya", "Chen", "Okafor", "riverside.example", "{", "[")


@pytest.mark.parametrize(("args", "actor", "header"), LISTINGS, ids=LISTING_IDS)
def test_listing_json(cli, shared, args, actor, header):
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
def test_listing_csv(cli, shared, args, actor, header):
    result = cli(*args, "-o", "csv", actor=actor)
    assert result.exit_code == 0, result.output
    rows = parse_csv(result.stdout)
    assert rows[0] == header
    assert len(rows) >= 2
    assert all(len(row) == len(header) for row in rows)
    assert result.stderr == ""


@pytest.mark.parametrize(("args", "actor", "header"), LISTINGS, ids=LISTING_IDS)
def test_listing_table(cli, shared, args, actor, header):
    result = cli(*args, "-o", "table", actor=actor)
    assert result.exit_code == 0, result.output
    assert result.stdout.lstrip()[:1] not in ("[", "{")
    assert "\x1b[" not in result.stdout  # no colour when stdout is not a terminal
    assert "┃" in result.stdout and "│" in result.stdout
    assert result.stderr == ""


def test_csv_quotes_commas_quotes_and_markup(cli, cast):
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


def test_csv_lines_end_with_crlf(cast):
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


def test_format_from_environment(cli, shared, monkeypatch):
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


@pytest.mark.parametrize(("args", "actor"), EMPTY_LISTINGS,
                         ids=[" ".join(a[:3]) for a, _ in EMPTY_LISTINGS])
def test_empty_listing(cli, shared, args, actor):
    result = cli(*args, "-o", "json", actor=actor)
    assert result.exit_code == 0, result.output
    assert result.stdout == "[]\n"
    assert result.stderr.startswith("No ") and result.stderr.count("\n") == 1  # what was searched
    result = cli(*args, "-o", "csv", actor=actor)
    assert result.exit_code == 0, result.output
    assert len(parse_csv(result.stdout)) == 1  # the header row only


def test_json_output_is_valid_for_single_results(cli, shared):
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


@pytest.mark.parametrize("args", [("client", "list"), ("location", "list"),
                                  ("staff", "list")])
def test_every_csv_output_is_spreadsheet_safe(cli, cast, args):
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


def test_control_characters_are_shown_escaped_in_tables(cli, cast, tmp_path):
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


FORMAT_COMMANDS = [a for a in DATA_COMMANDS if a[:2] != ("doc", "get")] + [
    ("config", "show"), ("db", "status")]


@pytest.mark.parametrize("args", FORMAT_COMMANDS, ids=command_id)
def test_invalid_format_option(cli, plain, paths, args):
    before = snapshot(plain.url)
    result = cli(*fill(args, paths), "-o", "xml")
    assert_usage_error(result, "Invalid value for '--format' / '-o':", " ".join(args[:2]))
    assert "'xml'" in result.stderr
    assert snapshot(plain.url) == before


@pytest.mark.parametrize("args", [("client", "list"), ("config", "show"), ("db", "status")],
                         ids=command_id)
def test_invalid_format_from_environment(cli, plain, monkeypatch, args):
    monkeypatch.setenv("CLINICCTL_FORMAT", "xml")
    result = cli(*args)
    assert_error(result, 2, "invalid format 'xml' (from env CLINICCTL_FORMAT); expected one of "
                            "table, json, csv")
