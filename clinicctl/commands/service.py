"""``clinicctl service``: what is billed (CPT codes) and how long it takes by default."""

from __future__ import annotations

from typing import Annotated

import typer

from clinicctl.commands._common import (
    DryRunOption,
    FormatOption,
    command_group,
    output_format,
    report_change,
    session,
)
from clinicctl.output import message, render_list, render_object

app = command_group(help="Service (CPT) codes and their default minutes.")

SERVICE_COLUMNS = [("code", "Code"), ("name", "Name"), ("minutes", "Minutes"),
                   ("builtin", "Built in")]


@app.command("add")
def add_service(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="Service code, e.g. a CPT code.")],
    name: Annotated[str, typer.Option(help="What the service is.")],
    minutes: Annotated[int, typer.Option(help="Default length in minutes.")],
    dry_run: DryRunOption = False,
    fmt: FormatOption = None,
) -> None:
    """Add a practice-defined service code (owner, manager).

    Example: clinicctl service add 90838 --name "Psychotherapy add-on, 60 minutes" --minutes 60
    """
    from clinicctl.scheduling import catalog

    with session(ctx, dry_run=dry_run) as (db, actor):
        service, created = catalog.add_service(db, actor, code, name, minutes)
        row = {"code": service.code, "name": service.name, "minutes": service.minutes,
               "builtin": service.builtin}
    render_object(row, SERVICE_COLUMNS, output_format(ctx, fmt))
    if created:
        report_change(f"Added service {row['code']}.", dry_run=dry_run)
    else:
        message(f"Service {row['code']} already exists; nothing changed.")


@app.command("edit")
def edit_service(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="Service code, e.g. a CPT code.")],
    name: Annotated[str | None, typer.Option(help="What the service is.")] = None,
    minutes: Annotated[int | None, typer.Option(help="Default length in minutes.")] = None,
    dry_run: DryRunOption = False,
    fmt: FormatOption = None,
) -> None:
    """Change a service's name or default minutes, built-in codes too (owner, manager).

    New bookings take the new minutes as their default length; booked appointments keep
    their times and show the service's new name.
    Example: clinicctl service edit 90837 --minutes 55
    """
    from clinicctl.scheduling import catalog

    with session(ctx, dry_run=dry_run) as (db, actor):
        service, changes = catalog.edit_service(db, actor, code, name=name, minutes=minutes)
        row = {"code": service.code, "name": service.name, "minutes": service.minutes,
               "builtin": service.builtin, "changed": bool(changes)}
    render_object(row, SERVICE_COLUMNS, output_format(ctx, fmt))
    if not changes:
        message(f"Service {row['code']} already has these values; nothing changed.")
        return
    text = ", ".join(f"{key} {change['from']!r} -> {change['to']!r}"
                     for key, change in changes.items())
    report_change(f"Changed service {row['code']}: {text}.", dry_run=dry_run)


@app.command("list")
def list_services(ctx: typer.Context, fmt: FormatOption = None) -> None:
    """List service codes: the built-in behavioural-health CPT codes and the practice's own.

    Example: clinicctl service list
    """
    from clinicctl.scheduling import catalog

    with session(ctx, write=False) as (db, actor):
        rows = [{"code": s.code, "name": s.name, "minutes": s.minutes, "builtin": s.builtin}
                for s in catalog.list_services(db, actor)]
    render_list(rows, SERVICE_COLUMNS, output_format(ctx, fmt))
