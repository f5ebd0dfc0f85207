"""``clinicctl db``: the schema's migrations."""

from __future__ import annotations

import typer

from clinicctl.commands._common import FormatOption, command_group, output_format, state
from clinicctl.output import message, render_object

app = command_group(help="Database schema: upgrade to head, show status.")


@app.command()
def upgrade(ctx: typer.Context) -> None:
    """Apply every pending migration (Alembic upgrade to head).

    Example: clinicctl db upgrade
    """
    from clinicctl import migrate
    from clinicctl.db import make_engine

    engine = make_engine(state(ctx).settings.db)
    try:
        before = migrate.current_revision(engine)
        migrate.upgrade(engine)
        after = migrate.current_revision(engine)
    finally:
        engine.dispose()
    if before == after:
        message(f"Schema already at head ({after}).")
    else:
        message(f"Schema upgraded from {before or 'empty'} to {after}.")


@app.command()
def status(ctx: typer.Context, fmt: FormatOption = None) -> None:
    """Show the schema revision of the database and the one this clinicctl needs.

    Exits 6 when the schema is not at head. Example: clinicctl db status -o json
    """
    from clinicctl import migrate
    from clinicctl.db import make_engine, normalise_url
    from clinicctl.errors import DatabaseError

    settings = state(ctx).settings
    engine = make_engine(settings.db)
    try:
        current = migrate.status(engine)
    finally:
        engine.dispose()
    if current.current is None:
        # Nothing to report yet, and `db upgrade` alone would leave it without a practice.
        raise DatabaseError("database is not initialised",
                            hint="run `clinicctl init --practice NAME --timezone TZ "
                            "--owner-name NAME --owner-email EMAIL`")
    from clinicctl.config import redact

    render_object(
        {"database": redact(normalise_url(settings.db)), "current": current.current,
         "head": current.head, "at_head": current.at_head},
        [("database", "Database"), ("current", "Current revision"), ("head", "Head"),
         ("at_head", "At head")],
        output_format(ctx, fmt),
    )
    if not current.at_head:
        raise DatabaseError("schema is not at head", hint="run `clinicctl db upgrade`")
