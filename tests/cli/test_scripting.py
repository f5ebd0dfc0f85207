"""Scripts and cron: ``--quiet`` keeps data, errors and warnings; progress bars only for a
person at a terminal; never a prompt without one; a locked database is one line and exit 6."""

from __future__ import annotations

import io
import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from clinicctl import output
from clinicctl.errors import ExitCode
from tests.fixtures.cast import OWNER_EMAIL


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def not_quiet(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No CLINICCTL_QUIET from the developer's shell, and no switch left on for other tests
    (the root command sets it on every run; tests calling ``progress()`` directly do not)."""
    monkeypatch.delenv("CLINICCTL_QUIET", raising=False)
    monkeypatch.delenv("TERM", raising=False)
    output.set_quiet(False)
    yield
    output.set_quiet(False)


def share_csv(tmp_path: Path, cast) -> str:
    path = tmp_path / "shares.csv"
    path.write_text("client,from,to,mode\n"
                    f"Maya Chen,{cast.provider_a},{cast.provider_b},\n"
                    f"Maya Chen,{cast.provider_a},{cast.provider_c},chart\n")
    return str(path)


# --- --quiet -------------------------------------------------------------------------------

def test_quiet_drops_the_status_line_but_keeps_the_json(cli, cast):
    loud = cli("client", "share", cast.client, "--from", cast.provider_a, "--to",
               cast.provider_b, "--dry-run", "-o", "json")
    assert loud.exit_code == 0, loud.output
    assert loud.stderr.startswith("Dry run (nothing written): Added client #")

    quiet = cli("--quiet", "client", "share", cast.client, "--from", cast.provider_a, "--to",
                cast.provider_b, "-o", "json")
    assert quiet.exit_code == 0, quiet.output
    assert quiet.stderr == ""
    assert quiet.json()["assignment"] == "created"
    assert quiet.json() == {**loud.json(), "client_id": cast.client_id}


def test_quiet_batch_share_prints_only_the_json(cli, cast, tmp_path):
    result = cli("-q", "client", "share", "--csv", share_csv(tmp_path, cast), "-o", "json")
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert [row["changed"] for row in result.json()] == [True, True]


@pytest.mark.parametrize("value", ["1", "true", "YES", " yes "])
def test_quiet_from_the_environment(cli, cast, monkeypatch, value):
    monkeypatch.setenv("CLINICCTL_QUIET", value)
    result = cli("client", "share", cast.client, "--from", cast.provider_a, "--to",
                 cast.provider_b, "-o", "json")
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert result.json()["changed"] is True


@pytest.mark.parametrize("value", ["0", "false", "no", ""])
def test_falsy_environment_is_not_quiet(cli, cast, monkeypatch, value):
    monkeypatch.setenv("CLINICCTL_QUIET", value)
    result = cli("client", "share", cast.client, "--from", cast.provider_a, "--to",
                 cast.provider_b, "-o", "json")
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith("Added client #")


def test_quiet_does_not_stick_to_the_next_run(cli, cast):
    first = cli("-q", "client", "list", "-o", "json")
    assert first.exit_code == 0, first.output
    result = cli("client", "share", cast.client, "--from", cast.provider_a, "--to",
                 cast.provider_b, "-o", "json")
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith("Added client #")


@pytest.mark.parametrize(("args", "code", "error"), [
    (("client", "show", "Nobody Known"), ExitCode.NOT_FOUND, "Error: no client "),
    (("client", "list", "-o", "yaml"), ExitCode.INVALID_INPUT, "Error: Invalid value for "),
], ids=["not found", "usage"])
def test_quiet_keeps_errors(cli, cast, args, code, error):
    result = cli("--quiet", *args)
    assert result.exit_code == code, result.output
    assert result.stdout == ""
    assert result.stderr.startswith(error), result.stderr


def test_quiet_keeps_the_missing_actor_error(cli, db_url):
    result = cli("-q", "client", "list", actor=None)
    assert result.exit_code == ExitCode.INVALID_INPUT, result.output
    assert result.stderr.startswith("Error: no actor: every data command runs as a staff "
                                    "member (pass --as EMAIL")


def test_quiet_keeps_warnings(cli, cast):
    """A share to a provider who discharged the client: the share is in effect, but the
    provider's list says discharged, which a person has to act on."""
    shared = cli("client", "share", cast.client, "--from", cast.provider_a, "--to",
                 cast.provider_b)
    assert shared.exit_code == 0, shared.output
    discharged = cli("client", "status", cast.client, "--provider", cast.provider_b, "--set",
                     "discharged")
    assert discharged.exit_code == 0, discharged.output
    again = cli("-q", "client", "share", cast.client, "--from", cast.provider_a, "--to",
                cast.provider_b, "-o", "json")
    assert again.exit_code == 0, again.output
    assert again.json()["changed"] is False
    assert again.stderr == ("Ana Ruiz's status for this client is discharged; change it with "
                            "`client status`\n")


def test_quiet_is_documented_in_help(cli):
    result = cli("--help", actor=None)
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())
    assert "-q, --quiet" in text
    assert "Only data and errors: no status lines or progress" in text


