"""``clinicctl audit``: read and verify the audit trail."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from clinicctl.actions import Action
from clinicctl.choices import AUDIT_OUTCOMES, completer
from clinicctl.commands._common import FormatOption, command_group, output_format, session
from clinicctl.output import NAME, TEXT, Layout, message, render_list, render_object, warning

app = command_group(help="The audit trail: list events, verify the hash chain.")

COLUMNS = [("id", "ID"), ("at", "At"), ("actor_id", "Actor ID"), ("action", "Action"),
           ("object_type", "Object"), ("object_id", "Object ID"), ("client_id", "Client ID"),
           ("outcome", "Outcome"), ("details", "Details"), ("actor", "Actor")]
TABLE = Layout([("id", "ID"), ("at", "At"), ("actor", "Actor"), ("action", "Action"),
                ("outcome", "Outcome"), ("client_id", "Client ID"), ("object", "Object"),
                ("details", "Details"), ("actor_id", "Actor ID")],
               optional=["actor_id", "details", "object", "client_id"],
               wrap={"actor": NAME, "details": TEXT},
               cells=lambda row: {"object": " #".join(
                   str(part) for part in (row["object_type"], row["object_id"])
                   if part is not None)})


EMERGENCY_COLUMNS = [("id", "ID"), ("at", "At"), ("actor_id", "Actor ID"), ("actor", "Actor"),
                     ("client_id", "Client ID"), ("object_id", "Access ID"),
                     ("outcome", "Outcome"), ("expires_at", "Expires"), ("reason", "Reason"),
                     ("reason_hidden", "Reason hidden")]
EMERGENCY_TABLE = Layout([("id", "ID"), ("at", "At"), ("actor", "Actor"),
                          ("client_id", "Client ID"), ("outcome", "Outcome"),
                          ("expires_at", "Expires"),
                          ("reason_text", "Reason"), ("actor_id", "Actor ID")],
                         optional=["actor_id"], wrap={"actor": NAME, "reason_text": TEXT},
                         cells=lambda row: {"reason_text": row["reason"] if not row[
                             "reason_hidden"] else "(owner and records custodians only)"})


@app.command("list")
def list_events(
    ctx: typer.Context,
    actor: Annotated[str | None, typer.Option("--actor", help="Staff who acted.")] = None,
    client: Annotated[str | None, typer.Option(help="Events about this client.")] = None,
    action: Annotated[str | None, typer.Option(
        help="Action, '*' as wildcard: e.g. 'note.*'.",
        autocompletion=completer([str(action) for action in Action]))] = None,
    outcome: Annotated[str | None, typer.Option(help="ok or denied.",
                                                autocompletion=completer(AUDIT_OUTCOMES))
                       ] = None,
    from_: Annotated[str | None, typer.Option(
        "--from", help="From this day (YYYY-MM-DD).")] = None,
    to: Annotated[str | None, typer.Option(
        "--to", help="To this day, inclusive (YYYY-MM-DD).")] = None,
    since: Annotated[str | None, typer.Option(hidden=True)] = None,
    until: Annotated[str | None, typer.Option(hidden=True)] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="Only the last N events.")] = None,
    emergency: Annotated[bool, typer.Option(
        "--emergency", help="Only emergency access (`client access --emergency`), with "
        "when it expires and its reason.")] = False,
    fmt: FormatOption = None,
) -> None:
    """List audit events (owner, manager, records custodian in scope).

    --from and --to are days in the practice's time zone, both included, as everywhere;
    the older --since and --until still work as their aliases (--until is now inclusive).
    --emergency lists the emergency accesses opened; the reason shows to the owner and to
    records custodians covering the client (a manager sees that one was opened, not why).
    Example: clinicctl audit list --client "Maya Chen" --outcome denied --from 2026-12-01
    Example: clinicctl audit list --emergency --from 2026-12-01
    """
    from clinicctl.days import practice_zone
    from clinicctl.errors import InvalidInput
    from clinicctl.oversight import audit_log
    from clinicctl.people.names import staff_names

    if emergency:
        if action is not None:
            raise InvalidInput("--emergency lists one action (client.emergency); leave out "
                               "--action")
    for name, alias, given, aliased in (("from", "since", from_, since),
                                        ("to", "until", to, until)):
        if given is not None and aliased is not None:
            raise InvalidInput(f"give either --{name} or --{alias} (its older name), not both")
    # The days as typed, with the option's name, for the error of a malformed one.
    first = (from_, "--from") if from_ is not None else (since, "--since")
    last = (to, "--to") if to is not None else (until, "--until")
    searched = " ".join(f"{what} {value}" for what, value in (
        ("by", actor), ("about", client), ("for action", action), ("with outcome", outcome),
        ("from", first[0]), ("to", last[0])) if value)
    if emergency:
        action = str(Action.CLIENT_EMERGENCY)
    with session(ctx) as (db, me):
        events = audit_log.list_for(db, me, actor_ref=actor, client_ref=client, action=action,
                                    outcome=outcome, first_day=first, last_day=last,
                                    limit=limit)
        zone = practice_zone(db)
        actors = staff_names(db, me, (e.actor_id for e in events))
        rows = [{**audit_log.event_row(e, zone), "actor": actors.get(e.actor_id or 0)}
                for e in events]
        if emergency:
            from clinicctl.charts.emergency import reasons_for

            for row, found in zip(rows, reasons_for(db, me, events), strict=True):
                row.update(expires_at=found.expires_at, reason=found.reason,
                           reason_hidden=found.reason_hidden)
    if emergency:
        render_list(rows, EMERGENCY_COLUMNS, output_format(ctx, fmt), table=EMERGENCY_TABLE,
                    empty="No emergency access" + (f" {searched}" if searched else "") + ".")
        return
    render_list(rows, COLUMNS, output_format(ctx, fmt), table=TABLE,
                empty="No audit events" + (f" {searched}" if searched else "") + ".")


@app.command()
def verify(
    ctx: typer.Context,
    anchor: Annotated[list[str] | None, typer.Option(
        "--anchor", metavar="FILE", help="An anchor written by `audit anchor` (repeat for "
        "several; - reads standard input).")] = None,
    fmt: FormatOption = None,
) -> None:
    """Check the hash chain, and that each anchored event is still there unchanged.

    Exits 5 and names the first broken link, or the first anchor the trail no longer
    matches. Without an anchor this proves the events are consistent with each other, not
    that none were removed from the end or the whole chain recomputed: keep anchors outside
    the database. Example: clinicctl audit verify --anchor /srv/anchors/2026-12-01.json
    """
    from clinicctl import trail
    from clinicctl.errors import Conflict
    from clinicctl.oversight import audit_log

    anchors = [trail.load_anchor(path) for path in anchor or []]
    with session(ctx, write=False) as (db, me):
        result = audit_log.verify_for(db, me, anchors)
    render_object({"events": result.events, "ok": result.ok, "broken_at": result.broken_at,
                   "reason": result.reason,
                   "anchors": [check.as_dict() for check in result.anchors]},
                  [("events", "Events"), ("ok", "OK"), ("broken_at", "Broken at"),
                   ("reason", "Reason")], output_format(ctx, fmt))
    for check in result.anchors:
        where = f"Anchor {check.anchor.source} (event #{check.anchor.event_id})"
        if check.ok:
            message(f"{where}: intact, {check.events_after} events after it.")
        else:
            warning(f"{where}: {check.reason}.")
    if not result.chain_ok:
        raise Conflict(f"audit chain broken at event #{result.broken_at}: {result.reason}")
    first = result.first_broken_anchor
    if first is not None:
        raise Conflict(f"audit trail does not match anchor {first.anchor.source}: "
                       f"{first.reason}")
    message(f"Audit chain intact ({result.events} events).")


@app.command()
def anchor(
    ctx: typer.Context,
    output: Annotated[Path | None, typer.Option(
        "--output", metavar="FILE", help="Write the anchor here (mode 0600) instead of "
        "stdout ('-' for stdout).")] = None,
) -> None:
    """Print the chain's head as JSON (event_id, hash, at, count), to keep outside the database.

    `audit verify --anchor FILE` later proves that every event up to this one is still there
    and unchanged. Mail it or store it on another machine every night, e.g. from cron:
    clinicctl audit anchor | mail -s "clinicctl anchor" audit@riverside.example
    Example: clinicctl audit anchor --output anchors/$(date +%F).json
    """
    import json

    from clinicctl.commands._common import output_file
    from clinicctl.days import practice_zone
    from clinicctl.oversight import audit_log

    with session(ctx, write=False) as (db, me):
        head = audit_log.anchor_for(db, me, practice_zone(db))
    with output_file(output) as handle:
        handle.write(json.dumps(head.as_dict()) + "\n")
    if output is not None and str(output) != "-":
        message(f"Anchored event #{head.event_id} ({head.count} events) in {output}.")
