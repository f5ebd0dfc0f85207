"""``clinicctl demo``: the demo practice, and the state the walkthrough leaves it in.

The demo builds its own SQLite file, so these tests run unchanged on a PostgreSQL run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

MANAGER = "morgan@riverside.example"
FIRST = "sam@riverside.example"  # has Maya Chen and writes her chart
NEW = "ana@riverside.example"  # gets Maya Chen shared, demographics only
CLIENT = "Maya Chen"
REFUSED = "Error: note.read: no access to this chart note\n"


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


@pytest.fixture(scope="module")
def built_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``clinicctl demo`` run once for the module; each test gets its own copy."""
    from typer.testing import CliRunner

    from clinicctl.cli import app

    path = tmp_path_factory.mktemp("demo") / "demo.sqlite3"
    result = CliRunner().invoke(app, ["demo", "--db", sqlite_url(path)])
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture
def demo_path(built_demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh copy of the demo database, also set as CLINICCTL_DB."""
    path = tmp_path / "demo.sqlite3"
    shutil.copyfile(built_demo, path)
    monkeypatch.setenv("CLINICCTL_DB", sqlite_url(path))
    return path


def staff_id(cli, email: str) -> int:
    result = cli("staff", "show", email, "-o", "json", actor=MANAGER)
    assert result.exit_code == 0, result.output
    return result.json()["id"]


def first_provider_notes(cli) -> list[dict]:
    result = cli("note", "list", CLIENT, "-o", "json", actor=FIRST)
    assert result.exit_code == 0, result.output
    return result.json()


def test_demo_walks_through_the_steps_on_stderr(cli, tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "demo.sqlite3")
    result = cli("demo", "--db", url, actor=None)
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    for heading in ("Step 1. Morgan Blake (practice manager) shares Maya Chen with Ana Ruiz, "
                    "demographics only",
                    "Step 2. Sam Okafor starts a one-way chart share with Ana Ruiz",
                    "Step 3. Sam Okafor ends the chart share; Maya Chen stays in Ana Ruiz's list",
                    "Step 4. The chart-sharing section and the access report for Maya Chen"):
        assert f"\n{heading}\n" in result.stderr
    assert "refused  `note show" in result.stderr
    assert f"$ clinicctl --db {url} --as {MANAGER} audit verify\n" in result.stderr
    assert not [line for line in result.stderr.splitlines() if line.endswith(" ")]


def test_demo_refuses_an_existing_file_without_force(cli, demo_path: Path) -> None:
    again = cli("demo", "--db", sqlite_url(demo_path), actor=None)
    assert again.exit_code == 5, again.output
    assert again.stderr == (f"Error: {demo_path} already exists (pass --force to delete it "
                            "and build the demo again)\n")

    forced = cli("demo", "--db", sqlite_url(demo_path), "--force", actor=None)
    assert forced.exit_code == 0, forced.output
    clients = cli("client", "list", "-o", "json", actor=MANAGER)
    assert clients.exit_code == 0, clients.output
    assert len(clients.json()) == 12


def test_demo_defaults_to_a_file_in_the_current_directory(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = cli("demo", actor=None)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "clinicctl-demo.sqlite3").is_file()
    assert "--db sqlite:///clinicctl-demo.sqlite3 " in result.stderr


def test_demo_needs_a_sqlite_file(cli) -> None:
    result = cli("demo", "--db", "postgresql://clinic@db.example/clinic", actor=None)
    assert result.exit_code == 2, result.output
    assert result.stderr == ("Error: the demo builds a fresh SQLite file; give --db "
                             "sqlite:///PATH\n")


def test_new_provider_lists_no_notes(cli, demo_path: Path) -> None:
    result = cli("note", "list", CLIENT, "-o", "json", actor=NEW)
    assert result.exit_code == 0, result.output
    assert result.json() == []


def test_new_provider_is_refused_every_note_of_the_first(cli, demo_path: Path) -> None:
    notes = first_provider_notes(cli)
    assert sorted(n["kind"] for n in notes) == ["intake", "private", "progress", "progress"]
    for note in notes:
        shown = cli("note", "show", str(note["id"]), actor=NEW)
        assert shown.exit_code == 4, shown.output
        assert shown.stderr == REFUSED


def test_client_stays_in_new_providers_list(cli, demo_path: Path) -> None:
    result = cli("client", "list", "--provider", NEW, "-o", "json", actor=NEW)
    assert result.exit_code == 0, result.output
    assert CLIENT in [c["name"] for c in result.json()]


def test_no_chart_share_is_active_at_the_end(cli, demo_path: Path) -> None:
    result = cli("client", "sharing", CLIENT, "-o", "json", actor=MANAGER)
    assert result.exit_code == 0, result.output
    providers = [(p["provider"], p["status"], p["diagnosis"], p["shares_to"])
                 for p in result.json()["providers"]]
    assert providers == [("Sam Okafor", "active", ["F41.1"], []), ("Ana Ruiz", "new", [], [])]


def test_access_report_gives_new_provider_only_her_own_chart(cli, demo_path: Path) -> None:
    result = cli("client", "access", CLIENT, "--staff", NEW, "-o", "json", actor=MANAGER)
    assert result.exit_code == 0, result.output
    [row] = result.json()
    assert row["profile"] is True
    assert row["readable_authors"] == [staff_id(cli, NEW)]


def test_audit_chain_holds_and_records_the_refusals(cli, demo_path: Path) -> None:
    verified = cli("audit", "verify", "-o", "json", actor=MANAGER)
    assert verified.exit_code == 0, verified.output
    assert verified.json()["ok"] is True

    denied = cli("audit", "list", "--outcome", "denied", "-o", "json", actor=MANAGER)
    assert denied.exit_code == 0, denied.output
    events = denied.json()
    notes = {n["kind"]: n["id"] for n in reversed(first_provider_notes(cli))}
    ana = staff_id(cli, NEW)
    assert [(e["actor_id"], e["action"], e["object_type"], e["object_id"]) for e in events] == [
        (ana, "note.read", "chart_note", notes["progress"]),
        (ana, "note.read", "chart_note", notes["private"]),
    ]


@pytest.mark.slow
def test_demo_runs_as_a_program(tmp_path: Path) -> None:
    env = dict(os.environ, HOME=str(tmp_path), NO_COLOR="1")
    result = subprocess.run(
        [sys.executable, "-m", "clinicctl", "demo", "--db", sqlite_url(tmp_path / "d.sqlite3")],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    assert "Step 4." in result.stderr
