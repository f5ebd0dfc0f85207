"""``clinicctl note``: chart notes, visible only under the chart-sharing rules."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from clinicctl.choices import NOTE_KINDS, completer
from clinicctl.commands._common import (
    DryRunOption,
    FormatOption,
    command_group,
    created_id,
    output_format,
    report_change,
    session,
    usage_error,
)
from clinicctl.output import (
    NAME,
    TEXT,
    Layout,
    OutputFormat,
    message,
    render_list,
    render_object,
)

if TYPE_CHECKING:
    from clinicctl.models import ChartNote, Staff

app = command_group(help="Chart notes: write, list and read (every read is audited).")

COLUMNS = [("id", "ID"), ("client_id", "Client ID"), ("author_id", "Author ID"),
           ("kind", "Kind"), ("date", "Date"), ("addendum_to", "Addendum to"), ("body", "Body"),
           ("author", "Author"), ("appointment_id", "Appointment"),
           ("cosign_status", "Co-signature"), ("cosigned_by_id", "Co-signed by ID"),
           ("cosigned_by", "Co-signed by"), ("cosigned_at", "Co-signed at")]
TABLE = Layout([("id", "ID"), ("date", "Date"), ("author", "Author"), ("kind", "Kind"),
                ("addendum_to", "Addendum to"), ("body", "Body"), ("signed", "Co-signature"),
                ("client_id", "Client ID"), ("author_id", "Author ID")],
               optional=["author_id", "client_id", "addendum_to", "signed"],
               wrap={"author": NAME, "body": TEXT, "signed": NAME},
               cells=lambda row: {"signed": _signature_text(row)})
FIELDS = [("id", "ID"), ("client_id", "Client ID"), ("author", "Author"),
          ("author_id", "Author ID"), ("kind", "Kind"), ("date", "Date"),
          ("addendum_to", "Addendum to"), ("appointment_id", "Appointment"),
          ("signed", "Co-signature"), ("body", "Body")]


def _signature_text(row: Mapping[str, Any]) -> str | None:
    if row["cosign_status"] == "pending":
        return "pending"
    if row["cosign_status"] == "signed":
        at = row["cosigned_at"]
        return f"signed by {row['cosigned_by']}" + (f" on {at.date().isoformat()}" if at else "")
    return None


def note_rows(db: Any, actor: Staff, notes: list[ChartNote]) -> list[dict[str, Any]]:
    from clinicctl.people.names import staff_names

    names = staff_names(db, actor, [*(n.author_id for n in notes),
                                    *(n.cosigned_by_id for n in notes)])
    return [{"id": n.id, "client_id": n.client_id, "author_id": n.author_id,
             "author": names.get(n.author_id), "kind": n.kind, "date": n.date_of_service,
             "addendum_to": n.addendum_to_id, "body": n.body,
             "appointment_id": n.appointment_id, "cosign_status": n.cosign_status,
             "cosigned_by_id": n.cosigned_by_id, "cosigned_by": names.get(n.cosigned_by_id or 0),
             "cosigned_at": n.cosigned_at} for n in notes]


def _render_note(ctx: typer.Context, fmt: OutputFormat | None, row: dict[str, Any], *,
                 body: bool = True) -> None:
    """One note; ``body=False`` leaves its text out (the result of a signature, no read)."""
    fmt_ = output_format(ctx, fmt)
    if not body:
        row = {key: value for key, value in row.items() if key != "body"}
    # The co-signature in words is for the table; JSON and CSV keep its fields.
    shown = {**row, "signed": _signature_text(row)} if fmt_ == "table" else row
    render_object(shown, [c for c in COLUMNS if body or c[0] != "body"], fmt_,
                  table=[f for f in FIELDS if body or f[0] != "body"])


@app.command()
def add(
    ctx: typer.Context,
    client: Annotated[str, typer.Argument(metavar="CLIENT", help="#ID, external id or name.")],
    body: Annotated[str | None, typer.Option(help="The note text.")] = None,
    file: Annotated[Path | None, typer.Option(
        help="Read the note text from a file ('-' for stdin).", allow_dash=True)] = None,
    kind: Annotated[str, typer.Option(help="progress, intake or private.",
                                      autocompletion=completer(NOTE_KINDS))] = "progress",
    date: Annotated[str | None, typer.Option(help="Date of service (default today).")] = None,
    addendum_to: Annotated[int | None, typer.Option(
        help="The note this one amends (notes are never edited).")] = None,
    appointment: Annotated[int | None, typer.Option(
        "--appointment", metavar="ID",
        help="The session this note records (yours; the date of service is its date).")
    ] = None,
    dry_run: DryRunOption = False,
    fmt: FormatOption = None,
) -> None:
    """Write a chart note for a client in your list (providers only). With --appointment the
    note records that session: in a group session each client gets their own note, in their
    own chart only, and nobody reads it through another member's chart.

    Example: clinicctl note add "Maya Chen" --body "Session 3: ..." --kind progress
    """
    from clinicctl.charts import records
    from clinicctl.errors import InvalidInput

    if (body is None) == (file is None):
        raise InvalidInput("give exactly one of --body or --file")
    text = body if body is not None else _read_text(file)  # type: ignore[arg-type]
    with session(ctx, dry_run=dry_run) as (db, actor):
        note = records.add_note(db, actor, client, body=text, kind=kind, date_of_service=date,
                                addendum_to=addendum_to, appointment_id=appointment)
        row = note_rows(db, actor, [note])[0]
        row["id"] = created_id(row["id"], dry_run=dry_run)
    _render_note(ctx, fmt, row)
    pending = " (it waits for your supervisor's co-signature)" if (
        row["cosign_status"] == "pending") else ""
    if dry_run:
        report_change(f"would add a {row['kind']} note{pending}.", dry_run=True)
    else:
        report_change(f"Added note #{row['id']}{pending}.", dry_run=False)


def _read_text(path: Path) -> str:
    import sys

    from clinicctl.errors import InvalidInput

    if str(path) == "-":
        return sys.stdin.read()
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}"
                           ) from None


@app.command("list")
def list_notes(
    ctx: typer.Context,
    client: Annotated[str | None, typer.Argument(
        metavar="CLIENT", help="#ID, external id or name (may be left out with --unsigned).",
        show_default=False)] = None,
    unsigned: Annotated[bool, typer.Option(
        "--unsigned", help="Only notes waiting for a supervisor's co-signature.")] = False,
    fmt: FormatOption = None,
) -> None:
    """List the chart notes of a client that you may read.

    --unsigned lists the notes waiting for co-signature (`staff supervise --cosign`): of
    CLIENT, or without CLIENT of every client, those you may read (a supervisor's to sign,
    a supervisee's own waiting).
    Example: clinicctl note list "Maya Chen" -o json
    Example: clinicctl note list --unsigned
    """
    from clinicctl.charts import records, supervision

    if client is None and not unsigned:
        raise usage_error("Missing argument 'CLIENT' (or give --unsigned).", ctx)
    # write=True: the read is audited in the same transaction.
    with session(ctx) as (db, actor):
        found = (supervision.unsigned_notes(db, actor, client) if unsigned
                 else records.list_notes(db, actor, client))  # type: ignore[arg-type]
        rows = note_rows(db, actor, found)
    of = f" of {client.strip()}" if client else ""
    empty = (f"No notes{of} waiting for co-signature that you may read." if unsigned
             else f"No chart notes{of} that you may read.")
    render_list(rows, COLUMNS, output_format(ctx, fmt), table=TABLE, empty=empty)


@app.command()
def show(
    ctx: typer.Context,
    note_id: Annotated[int, typer.Argument(metavar="ID")],
    fmt: FormatOption = None,
) -> None:
    """Show one chart note (exit 4 if you may not read it).

    Example: clinicctl note show 42
    """
    from clinicctl.charts import records

    with session(ctx) as (db, actor):
        row = note_rows(db, actor, [records.show_note(db, actor, note_id)])[0]
    _render_note(ctx, fmt, row)


@app.command()
def sign(
    ctx: typer.Context,
    note_id: Annotated[int, typer.Argument(metavar="ID")],
    dry_run: DryRunOption = False,
    fmt: FormatOption = None,
) -> None:
    """Co-sign a supervisee's pending note (their supervisor, under `staff supervise
    --cosign`). Signing a signed note changes nothing.

    Example: clinicctl note sign 42
    """
    from clinicctl.charts import supervision

    with session(ctx, dry_run=dry_run) as (db, actor):
        note, changed = supervision.sign_note(db, actor, note_id)
        row = note_rows(db, actor, [note])[0]
    # Signing is no read: the result names the note and its signature, never its text.
    _render_note(ctx, fmt, row, body=False)
    if changed:
        report_change(f"Signed note #{row['id']} of {row['author']}.", dry_run=dry_run)
    else:
        message(f"Note #{row['id']} is already signed by {row['cosigned_by']}; nothing "
                "changed.")
