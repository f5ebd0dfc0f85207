"""``clinicctl audit``: read and verify the audit trail."""

from __future__ import annotations

from typing import Annotated

import typer

from clinicctl.commands._common import FormatOption, command_group, output_format, session
from clinicctl.output import message, render_list, render_object

app = command_group(help="The audit trail: list events, verify the hash chain.")

COLUMNS = [("id", "ID"), ("at", "At"), ("actor_id", "Actor"), ("action", "Action"),
           ("object_type", "Object"), ("object_id", "Object ID"), ("client_id", "Client"),
           ("outcome", "Outcome"), ("details", "Details")]


@app.command("list")
def list_events(
    ctx: typer.Context,
    actor: Annotated[str | None, typer.Option("--actor", help="Staff who acted.")] = None,
    client: Annotated[str | None, typer.Option(help="Events about this client.")] = None,
    action: Annotated[str | None, typer.Option(
        help="Action, '*' as wildcard: e.g. 'note.*'.")] = None,
    outcome: Annotated[str | None, typer.Option(help="ok or denied.")] = None,
    since: Annotated[str | None, typer.Option(help="From this date (YYYY-MM-DD).")] = None,
    until: Annotated[str | None, typer.Option(help="Before this date (YYYY-MM-DD).")] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="Only the last N events.")] = None,
    fmt: FormatOption = None,
) -> None:
    """List audit events (owner, manager, records custodian in scope).

    Example: clinicctl audit list --client "Maya Chen" --outcome denied
    """
    from clinicctl.services import audit
    from clinicctl.services.practice import practice_zone

    with session(ctx) as (db, me):
        events = audit.list_for(db, me, actor_ref=actor, client_ref=client, action=action,
                                outcome=outcome, since=since, until=until, limit=limit)
        zone = practice_zone(db)
        rows = [audit.event_row(e, zone) for e in events]
    render_list(rows, COLUMNS, output_format(ctx, fmt))


@app.command()
def verify(ctx: typer.Context, fmt: FormatOption = None) -> None:
    """Check the hash chain; exits 5 and names the first broken link if it is broken.

    Example: clinicctl audit verify
    """
    from clinicctl.errors import Conflict
    from clinicctl.services import audit

    with session(ctx) as (db, me):
        result = audit.verify_for(db, me)
    render_object({"events": result.events, "ok": result.ok, "broken_at": result.broken_at,
                   "reason": result.reason},
                  [("events", "Events"), ("ok", "OK"), ("broken_at", "Broken at"),
                   ("reason", "Reason")], output_format(ctx, fmt))
    if not result.ok:
        raise Conflict(f"audit chain broken at event #{result.broken_at}: {result.reason}")
    message(f"Audit chain intact ({result.events} events).")
