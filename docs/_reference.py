"""The command reference in ``docs/cli-reference.md``: every group and command with its --help.

Run by cog (``cog -r docs/cli-reference.md`` rewrites it, ``cog --check`` fails when it is out
of date). The commands are found through the root group's ``list_commands`` and
``get_command``, never its ``commands`` dict, so groups that are loaded on demand are listed
too. The help is rendered at a fixed width with no ``CLINICCTL_*`` variables set, so the
text is the same on every machine.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import typer
import typer.main
from typer.testing import CliRunner

WIDTH = 100


def command_paths() -> Iterator[list[str]]:
    """The arguments naming every group and command, the root (``[]``) first, in --help order."""
    from clinicctl.cli import app

    root = typer.main.get_command(app)
    yield from _walk(root, typer.Context(root, info_name="clinicctl"), [])


def _walk(command: Any, ctx: Any, path: list[str]) -> Iterator[list[str]]:
    yield path
    if not hasattr(command, "list_commands"):
        return
    for name in command.list_commands(ctx):
        sub = command.get_command(ctx, name)
        if sub is None or getattr(sub, "hidden", False):
            continue
        yield from _walk(sub, typer.Context(sub, info_name=name, parent=ctx), [*path, name])


def help_text(path: list[str]) -> str:
    """``clinicctl PATH --help`` as printed at WIDTH columns."""
    from clinicctl.cli import app

    env: dict[str, str | None] = {key: None for key in os.environ if key.startswith("CLINICCTL_")}
    env.update(COLUMNS=str(WIDTH), LINES="50", NO_COLOR="1", TERM="dumb")
    result = CliRunner().invoke(app, [*path, "--help"], env=env, terminal_width=WIDTH)
    if result.exit_code != 0:
        raise RuntimeError(f"clinicctl {' '.join(path)} --help exited {result.exit_code}:\n"
                           f"{result.output}")
    return result.output


def heading(path: list[str]) -> str:
    return "## " + " ".join(["clinicctl", *path])


def render() -> str:
    """The Markdown between the cog markers: a heading and a fenced --help per command."""
    parts = []
    for path in command_paths():
        parts.append(f"{heading(path)}\n\n```text\n{help_text(path).rstrip()}\n```\n")
    return "\n".join(parts)
