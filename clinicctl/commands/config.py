"""``clinicctl config``: write and show the configuration."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from clinicctl.commands._common import FormatOption, command_group, output_format, state
from clinicctl.output import message, render_list

app = command_group(help="Configuration file: write one, show the effective values.")


@app.command("init")
def init_config(
    ctx: typer.Context,
    path: Annotated[Path | None, typer.Option(help="Where to write (default: the config path).")
                    ] = None,
    db: Annotated[str | None, typer.Option(help="Database URL to record.")] = None,
    actor: Annotated[str | None, typer.Option("--actor", help="Default actor to record.")
                     ] = None,
    force: Annotated[bool, typer.Option(help="Overwrite an existing file.")] = False,
) -> None:
    """Write a config file with the effective settings (mode 0600).

    Example: clinicctl config init --actor dana@riverside.example
    """
    from clinicctl.config import check_db_url, write_config_file
    from clinicctl.errors import Conflict, InvalidInput

    app_state = state(ctx)
    app_state.missing_config_ok = True  # the file this writes
    settings = app_state.settings
    target = path or settings.config_path
    assert target is not None
    if target.exists() and not force:
        raise Conflict(f"{target} already exists", hint="add --force to overwrite it")
    if db and ("@" in db and ":" in db.split("@")[0].split("://")[-1]):
        raise InvalidInput("do not put a password in the config file; use ~/.pgpass")
    if db:
        check_db_url(db, "flag")
    values: dict[str, Any] = {"db": db or settings.db, "format": settings.format}
    if actor or settings.actor:
        values["actor"] = actor or settings.actor
    write_config_file(target, values)
    message(f"Wrote {target}.")


@app.command()
def show(ctx: typer.Context, fmt: FormatOption = None) -> None:
    """Show every setting, its effective value, and where it came from (secrets redacted).

    Example: clinicctl config show -o json
    """
    from clinicctl.config import KEYS, redact

    settings = state(ctx).settings
    rows = [{"key": "config", "value": str(settings.config_path),
             "source": settings.sources["config"]}]
    rows += [{"key": key, "value": redact(settings.values.get(key)),
              "source": settings.sources[key]} for key in KEYS]
    render_list(rows, [("key", "Key"), ("value", "Value"), ("source", "Source")],
                output_format(ctx, fmt))
