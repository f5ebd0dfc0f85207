"""What ``client share`` and ``client unshare`` share: their result's columns, the one pair a
command line names, the ``--csv`` batch, and the one-line report of everything a share or an
unshare changed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from clinicctl.commands._common import OutputFormat, open_csv, output_format, report_change, session
from clinicctl.errors import InvalidInput
from clinicctl.output import render_list, warning

SHARE_COLUMNS = [("client_id", "Client"), ("from_id", "From"), ("to_id", "To"),
                 ("assignment", "Assignment"), ("chart_share", "Chart share"),
                 ("changed", "Changed")]


def single_pair(client: str | None, from_: str | None, to: str | None) -> tuple[str, str, str]:
    if not client or not from_ or not to:
        missing = "CLIENT" if not client else "--from" if not from_ else "--to"
        raise InvalidInput(f"missing {missing}: give CLIENT --from A --to B, or --csv FILE")
    return client, from_, to


def share_csv(ctx: typer.Context, path: Path, *, unshare: bool, dry_run: bool,
               fmt: OutputFormat | None) -> None:
    """Read the whole batch, apply it in one transaction, print one result per row."""
    from clinicctl.charts import batch
    from clinicctl.exchange.csvio import read_rows
    from clinicctl.progress import progress

    with open_csv(path) as handle, session(ctx, dry_run=dry_run) as (db, actor):
        rows = read_rows(handle, required=batch.SHARE_COLUMNS,
                         optional=() if unshare else ("mode",))
        with progress("Unsharing" if unshare else "Sharing") as advance:
            results = batch.share_rows(db, actor, rows, unshare=unshare, advance=advance)
    render_list([r.as_dict() for r in results], SHARE_COLUMNS, output_format(ctx, fmt))
    for result in results:
        for note in result.notes:
            warning(note)
    changed = sum(r.changed for r in results)
    verb = "unshared" if unshare else "shared"
    rows_text = f"{len(results)} row" + ("" if len(results) == 1 else "s")
    report_change(f"{rows_text} {verb}: {changed} changed, "
                  f"{len(results) - changed} already in effect.", dry_run=dry_run)


def describe_share(result: Any) -> str:
    """The one-line report of a share or unshare: everything it changed, each chart share it
    ended included."""
    private = " (incl. private notes)" if result.include_private_notes else ""
    if not result.changed:
        if result.chart_share != "active":
            return f"Already shared with {result.to_name}; nothing changed."
        text = (f"Already shared with {result.to_name} with an active chart share{private}; "
                "nothing changed.")
        if result.include_private_notes:
            text += " To stop sharing private notes: --chart --no-private-notes."
        return text
    parts = []
    if result.assignment == "created":
        parts.append(f"added client #{result.client_id} to {result.to_name}'s list "
                     "(demographics only: no chart notes)")
    if result.private_notes_change == "narrowed":
        parts.append(f"narrowed the chart share {result.from_name} -> {result.to_name}: "
                     "private notes are no longer shared")
    elif result.private_notes_change == "widened":
        parts.append(f"widened the chart share {result.from_name} -> {result.to_name} to "
                     "private notes")
    elif result.chart_share == "started":
        parts.append(f"started a chart share {result.from_name} -> {result.to_name}{private}")
    if result.assignment == "removed":
        parts.append(f"removed client #{result.client_id} from {result.to_name}'s list")
    if result.ended:
        shares = ", ".join(f"{e.from_name} -> {result.to_name}" for e in result.ended)
        plural = "s" if len(result.ended) > 1 else ""
        parts.append(f"ended the chart share{plural} {shares}")
        if result.assignment != "removed":
            parts[-1] += f"; {result.to_name} keeps demographics-only access"
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + "."
