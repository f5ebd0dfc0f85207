"""Startup cost: ``--help`` and ``--version`` load neither SQLAlchemy nor Alembic nor the models
nor rich tables nor the FHIR models, and data commands never load Alembic or FHIR. Each check
runs in a fresh interpreter, because this test process has long since imported everything."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.cast import OWNER_EMAIL

PROBE = """
import json, sys
from clinicctl.cli import app

def loaded():
    return sorted(m for m in sys.modules
                  if m.split(".")[0] in ("sqlalchemy", "alembic", "fhir", "fhir_core")
                  or m in ("clinicctl.models", "clinicctl.migrate", "clinicctl.db",
                           "rich.table", "rich.progress", "icalendar", "dateutil"))

report = {"after_import": loaded()}
try:
    app(sys.argv[2:], prog_name="clinicctl")
except SystemExit as exc:
    report["exit_code"] = exc.code
report["after_run"] = loaded()
with open(sys.argv[1], "w") as handle:
    json.dump(report, handle)
"""


def probe(tmp_path: Path, *args: str) -> tuple[dict[str, object], subprocess.CompletedProcess[str]]:
    out = tmp_path / "probe.json"
    done = subprocess.run([sys.executable, "-c", PROBE, str(out), *args], capture_output=True,
                          text=True, env={**os.environ, "NO_COLOR": "1"}, timeout=60,
                          check=False)
    assert "Traceback" not in done.stderr, done.stderr
    return json.loads(out.read_text()), done


@pytest.mark.parametrize("flag", ["--help", "--version"])
def test_help_and_version_load_no_database_code(tmp_path, flag):
    report, done = probe(tmp_path, flag)
    assert report["exit_code"] in (0, None), done.stderr
    assert report["after_import"] == []
    assert report["after_run"] == []
    assert done.stdout.strip()


@pytest.mark.parametrize("args", [("client", "--help"), ("client", "share", "--help"),
                                  ("note", "list", "--help"), ("export", "--help"),
                                  ("import", "clients", "--help"),
                                  ("export", "calendar", "--help"), ("export", "fhir", "--help")],
                         ids=" ".join)
def test_command_help_loads_no_database_code(tmp_path, args):
    report, done = probe(tmp_path, *args)
    assert report["exit_code"] in (0, None), done.stderr
    assert report["after_run"] == []


def test_data_command_does_not_load_alembic(tmp_path, db_url):
    report, done = probe(tmp_path, "--as", OWNER_EMAIL, "client", "list", "-o", "json")
    assert report["exit_code"] in (0, None), done.stderr
    assert json.loads(done.stdout) == []
    loaded = report["after_run"]
    assert isinstance(loaded, list)
    assert "sqlalchemy" in loaded  # the probe does see what a data command loads
    assert not [m for m in loaded if m.split(".")[0] == "alembic"]
    assert "clinicctl.migrate" not in loaded
    assert "rich.table" not in loaded  # JSON output needs no table
    assert not [m for m in loaded if m.split(".")[0] in ("fhir", "fhir_core")]


def test_help_prints_brackets_as_written(cli):
    result = cli("--help", actor=None)
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())
    for variable in ("CLINICCTL_DB", "CLINICCTL_CONFIG", "CLINICCTL_ACTOR", "CLINICCTL_QUIET"):
        assert f"[env {variable}]" in text


def test_exit_codes_are_documented_in_help(cli):
    from clinicctl.errors import EXIT_CODE_HELP, ExitCode

    result = cli("--help", actor=None)
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())
    assert "Exit codes:" in text
    for code in ExitCode:
        assert f"{int(code)} {EXIT_CODE_HELP[code]}" in text, code
    # The meanings of the specification's table.
    for fragment in ("0 success, including an idempotent no-op", "1 unexpected error",
                     "2 usage error or invalid input", "3 not found or ambiguous reference",
                     "4 permission denied for the actor's roles", "5 conflict",
                     "6 database unavailable, locked"):
        assert fragment in text, fragment


def test_version_is_answered_before_the_app_is_loaded():
    code = ("import sys; sys.argv = ['clinicctl', '--version']\n"
            "from clinicctl.console import main\n"
            "main()\n"
            "print(sorted({m.split('.')[0] for m in sys.modules}\n"
            "             & {'typer', 'click', 'rich', 'sqlalchemy', 'pydantic'}))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    from clinicctl import __version__

    assert done.stdout.splitlines() == [f"clinicctl {__version__}", "[]"]


def test_the_console_script_runs_the_app():
    done = subprocess.run([sys.executable, "-m", "clinicctl", "--help"], capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Usage: ")


LOADED_GROUPS = """
import sys
sys.argv = ["clinicctl", *sys.argv[1:]]
from clinicctl.console import main
try:
    main()
except SystemExit:
    pass
print(sorted(m.rsplit(".", 1)[1] for m in sys.modules
             if m.startswith("clinicctl.commands.") and not m.rsplit(".", 1)[1].startswith("_")))
"""


@pytest.mark.parametrize("args,loaded", [
    (["client", "list", "--help"], ["client", "setup"]),
    # A global option's value that is also a group's name is not taken for the group.
    (["--db", "sqlite:///x", "--as", "client", "staff", "--help"], ["setup", "staff"]),
    (["--db=sqlite:///x", "-q", "export", "clients", "--help"], ["export", "setup"]),
    (["import", "--help"], ["import_", "setup"]),
    (["demo", "--help"], ["setup"]),
    (["clinet", "list"], ["setup"]),
], ids=" ".join)
def test_a_command_line_loads_only_the_group_it_runs(args, loaded):
    done = subprocess.run([sys.executable, "-c", LOADED_GROUPS, *args], capture_output=True,
                          text=True, timeout=60, check=False)
    assert "Traceback" not in done.stderr, done.stderr
    assert done.stdout.splitlines()[-1] == str(loaded)


def test_root_help_lists_every_group_in_order(cli):
    from clinicctl.cli import GROUPS

    result = cli("--help", actor=None)
    assert result.exit_code == 0, result.output
    listed = [line.split()[0] for line in result.stdout.split("Commands:")[1].splitlines()
              if line.startswith("  ") and not line.startswith("   ")]
    assert listed[:2] == ["init", "demo"]
    assert listed[2:2 + len(GROUPS)] == list(GROUPS)


def test_a_data_command_builds_only_its_own_group(tmp_path, db_url):
    code = ("import sys\n"
            "sys.argv = ['clinicctl', '--as', sys.argv[1], 'client', 'list', '-o', 'json']\n"
            "from clinicctl.console import main\n"
            "try:\n"
            "    main()\n"
            "except SystemExit:\n"
            "    pass\n"
            "print(sorted(m for m in sys.modules if m.startswith('clinicctl.commands.')))")
    done = subprocess.run([sys.executable, "-c", code, OWNER_EMAIL], capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    data, loaded = done.stdout.rsplit("\n", 2)[0], done.stdout.splitlines()[-1]
    assert json.loads(data) == []
    assert loaded == str(["clinicctl.commands._client_tables", "clinicctl.commands._common",
                          "clinicctl.commands.client", "clinicctl.commands.setup"])
