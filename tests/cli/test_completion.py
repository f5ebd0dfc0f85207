"""``clinicctl completion bash|zsh|fish``: scripts that complete commands, options and fixed
choices, answered without opening the database (so never a client's name) and without
loading SQLAlchemy."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clinicctl.choices import APPOINTMENT_STATUSES, ROLES

COMPLETE_VAR = "_CLINICCTL_COMPLETE"

# Run as the console script runs: clinicctl.console.main, which hands over to cli.main.
PROBE = """
import json, sys
from clinicctl.console import main
try:
    main()
except SystemExit as exc:
    code = exc.code
else:
    code = 0
loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("sqlalchemy", "alembic")
                or m in ("clinicctl.models", "clinicctl.db", "clinicctl.runtime"))
print(json.dumps({"exit_code": code, "loaded": loaded}), file=sys.stderr)
"""


def bash_words(line: str) -> dict[str, str]:
    """What bash hands the script when Tab is pressed at the end of ``line``."""
    words = line.split(" ")
    return {"COMP_WORDS": " ".join(words), "COMP_CWORD": str(len(words) - 1),
            COMPLETE_VAR: "complete_bash"}


def complete_in_a_process(env: dict[str, str], tmp_path: Path
                          ) -> tuple[list[str], dict[str, object]]:
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                          env={**os.environ, **env}, timeout=60, check=False, cwd=tmp_path)
    assert "Traceback" not in done.stderr, done.stderr
    report = json.loads(done.stderr.strip().splitlines()[-1])
    return done.stdout.splitlines(), report


@pytest.fixture
def no_database(tmp_path, monkeypatch) -> Path:  # type: ignore[no-untyped-def]
    """CLINICCTL_DB names a file that does not exist; a completion must leave it so."""
    path = tmp_path / "absent.sqlite3"
    monkeypatch.setenv("CLINICCTL_DB", f"sqlite:///{path}")
    return path


@pytest.mark.parametrize(("line", "expected"), [
    ("clinicctl cl", ["client"]),
    ("clinicctl client sh", ["show", "share", "sharing"]),
    ("clinicctl appointment list --status ", list(APPOINTMENT_STATUSES)),
    ("clinicctl co", ["config", "completion"]),
])
def test_bash_completion_in_a_process_opens_no_database(tmp_path, no_database, line, expected
                                                        ):  # type: ignore[no-untyped-def]
    words, report = complete_in_a_process(bash_words(line), tmp_path)
    assert words == expected
    assert report == {"exit_code": 0, "loaded": []}
    assert not no_database.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.toml"]


def test_zsh_and_fish_completion_in_a_process(tmp_path, no_database
                                              ):  # type: ignore[no-untyped-def]
    words, report = complete_in_a_process(
        {COMPLETE_VAR: "complete_zsh", "_TYPER_COMPLETE_ARGS": "clinicctl staff add X --role "},
        tmp_path)
    assert report == {"exit_code": 0, "loaded": []}
    script = "\n".join(words)
    assert script.startswith("_arguments '*: :((")
    assert all(f'"{role}"' in script for role in ROLES)
    words, report = complete_in_a_process(
        {COMPLETE_VAR: "complete_fish", "_TYPER_COMPLETE_FISH_ACTION": "get-args",
         "_TYPER_COMPLETE_ARGS": "clinicctl cl"}, tmp_path)
    assert report == {"exit_code": 0, "loaded": []}
    assert [word.split("\t")[0] for word in words] == ["client"]
    assert not no_database.exists()


def test_completion_never_offers_names_from_the_database(tmp_path, shared
                                                         ):  # type: ignore[no-untyped-def]
    """The practice has Maya Chen and Sam Okafor; completing where their names go offers
    nothing (the shell then falls back to file names), and the database is not opened."""
    for line in ("clinicctl client show M", "clinicctl client show ",
                 "clinicctl appointment list --provider S", "clinicctl --as d"):
        words, report = complete_in_a_process(bash_words(line), tmp_path)
        assert [word for word in words if word] == [], line
        assert report == {"exit_code": 0, "loaded": []}, line


# --- what is completed (in this process: the same callback, cheaper) -------------------------

def complete(line: str) -> list[str]:
    from clinicctl.cli import app
    from clinicctl.commands.completion import register_shells

    register_shells()  # as cli.main does in a completing process
    result = CliRunner().invoke(app, [], env=bash_words(line), prog_name="clinicctl")
    assert result.exit_code == 0, result.output
    return result.stdout.splitlines()


@pytest.mark.parametrize(("line", "expected"), [
    ("clinicctl ", ["init", "demo", "db", "config", "staff", "client", "note", "doc",
                    "location", "service", "availability", "appointment", "group", "audit",
                    "import", "export", "completion"]),
    ("clinicctl --", ["--db", "--config", "--as", "--quiet", "--version", "--help"]),
    ("clinicctl location e", ["edit"]),
    ("clinicctl service ", ["add", "edit", "list"]),
    ("clinicctl completion ", ["bash", "zsh", "fish"]),
    ("clinicctl client list --s", ["--status", "--search"]),
    # Fixed choices, also after a comma where several are taken.
    ("clinicctl appointment list --status scheduled,c",
     ["scheduled,completed", "scheduled,cancelled"]),
    ("clinicctl client list --status a", ["all", "active"]),
    ("clinicctl client status X --provider Y --set ", ["new", "active", "inactive",
                                                       "discharged"]),
    ("clinicctl staff list --role r", ["records-custodian"]),
    ("clinicctl staff roles X --add sch", ["scheduler"]),
    ("clinicctl staff roles X --remove b", ["biller"]),
    ("clinicctl staff add X --records-owner ", ["group", "provider"]),
    ("clinicctl staff reassign X --to Y --appointments ", ["future"]),
    ("clinicctl note add X --kind ", ["progress", "intake", "private"]),
    ("clinicctl appointment book --repeat ", ["weekly", "biweekly", "monthly"]),
    ("clinicctl appointment book --unit w", ["weeks"]),
    ("clinicctl appointment book --on mon,t", ["mon,tue", "mon,thu"]),
    ("clinicctl appointment cancel 3 --scope ", ["this", "future", "series"]),
    ("clinicctl availability add X --days fri,s", ["fri,sat", "fri,sun"]),
    ("clinicctl audit list --outcome ", ["ok", "denied"]),
    ("clinicctl audit list --action note.", ["note.add", "note.list", "note.read",
                                             "note.sign"]),
    ("clinicctl location edit X --appointments ", ["future"]),
    ("clinicctl staff list -o ", ["table", "json", "csv"]),
    ("clinicctl export clients --format ", ["csv", "json"]),
    ("clinicctl import clients f.csv --preset ", ["openemr", "simplepractice", "generic"]),
    ("clinicctl import staff f.csv --preset g", ["generic"]),
])
def test_commands_options_and_fixed_choices_complete(line, expected
                                                     ):  # type: ignore[no-untyped-def]
    assert complete(line) == expected


# --- the scripts --------------------------------------------------------------------------------

def test_the_bash_script_calls_clinicctl_back(cli):  # type: ignore[no-untyped-def]
    result = cli("completion", "bash", actor=None)
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert f"{COMPLETE_VAR}=complete_bash $1" in result.stdout
    assert result.stdout.rstrip().endswith(
        "complete -o default -F _clinicctl_completion clinicctl")


def test_the_zsh_and_fish_scripts(cli):  # type: ignore[no-untyped-def]
    zsh = cli("completion", "zsh", actor=None)
    assert zsh.exit_code == 0, zsh.output
    assert zsh.stdout.startswith("#compdef clinicctl\n")
    assert f"{COMPLETE_VAR}=complete_zsh clinicctl" in zsh.stdout
    fish = cli("completion", "fish", actor=None)
    assert fish.exit_code == 0, fish.output
    assert fish.stdout.startswith("complete --command clinicctl --no-files")
    assert f"{COMPLETE_VAR}=complete_fish" in fish.stdout


def test_the_script_needs_no_database_or_config(cli, tmp_path, monkeypatch
                                                ):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("CLINICCTL_CONFIG", str(tmp_path / "missing.toml"))
    monkeypatch.setenv("CLINICCTL_DB", "not a url")
    result = cli("completion", "bash", actor=None)
    assert result.exit_code == 0, result.output


def test_an_unknown_shell(cli):  # type: ignore[no-untyped-def]
    result = cli("completion", "powershel", actor=None)
    assert result.exit_code == 2, result.output
    assert result.stderr == ("Error: No such command 'powershel'. "
                             "(see `clinicctl completion --help`)\n")


def test_the_bash_script_completes_in_bash(tmp_path, no_database
                                           ):  # type: ignore[no-untyped-def]
    """The script as bash runs it, calling this clinicctl back (a shim on PATH)."""
    import shutil

    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("no bash on this machine")
    shim = tmp_path / "bin" / "clinicctl"
    shim.parent.mkdir()
    shim.write_text(f"#!/bin/sh\nexec {sys.executable} -m clinicctl \"$@\"\n")
    shim.chmod(0o755)
    env = {**os.environ, "PATH": f"{shim.parent}{os.pathsep}{os.environ['PATH']}"}
    program = ('source <(clinicctl completion bash)\n'
               'COMP_WORDS=(clinicctl appointment list --status ""); COMP_CWORD=4\n'
               '_clinicctl_completion clinicctl; echo "${COMPREPLY[*]}"\n')
    done = subprocess.run([bash, "--norc", "-c", program], capture_output=True, text=True,
                          env=env, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == list(APPOINTMENT_STATUSES)
    assert not no_database.exists()
