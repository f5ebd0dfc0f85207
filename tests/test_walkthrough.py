"""The PostgreSQL walk-through of docs/setup.md, run as written (hosts, database and login
names made unique): a new practice gets a login per person and row-level security from these
steps."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

SETUP_GUIDE = Path(__file__).resolve().parent.parent / "docs" / "setup.md"
MARK = "<!-- walkthrough: postgresql -->"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif("os.environ.get('CLINICCTL_TEST_DB', 'sqlite').strip() in ('', 'sqlite')",
                       reason="the walk-through sets up PostgreSQL"),
]


def walkthrough_commands() -> list[str]:
    text = SETUP_GUIDE.read_text()
    block = text[text.index(MARK):].split("```sh\n", 1)[1].split("\n```", 1)[0]
    commands, pending = [], ""
    for line in block.splitlines():
        if pending:
            line = pending + " " + line.strip()
            pending = ""
        if line.endswith("\\"):
            pending = line[:-1].rstrip()
            continue
        if line.strip() and not line.lstrip().startswith("#"):
            commands.append(line.strip())
    return commands


def localise(command: str, names: dict[str, str]) -> str:
    command = command.replace("db.riverside.internal", "127.0.0.1")
    for old, new in names.items():
        command = re.sub(rf"(?<![\w@.]){re.escape(old)}(?![\w.]|@riverside)", new, command)
    return command


def test_the_readme_walkthrough_runs_as_written(backend):
    tag = uuid.uuid4().hex[:8]
    names = {name: f"ct_{tag}_{name}" for name in ("clinic_admin", "clinic", "dana", "morgan",
                                                   "sam", "ana")}
    commands = walkthrough_commands()
    assert any("staff login" in c for c in commands) and any("psql" in c for c in commands)
    bin_dir = str(Path(sys.executable).parent)
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("CLINICCTL_")},
           "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
           "PGHOST": "127.0.0.1", "PGUSER": "postgres", "PGDATABASE": "postgres"}
    errors = f"/tmp/walkthrough-{tag}.err"
    lines = ["set -u"]
    for command in commands:
        command = localise(command, names)
        expected_code, expected_out = 0, None
        if "#" in command:
            command, comment = (part.strip() for part in command.split("#", 1))
            if match := re.match(r"exit (\d+)", comment):
                expected_code = int(match[1])
            elif match := re.match(r"prints (.*)", comment):
                expected_out = match[1].strip()
        if command.startswith(("export ", "unset ")):
            lines.append(command)
            continue
        shown = shlex.quote(command)
        check_out = (f'[ "$out" = {shlex.quote(expected_out)} ] || '
                     f'{{ echo "unexpected output of:" {shown} "$out" >&2; exit 1; }}'
                     if expected_out is not None else ":")
        lines.append(f"out=$({command} 2>{errors}); code=$?; "
                     f'[ "$code" -eq {expected_code} ] || '
                     f'{{ echo "exit $code from:" {shown} >&2; cat {errors} >&2; exit 1; }}; '
                     f"{check_out}")
    try:
        done = subprocess.run(["bash", "-c", "\n".join(lines)], env=env, capture_output=True,
                              text=True, timeout=300)
        assert done.returncode == 0, done.stderr
    finally:
        cleanup = [f'DROP DATABASE IF EXISTS "{names["clinic"]}" WITH (FORCE)'] + [
            f'DROP ROLE IF EXISTS "{names[n]}"' for n in ("dana", "morgan", "sam", "ana",
                                                          "clinic_admin")]
        for statement in cleanup:
            subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres",
                            "-qc", statement], capture_output=True, timeout=60)
        Path(errors).unlink(missing_ok=True)
