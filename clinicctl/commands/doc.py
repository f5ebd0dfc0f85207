"""``clinicctl doc``: client documents (clinical ones follow the chart-note rules)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from clinicctl.commands._common import (
    DryRunOption,
    FormatOption,
    command_group,
    created_id,
    output_format,
    report_change,
    session,
)
from clinicctl.output import TEXT, Layout, message, render_list, render_object

if TYPE_CHECKING:
    from clinicctl.models import Document

app = command_group(help="Client documents: add, list, get.")

COLUMNS = [("id", "ID"), ("client_id", "Client"), ("title", "Title"),
           ("clinical", "Clinical"), ("size", "Bytes"), ("sha256", "SHA-256")]
TABLE = Layout([("id", "ID"), ("title", "Title"), ("clinical", "Clinical"), ("size", "Bytes"),
                ("sha256", "SHA-256"), ("client_id", "Client ID")],
               optional=["client_id", "sha256"], wrap={"title": TEXT})


def document_row(document: Document) -> dict[str, Any]:
    return {"id": document.id, "client_id": document.client_id, "title": document.title,
            "clinical": document.clinical, "size": len(document.content),
            "sha256": document.sha256}


@app.command()
def add(
    ctx: typer.Context,
    client: Annotated[str, typer.Argument(metavar="CLIENT")],
    file: Annotated[Path, typer.Argument(metavar="FILE", exists=True, dir_okay=False,
                                         readable=True)],
    title: Annotated[str, typer.Option(help="Title shown in listings.")],
    clinical: Annotated[bool, typer.Option(
        "--clinical", help="A clinical document: only readable like chart notes.")] = False,
    dry_run: DryRunOption = False,
    fmt: FormatOption = None,
) -> None:
    """Attach a document to a client.

    Example: clinicctl doc add "Maya Chen" consent.pdf --title "Consent form"
    """
    from clinicctl.charts import records
    from clinicctl.errors import InvalidInput

    try:
        content = file.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"cannot read {file}: {exc.strerror}") from None
    with session(ctx, dry_run=dry_run) as (db, actor):
        row = document_row(records.add_document(db, actor, client, title=title,
                                                content=content, clinical=clinical))
        row["id"] = created_id(row["id"], dry_run=dry_run)
    render_object(row, COLUMNS, output_format(ctx, fmt))
    if dry_run:
        report_change(f"would add a {'clinical' if clinical else 'non-clinical'} document.",
                      dry_run=True)
    else:
        report_change(f"Added document #{row['id']}.", dry_run=False)


@app.command("list")
def list_documents(
    ctx: typer.Context,
    client: Annotated[str, typer.Argument(metavar="CLIENT")],
    fmt: FormatOption = None,
) -> None:
    """List a client's documents you may see.

    Example: clinicctl doc list "Maya Chen"
    """
    from clinicctl.charts import records

    with session(ctx) as (db, actor):
        rows = [document_row(d) for d in records.list_documents(db, actor, client)]
    render_list(rows, COLUMNS, output_format(ctx, fmt), table=TABLE,
                empty=f"No documents of {client.strip()} that you may see.")


@app.command()
def get(
    ctx: typer.Context,
    document_id: Annotated[int, typer.Argument(metavar="ID")],
    output: Annotated[Path, typer.Option(
        "--output", help="File to write (mode 0600, written whole, never through a "
        "symlink); - for standard output.")],
    force: Annotated[bool, typer.Option(help="Replace an existing file.")] = False,
) -> None:
    """Save a document to a file, or to standard output with --output -.

    Example: clinicctl doc get 7 --output consent.pdf
    """
    from clinicctl.charts import records
    from clinicctl.commands._common import binary_output_file
    from clinicctl.errors import Conflict

    to_stdout = str(output) == "-"
    if not to_stdout and (output.exists() or output.is_symlink()) and not force:
        raise Conflict(f"{output} already exists", hint="add --force to overwrite it")
    with session(ctx) as (db, actor):
        document = records.get_document(db, actor, document_id)
        content = document.content
    with binary_output_file(output) as handle:
        handle.write(content)
    if not to_stdout:
        message(f"Wrote {len(content)} bytes to {output}.")
