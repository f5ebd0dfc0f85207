"""Tables for people: every listing fits an 80-column terminal by choosing its columns, never
by cutting a value; NO_COLOR means no escape sequence at all; stored control characters are
shown escaped; every ``-o csv`` is spreadsheet-safe; ``-`` as ``--output`` is stdout."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest

from tests.fixtures.cast import OWNER_EMAIL
from tests.fixtures.listings_db import ALEX, CHLOE, PRIYA, PRIYA_NAME, terminal
from tests.fixtures.schedule_db import ANA, LEE, MAYA, MON, SAM, Practice

SGR = re.compile(r"\x1b\[[0-9;]*m")  # colour and bold


def width_of(line: str) -> int:
    from rich.cells import cell_len

    return cell_len(line)


# Every table a person reads, with the practice's longest names and every status. Commands
# that change something run with --dry-run (which prints the same table).
TABLES: list[tuple[str, ...]] = [
    ("appointment", "list"),
    ("appointment", "list", "--provider", PRIYA),
    ("appointment", "show", "{a2}"),
    ("appointment", "book", "--client", ALEX, "--provider", SAM, "--at",
     f"{MON.isoformat()} 15:00", "--repeat", "weekly", "--count", "3", "--dry-run"),
    ("appointment", "cancel", "{a5}", "--late", "--dry-run"),
    ("appointment", "reschedule", "{a1}", "--at", f"{MON.isoformat()} 14:00", "--dry-run"),
    ("availability", "list"),
    ("availability", "find", "--client", MAYA, "--therapist", ANA, "--therapist", LEE,
     "--therapist", PRIYA, "--from", MON.isoformat(), "--days", "2"),
    ("availability", "find", "--client", CHLOE, "--therapist", PRIYA, "--from",
     MON.isoformat(), "--book", "2", "--dry-run"),
    ("client", "list"),
    ("client", "list", "--provider", PRIYA, "--status", "all"),
    ("client", "show", MAYA),
    ("client", "sharing", MAYA),
    ("client", "access", MAYA),
    ("client", "share", ALEX, "--from", PRIYA, "--to", SAM, "--dry-run"),
    ("note", "list", MAYA, "--as", ANA),
    ("note", "show", "{progress_note}", "--as", SAM),
    ("doc", "list", MAYA),
    ("audit", "list"),
    ("audit", "verify"),
    ("staff", "list", "--all"),
    ("staff", "show", PRIYA),
    ("staff", "reassign", PRIYA, "--to", SAM, "--appointments", "future", "--dry-run"),
    ("location", "list"),
    ("service", "list"),
    ("config", "show"),
    ("db", "status"),
]


def _argv(args: tuple[str, ...], ids: dict[str, int]) -> tuple[list[str], str]:
    """The arguments with ids filled in, and the actor (``--as`` taken out of them)."""
    argv = [a.format(**ids) for a in args]
    actor = OWNER_EMAIL
    if "--as" in argv:
        at = argv.index("--as")
        actor = argv[at + 1]
        del argv[at:at + 2]
    return argv, actor


@pytest.mark.parametrize("args", TABLES, ids=[" ".join(t[:2]) + f"-{n}"
                                              for n, t in enumerate(TABLES)])
def test_every_table_fits_80_columns_without_cutting_a_value(
        cli, listings, monkeypatch, args):
    argv, actor = _argv(args, listings.ids)
    terminal(monkeypatch, 80)
    result = cli(*argv, actor=None if argv[0] in ("config", "db") else actor)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines, result.output
    assert max(width_of(line) for line in lines) <= 80, result.stdout
    assert "…" not in result.stdout and "..." not in result.stdout
    assert "\x1b" not in result.stdout


def test_the_schedule_at_80_columns_keeps_whole_dates_and_names(cli, listings, monkeypatch):
    data = cli("appointment", "list", "-o", "json").json()
    terminal(monkeypatch, 80)
    table = cli("appointment", "list").stdout
    assert max(width_of(line) for line in table.splitlines()) <= 80
    for row in data:
        start = row["start"][:16].replace("T", " ")  # "2027-01-04 10:00"
        assert start in table
        assert row["status"] in table
        for word in row["client"].split() + row["provider"].split():
            assert word in table
    # Ids and codes give way first; JSON and CSV keep every column.
    for header in ("Client ID", "Provider ID", "Series", "POS"):
        assert header not in table
    assert set(data[0]) >= {"client_id", "provider_id", "series_id", "pos", "service"}


def test_a_wide_terminal_shows_every_column(cli, listings, monkeypatch):
    terminal(monkeypatch, 220)
    table = cli("appointment", "list").stdout
    for header in ("ID", "Start", "End", "Client", "Provider", "Status", "Location",
                   "Service", "POS", "Series", "Client ID", "Provider ID"):
        assert header in table
    assert PRIYA_NAME in table
    monkeypatch.delenv("FORCE_COLOR")  # not a terminal: laid out for 200 columns
    monkeypatch.setenv("COLUMNS", "80")
    assert "Provider ID" in cli("appointment", "list").stdout


def test_columns_give_way_in_the_order_the_layout_names(monkeypatch):
    from clinicctl.output import NAME, Layout, choose_columns

    layout = Layout([("id", "ID"), ("name", "Name"), ("code", "Code"), ("note", "Note"),
                     ("spare", "Spare")],
                    optional=["code", "note", "spare"], wrap={"name": NAME})
    cells = [{"id": "1", "name": "Alexandria Montgomery-Clarke", "code": "90834",
              "note": "x" * 20, "spare": ""}]
    keys = lambda shown: [key for key, _ in shown]  # noqa: E731
    shown, fits = choose_columns(layout, cells, 200)
    assert (keys(shown), fits) == (["id", "name", "code", "note", "spare"], True)
    # An empty optional column goes first, then the optional ones in their order.
    shown, fits = choose_columns(layout, cells, 70)
    assert (keys(shown), fits) == (["id", "name", "code", "note"], True)
    shown, fits = choose_columns(layout, cells, 60)
    assert (keys(shown), fits) == (["id", "name", "note"], True)
    shown, fits = choose_columns(layout, cells, 37)  # the name on one line: 28 + 2 + 7
    assert (keys(shown), fits) == (["id", "name"], True)
    # Only when the columns that stay do not fit on one line may a name wrap, down to its
    # longest word ("Montgomery-Clarke"), then inside that word; below that nothing fits
    # and every column may wrap.
    shown, fits = choose_columns(layout, cells, 26)
    assert (keys(shown), fits) == (["id", "name"], True)
    shown, fits = choose_columns(layout, cells, 17)  # 2 + 8 + 7
    assert (keys(shown), fits) == (["id", "name"], True)
    shown, fits = choose_columns(layout, cells, 16)
    assert (keys(shown), fits) == (["id", "name"], False)


def test_a_value_wider_than_the_terminal_wraps_and_is_never_cut(capsys, monkeypatch):
    from clinicctl import output

    terminal(monkeypatch, 40)
    digest = "17e6dce9fa9ed74f23f3fb10aad70a98b5f4aa93523ab70e6889c18ab4e98095"
    output.write_table([{"id": 1, "sha": digest, "title": "Consent to treatment, signed"}],
                       [("id", "ID"), ("sha", "SHA-256"), ("title", "Title")])
    shown = capsys.readouterr().out
    assert max(width_of(line) for line in shown.splitlines()) <= 40
    assert "…" not in shown
    column = [line.split("│")[2].strip() for line in shown.splitlines() if "│" in line]
    assert "".join(column) == digest


def test_a_name_too_long_for_its_column_folds_and_the_dates_stay_whole(capsys, monkeypatch):
    import datetime as dt
    from zoneinfo import ZoneInfo

    from clinicctl import output

    terminal(monkeypatch, 60)
    start = dt.datetime(2027, 1, 4, 11, 0, tzinfo=ZoneInfo("America/New_York"))
    layout = output.Layout([("id", "ID"), ("start", "Start"), ("who", "Provider"),
                            ("status", "Status")], wrap={"who": output.NAME})
    output.write_table([{"id": 2, "start": start, "who": "Priya Natarajan-Venkataraman",
                         "status": "late-cancelled"}], layout)
    shown = capsys.readouterr().out
    assert max(width_of(line) for line in shown.splitlines()) <= 60
    assert "Start (EST)" in shown and "2027-01-04 11:00" in shown and "late-cancelled" in shown
    column = [line.split("│")[3].strip() for line in shown.splitlines() if "│" in line]
    assert "".join(column) == "PriyaNatarajan-Venkataraman"


# --- NO_COLOR ---------------------------------------------------------------------------------

def test_no_color_on_a_terminal_means_no_escapes(cli, listings, monkeypatch):
    terminal(monkeypatch, 100, colour=True)
    coloured = cli("staff", "list")
    assert coloured.exit_code == 0, coloured.output
    assert SGR.search(coloured.stdout)  # a terminal gets bold headers...
    monkeypatch.setenv("NO_COLOR", "")  # (an empty NO_COLOR does not count)
    assert SGR.search(cli("staff", "list").stdout)
    for value in ("1", "true", "no"):
        monkeypatch.setenv("NO_COLOR", value)
        plain = cli("staff", "list")
        assert plain.exit_code == 0, plain.output
        assert "\x1b" not in plain.stdout  # ...unless NO_COLOR: no escape at all
        assert "Morgan Blake" in plain.stdout and "┃" in plain.stdout


def test_no_color_reaches_every_rich_console(monkeypatch):
    """Tables, progress bars and the demo all get their console from output.rich_console."""
    from rich.text import Text

    from clinicctl import output

    for no_color, expect_escape in (("", True), ("1", False)):
        monkeypatch.setenv("NO_COLOR", no_color)
        buffer = io.StringIO()
        output.rich_console(file=buffer, force_terminal=True).print(
            Text("Alert", style="bold red"))
        assert bool(SGR.search(buffer.getvalue())) is expect_escape


def test_a_progress_bar_under_no_color_has_no_colour_or_bold(monkeypatch):
    import sys

    from clinicctl import progress

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    for no_color, expect_escape in (("", True), ("1", False)):
        monkeypatch.setenv("NO_COLOR", no_color)
        monkeypatch.setenv("TERM", "xterm-256color")  # a bar is drawn only on a real terminal
        stream = Terminal()
        monkeypatch.setattr(sys, "stderr", stream)
        with progress.progress("Importing", total=3) as advance:
            advance(3)
        monkeypatch.undo()
        assert bool(SGR.search(stream.getvalue())) is expect_escape


def test_the_demo_under_no_color_writes_no_colour(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from clinicctl.cli import app

    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.setenv("NO_COLOR", "1")
    result = CliRunner().invoke(app, ["demo", "--db", f"sqlite:///{tmp_path / 'd.sqlite3'}"])
    assert result.exit_code == 0, result.output
    assert "Maya Chen" in result.stderr
    assert not SGR.search(result.stderr) and not SGR.search(result.stdout)


# --- control characters -----------------------------------------------------------------------

def test_control_characters_in_names_are_escaped_in_every_table(cli, listings_copy, tmp_path):
    evil = "Evil\x1b[2J\x1b[31mRed"
    spoof = "Ana\u202eziuR"  # a right-to-left override: would show as "AnaRuiz" reversed
    path = tmp_path / "clients.csv"
    path.write_text(f"first_name,last_name,dob\n{evil},Smith,1980-01-01\n{spoof},Lane,"
                    "1981-01-01\n")
    assert cli("import", "clients", str(path)).exit_code == 0
    assert cli("staff", "add", f"Dr {evil}", "--email", "evil@riverside.example", "--role",
               "provider").exit_code == 0
    for client, hour in ((f"{evil} Smith", "10:00"), (f"{spoof} Lane", "11:00")):
        booked = cli("appointment", "book", "--client", client, "--provider",
                     "evil@riverside.example", "--at", f"{MON.isoformat()} {hour}",
                     "--outside-availability")
        assert booked.exit_code == 0, booked.output
    for args in (("appointment", "list", "--provider", "evil@riverside.example"),
                 ("client", "list", "--search", "smith"), ("client", "list", "--search", "lane"),
                 ("staff", "list"),
                 ("staff", "reassign", "evil@riverside.example", "--to", SAM, "--dry-run")):
        table = cli(*args)
        assert table.exit_code == 0, table.output
        assert "\x1b" not in table.stdout and "\u202e" not in table.stdout, args
    assert "Evil\\x1b[2J\\x1b[31mRed" in cli("client", "list", "--search", "smith").stdout
    assert "Ana\\u202eziuR" in cli("client", "list", "--search", "lane").stdout
    # The title of a table names a stored name too.
    reassign = cli("staff", "reassign", "evil@riverside.example", "--to", SAM, "--dry-run")
    assert "Clients of Dr Evil\\x1b[2J\\x1b[31mRed" in reassign.stdout
    # JSON keeps the stored text.
    rows = cli("appointment", "list", "--provider", "evil@riverside.example", "-o", "json")
    assert {r["client"] for r in rows.json()} == {f"{evil} Smith", f"{spoof} Lane"}


# --- spreadsheet-safe CSV ---------------------------------------------------------------------

CSV_LISTINGS: list[tuple[str, ...]] = [
    ("client", "list"), ("client", "show", "=cmd Smith"), ("client", "sharing", "=cmd Smith"),
    ("client", "access", "=cmd Smith"), ("staff", "list"), ("staff", "show", "+1 Jones"),
    ("note", "list", "=cmd Smith", "--as", SAM), ("doc", "list", "=cmd Smith"),
    ("location", "list"), ("service", "list"), ("availability", "list"),
    ("availability", "find", "--client", "=cmd Smith", "--therapist", "+1 Jones", "--from",
     MON.isoformat(), "--days", "1"),
    ("appointment", "list"), ("appointment", "show", "{booked}"), ("audit", "list"),
    ("appointment", "cancel", "{booked}", "--dry-run"),
]


@pytest.fixture
def formulas(cli, listings_copy, tmp_path) -> Practice:
    """Stored text that a spreadsheet would run as a formula, in every kind of listing."""
    def ok(*args: str, actor: str = OWNER_EMAIL) -> None:
        result = cli(*args, actor=actor)
        assert result.exit_code == 0, (args, result.output)

    ok("client", "add", "=cmd", "Smith", "--dob", "1970-01-02", "--provider", SAM,
       "--external-id", "@EXT-1", "--address=-1 Minus Street")
    ok("staff", "add", "+1 Jones", "--email", "jones@riverside.example", "--role", "provider",
       "--credentials=-2+3")
    ok("location", "add", "@Annex", "--pos", "11")
    ok("service", "add", "99999", "--name", "=SUM(A1)", "--minutes", "30")
    ok("availability", "add", "+1 Jones", "--days", "mon", "--start", "09:00", "--end",
       "12:00", "--location", "@Annex")
    ok("note", "add", "=cmd Smith", "--body", "=HYPERLINK(\"http://x\")", actor=SAM)
    (tmp_path / "f.txt").write_text("x")
    ok("doc", "add", "=cmd Smith", str(tmp_path / "f.txt"), "--title", "+title")
    booked = cli("appointment", "book", "--client", "=cmd Smith", "--provider", "+1 Jones",
                 "--at", f"{MON.isoformat()} 11:00", "-o", "json")
    assert booked.exit_code == 0, booked.output
    listings_copy.ids["booked"] = booked.json()["appointments"][0]["id"]
    ok("note", "add", "=cmd Smith", "--body", "-- seen", actor="jones@riverside.example")
    return listings_copy


@pytest.mark.parametrize("args", CSV_LISTINGS, ids=[" ".join(a[:2]) + f"-{n}"
                                                    for n, a in enumerate(CSV_LISTINGS)])
def test_every_csv_listing_is_spreadsheet_safe(cli, formulas, args):
    argv, actor = _argv(args, formulas.ids)
    result = cli(*argv, "-o", "csv", actor=actor)
    assert result.exit_code == 0, result.output
    cells = [cell for row in csv.reader(io.StringIO(result.stdout, newline=""))
             for cell in row]
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r")], cells
    assert any(cell.startswith(("'=", "'+", "'-", "'@")) for cell in cells), cells


def test_export_and_listing_write_the_same_safe_cells(cli, formulas):
    listed = cli("client", "list", "--search", "smith", "-o", "csv").stdout
    exported = cli("export", "clients", "--output", "-").stdout
    assert "'=cmd" in listed and "'=cmd" in exported and "'@EXT-1" in exported


# --- '-' as --output --------------------------------------------------------------------------

def test_dash_as_output_means_stdout(cli, listings, tmp_path, monkeypatch):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    exported = cli("export", "staff", "--output", "-")
    assert exported.exit_code == 0, exported.output
    assert exported.stdout.startswith("id,email,") and PRIYA_NAME in exported.stdout
    assert exported.stderr == ""
    as_json = cli("export", "clients", "-o", "json", "--output", "-")
    assert {c["first_name"] for c in as_json.json()} >= {"Chloé", "Alexandria"}
    anchored = cli("audit", "anchor", "--output", "-")
    assert anchored.exit_code == 0, anchored.output
    assert set(json.loads(anchored.stdout)) >= {"event_id", "hash", "count"}
    assert anchored.stderr == ""
    calendar = cli("export", "calendar", "--provider", PRIYA, "--output", "-")
    assert calendar.exit_code == 0, calendar.output
    assert calendar.stdout.startswith("BEGIN:VCALENDAR")
    assert list(Path(work).iterdir()) == []  # no file named "-"


def test_a_file_as_output_still_says_where(cli, listings, tmp_path):
    target = tmp_path / "anchor.json"
    anchored = cli("audit", "anchor", "--output", str(target))
    assert anchored.exit_code == 0, anchored.output
    assert anchored.stdout == ""
    assert anchored.stderr.startswith("Anchored event #") and str(target) in anchored.stderr
    assert json.loads(target.read_text())["count"] >= 1