# --- progress ----------------------------------------------------------------------------

def test_no_progress_without_a_terminal(cli, cast, tmp_path, monkeypatch):
    # CliRunner's stderr is not a terminal: no bar, and rich.progress is never imported.
    monkeypatch.setitem(sys.modules, "rich.progress", None)
    result = cli("client", "share", "--csv", share_csv(tmp_path, cast), "-o", "json")
    assert result.exit_code == 0, result.output
    assert result.stderr == "2 rows shared: 2 changed, 0 already in effect.\n"
    assert len(result.json()) == 2


def test_batch_share_advances_progress_as_rows_are_checked(cli, cast, tmp_path, monkeypatch):
    from clinicctl import progress as progress_module

    calls: list[tuple[str, int | None]] = []
    advanced: list[int] = []

    @contextmanager
    def recording(description: str, total: int | None = None):
        calls.append((description, total))
        yield advanced.append

    monkeypatch.setattr(progress_module, "progress", recording)
    result = cli("client", "share", "--csv", share_csv(tmp_path, cast), "-o", "json")
    assert result.exit_code == 0, result.output
    assert calls == [("Sharing", None)]
    assert sum(advanced) == 2  # told per chunk of rows


def test_progress_draws_on_a_terminal_stderr_only(monkeypatch, capsys):
    from clinicctl.progress import progress

    terminal = FakeTerminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    with progress("Sharing", total=3) as advance:
        for _ in range(3):
            advance(1)
        print("data")  # printed meanwhile: stays on stdout, untouched
    assert "Sharing" in terminal.getvalue()
    assert "3/3" in terminal.getvalue()
    assert capsys.readouterr().out == "data\n"


@pytest.mark.parametrize("why", ["quiet", "dumb terminal", "not a terminal"])
def test_progress_is_a_no_op_otherwise(monkeypatch, capsys, why):
    from clinicctl import progress as progress_module

    stream: io.StringIO = FakeTerminal()
    if why == "quiet":
        output.set_quiet(True)
    elif why == "dumb terminal":
        monkeypatch.setenv("TERM", "dumb")
    else:
        stream = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stream)
    monkeypatch.setitem(sys.modules, "rich.progress", None)  # importing it would fail
    with progress_module.progress("Sharing") as advance:
        for _ in range(100_000):
            advance(1)
    assert advance is progress_module._noop
    assert stream.getvalue() == ""
    assert capsys.readouterr().out == ""


PROBE = """
import json, sys
from clinicctl.cli import app
try:
    app(sys.argv[2:], prog_name="clinicctl")
except SystemExit:
    pass
with open(sys.argv[1], "w") as handle:
    json.dump(sorted(m for m in sys.modules if m.startswith(("rich.progress", "rich.live"))),
              handle)
"""


@pytest.mark.parametrize("args", [("--help",), ("--version",), ("-q", "--help"),
                                  ("client", "share", "--help")], ids=" ".join)
