"""``clinicctl note``: chart notes, visible only under the chart-sharing rules."""

from __future__ import annotations

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
)
from clinicctl.output import NAME, TEXT, Layout, render_list, render_object

if TYPE_CHECKING:
    from clinicctl.models import ChartNote, Staff

app = command_group(help="Chart notes: write, list and read (every read is audited).")

COLUMNS = [("id", "ID"), ("client_id", "Client ID"), ("author_id", "Author ID"),
           ("kind", "Kind"), ("date", "Date"), ("addendum_to", "Addendum to"), ("body", "Body"),
           ("author", "Author"), ("appointment_id", "Appointment")]
TABLE = Layout([("id", "ID"), ("date", "Date"), ("author", "Author"), ("kind", "Kind"),
                ("addendum_to", "Addendum to"), ("body", "Body"), ("client_id", "Client ID"),
                ("author_id", "Author ID")],
               optional=["author_id", "client_id", "addendum_to"],
               wrap={"author": NAME, "body": TEXT})
FIELDS = [("id", "ID"), ("client_id", "Client ID"), ("author", "Author"),
          ("author_id", "Author ID"), ("kind", "Kind"), ("date", "Date"),
          ("addendum_to", "Addendum to"), ("appointment_id", "Appointment"), ("body", "Body")]


def note_rows(db: Any, actor: Staff, notes: list[ChartNote]) -> list[dict[str, Any]]:
    from clinicctl.people.names import staff_names

    authors = staff_names(db, actor, (n.author_id for n in notes))
    return [{"id": n.id, "client_id": n.client_id, "author_id": n.author_id,
             "author": authors.get(n.author_id), "kind": n.kind, "date": n.date_of_service,
             "addendum_to": n.addendum_to_id, "body": n.body,
             "appointment_id": n.appointment_id} for n in notes]


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
    render_object(row, COLUMNS, output_format(ctx, fmt), table=FIELDS)
    if dry_run:
        report_change(f"would add a {row['kind']} note.", dry_run=True)
    else:
        report_change(f"Added note #{row['id']}.", dry_run=False)


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
    client: Annotated[str, typer.Argument(metavar="CLIENT")],
    fmt: FormatOption = None,
) -> None:
    """List the chart notes of a client that you may read.

    Example: clinicctl note list "Maya Chen" -o json
    """
    from clinicctl.charts import records

    # write=True: the read is audited in the same transaction.
    with session(ctx) as (db, actor):
        rows = note_rows(db, actor, records.list_notes(db, actor, client))
    render_list(rows, COLUMNS, output_format(ctx, fmt), table=TABLE,
                empty=f"No chart notes of {client.strip()} that you may read.")


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
    render_object(row, COLUMNS, output_format(ctx, fmt), table=FIELDS)
