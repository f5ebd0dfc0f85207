"""``clinicctl db``: the schema's migrations."""

from __future__ import annotations

from typing import Any

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
        security = _security(engine) if current.at_head else None
    finally:
        engine.dispose()
    if current.current is None:
        # Nothing to report yet, and `db upgrade` alone would leave it without a practice.
        raise DatabaseError("database is not initialised",
                            hint="run `clinicctl init --practice NAME --timezone TZ "
                            "--owner-name NAME --owner-email EMAIL`")
    from clinicctl.config import redact

    row = {"database": redact(normalise_url(settings.db)), "current": current.current,
           "head": current.head, "at_head": current.at_head}
    if security is not None:
        row.update(security)
    fmt_name = output_format(ctx, fmt)
    if fmt_name != "json" and security is not None:
        row["bound_logins"] = ", ".join(
            f"{b['login']} = {b['staff']} (#{b['staff_id']})"
            + ("" if b["active"] else ", deactivated") for b in security["bound_logins"]
        ) or "none"
    render_object(
        row,
        [("database", "Database"), ("current", "Current revision"), ("head", "Head"),
         ("at_head", "At head"), ("row_level_security", "Row-level security"),
         ("bound_logins", "Bound logins")],
        fmt_name,
    )
    if not current.at_head:
        raise DatabaseError("schema is not at head", hint="run `clinicctl db upgrade`")


def _security(engine: Any) -> dict[str, Any]:
    """Whether row-level security guards the tables (PostgreSQL) and which logins are bound."""
    from clinicctl.db import is_postgresql, session_scope
    from clinicctl.oversight import logins

    with session_scope(engine, write=False) as session:
        if not is_postgresql(session):
            return {"row_level_security": False, "bound_logins": []}
        return {"row_level_security": logins.row_security_installed(session),
                "bound_logins": [{"login": b.login, "staff_id": b.staff_id, "staff": b.staff,
                                  "active": b.active} for b in logins.bound_logins(session)]}