def test_help_and_version_do_not_import_rich_progress(tmp_path, args):
    out = tmp_path / "probe.json"
    done = subprocess.run([sys.executable, "-c", PROBE, str(out), *args], capture_output=True,
                          text=True, env={**os.environ, "NO_COLOR": "1"}, timeout=60,
                          check=False)
    assert "Traceback" not in done.stderr, done.stderr
    assert json.loads(out.read_text()) == []


# --- no prompts ----------------------------------------------------------------------------

def run_without_terminal(args: list[str], *, stdin_text: str | None, cwd: Path,
                         ) -> tuple[int, str, str]:
    """Run ``python -m clinicctl`` with stdin a pipe that is not a terminal. With
    ``stdin_text=None`` the pipe stays open and silent: a command that waited for an answer
    would hang, and the timeout would fail the test."""
    env = {**os.environ, "NO_COLOR": "1", "CLINICCTL_ACTOR": OWNER_EMAIL}
    with (cwd / "out").open("w+") as out, (cwd / "err").open("w+") as err:
        proc = subprocess.Popen([sys.executable, "-m", "clinicctl", *args], cwd=cwd, env=env,
                                stdin=subprocess.PIPE, stdout=out, stderr=err, text=True)
        assert proc.stdin is not None
        try:
            if stdin_text is not None:
                proc.stdin.write(stdin_text)
                proc.stdin.close()
            code = proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            pytest.fail(f"clinicctl {' '.join(args)} waited for input without a terminal")
        finally:
            if not proc.stdin.closed:
                proc.stdin.close()
        out.seek(0)
        err.seek(0)
        return code, out.read(), err.read()


@pytest.mark.slow
@pytest.mark.parametrize(("args", "stdin_text", "code", "error"), [
    (["demo", "--db", "sqlite:///demo.sqlite3"], None, ExitCode.CONFLICT,
     "Error: demo.sqlite3 already exists (pass --force to delete it and build the demo again)"),
    (["init", "--practice", "Other", "--timezone", "UTC", "--owner-name", "Al Bo",
      "--owner-email", "al@example.org"], None, ExitCode.CONFLICT,
     "Error: this database is already initialised"),
    (["client", "share"], None, ExitCode.INVALID_INPUT,
     "Error: missing CLIENT: give CLIENT --from A --to B, or --csv FILE"),
    (["-q", "client", "share", "--csv", "-"], "", ExitCode.INVALID_INPUT,
     "Error: the CSV file is empty: expected a header row client,from,to"),
    (["client", "unshare", "--csv", "-"], "client,from,to\n", ExitCode.INVALID_INPUT,
     "Error: the CSV file has no data rows"),
], ids=["demo exists", "init again", "share without args", "empty csv", "header only"])
def test_commands_never_wait_for_an_answer(db_url, tmp_path, args, stdin_text, code, error):
    (tmp_path / "demo.sqlite3").write_bytes(b"")
    exit_code, stdout, stderr = run_without_terminal(args, stdin_text=stdin_text, cwd=tmp_path)
    assert exit_code == code, stderr
    assert stdout == ""
    assert stderr.startswith(error), stderr
    assert stderr.count("\n") == 1, stderr


# --- a locked database -----------------------------------------------------------------------

def test_locked_database_is_one_line_and_exit_6_even_when_quiet(cli, cast, tmp_path,
                                                                db_url, monkeypatch):
    """The --quiet counterpart of tests/test_db.py::test_locked_sqlite_database_exits_6_after_
    retrying, through a batch share (the progress path)."""
    if not db_url.startswith("sqlite"):
        pytest.skip("SQLite locking")
    from clinicctl import db as db_module

    monkeypatch.setattr(db_module, "SQLITE_BUSY_TIMEOUT_MS", 50)
    path = share_csv(tmp_path, cast)
    holder = sqlite3.connect(db_url.removeprefix("sqlite:///"), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        result = cli("--quiet", "client", "share", "--csv", path, "-o", "json")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.exit_code == ExitCode.DATABASE, result.output
    assert result.stdout == ""
    assert result.stderr == ("Error: database is locked by another writer (gave up after "
                             "retrying) (try again; a long-running command may hold the "
                             "lock)\n")
