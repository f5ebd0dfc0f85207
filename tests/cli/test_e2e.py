"""End to end: the installed ``clinicctl`` console script in real subprocesses, configured the
way scripts and cron jobs configure it (CLINICCTL_DB and CLINICCTL_ACTOR)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.cast import OWNER_EMAIL, PRACTICE_TZ

pytestmark = pytest.mark.slow

SAM = "sam@riverside.example"
ANA = "ana@riverside.example"


def command() -> list[str]:
    """The console script next to this interpreter, else on PATH, else ``python -m``."""
    beside = Path(sys.executable).with_name("clinicctl")
    if beside.exists():
        return [str(beside)]
    found = shutil.which("clinicctl")
    return [found] if found else [sys.executable, "-m", "clinicctl"]


def run(*args: str, actor: str | None = OWNER_EMAIL, check_code: int | None = 0
        ) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "NO_COLOR": "1"}
    env.pop("CLINICCTL_ACTOR", None)
    if actor:
        env["CLINICCTL_ACTOR"] = actor
    done = subprocess.run([*command(), *args], capture_output=True, env=env, timeout=120,
                          check=False)
    stderr = done.stderr.decode()
    assert "Traceback" not in stderr, stderr
    if check_code is not None:
        assert done.returncode == check_code, (done.stdout.decode(), stderr)
    return done


def as_json(done: subprocess.CompletedProcess[bytes]):
    return json.loads(done.stdout.decode())


def test_sharing_without_chart_notes(empty_db_url):
    init = run("init", "--practice", "Riverside Counseling", "--timezone", PRACTICE_TZ,
               "--owner-name", "Dana Reyes", "--owner-email", OWNER_EMAIL, actor=None)
    assert init.stdout == b""
    assert b"Initialised Riverside Counseling" in init.stderr

    for name, email in (("Sam Okafor", SAM), ("Ana Ruiz", ANA)):
        added = run("staff", "add", name, "--email", email, "--role", "provider", "-o", "json")
        assert as_json(added)["email"] == email

    client = as_json(run("client", "add", "Maya", "Chen", "--dob", "1990-04-12",
                         "--provider", SAM, "--diagnosis", "F41.1", "-o", "json"))
    assert (client["name"], client["dob"]) == ("Maya Chen", "1990-04-12")

    note = as_json(run("note", "add", "Maya Chen", "--body", "Session 1: intake.", "-o",
                       "json", actor=SAM))
    assert (note["kind"], note["body"]) == ("progress", "Session 1: intake.")

    shared = run("client", "share", "Maya Chen", "--from", SAM, "--to", ANA, "-o", "json")
    assert as_json(shared) == {"client_id": client["id"], "from_id": note["author_id"],
                               "to_id": as_json(shared)["to_id"], "assignment": "created",
                               "chart_share": "none", "changed": True}
    again = run("client", "share", "Maya Chen", "--from", SAM, "--to", ANA, "-o", "json")
    assert as_json(again)["changed"] is False
    assert again.stderr == b"Already shared with Ana Ruiz; nothing changed.\n"

    assert as_json(run("note", "list", "Maya Chen", "-o", "json", actor=ANA)) == []
    assert [n["id"] for n in as_json(run("note", "list", "Maya Chen", "-o", "json",
                                         actor=SAM))] == [note["id"]]
    denied = run("note", "show", str(note["id"]), actor=ANA, check_code=4)
    assert denied.stdout == b""
    assert denied.stderr == b"Error: note.read: no access to this chart note\n"

    csv_out = run("client", "list", "--provider", ANA, "-o", "csv")
    assert csv_out.stdout == (b"id,first_name,last_name,name,dob,external_id\r\n"
                              + f"{client['id']},Maya,Chen,Maya Chen,1990-04-12,\r\n".encode())


def test_errors_from_the_installed_command(empty_db_url):
    missing = run("client", "list", check_code=6)
    assert missing.stdout == b""
    assert missing.stderr.decode().count("\n") == 1
    assert missing.stderr.startswith(b"Error: database ")

    run("init", "--practice", "Riverside Counseling", "--timezone", PRACTICE_TZ,
        "--owner-name", "Dana Reyes", "--owner-email", OWNER_EMAIL, actor=None)
    no_actor = run("client", "list", actor=None, check_code=2)
    assert no_actor.stderr.startswith(b"Error: no actor: ")
    assert b"CLINICCTL_ACTOR" in no_actor.stderr
    unknown = run("client", "show", "Nobody Known", check_code=3)
    assert unknown.stderr == b"Error: no client matches 'Nobody Known'\n"
    bad_option = run("client", "list", "-o", "xml", check_code=2)
    assert bad_option.stdout == b""
    assert bad_option.stderr.decode().count("\n") == 1


def test_version_and_module_entry_point():
    from clinicctl import __version__

    assert run("--version", actor=None).stdout == f"clinicctl {__version__}\n".encode()
    done = subprocess.run([sys.executable, "-m", "clinicctl", "--version"],
                          capture_output=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"clinicctl {__version__}\n".encode()
