"""``clinicctl init`` and ``clinicctl demo``."""

from __future__ import annotations

from typing import Annotated

import typer

from clinicctl.commands._common import plain_session, state
from clinicctl.output import message


def init(
    ctx: typer.Context,
    practice: Annotated[str, typer.Option(help="Practice name.")],
    timezone: Annotated[str, typer.Option(help="IANA time zone, e.g. America/New_York.")],
    owner_name: Annotated[str, typer.Option(help="The owner's full name.")],
    owner_email: Annotated[str, typer.Option(help="The owner's email (their login).")],
) -> None:
    """Create the database schema and the practice with its owner.

    Example: clinicctl init --practice "Riverside Counseling" --timezone America/New_York
    --owner-name "Dana Reyes" --owner-email dana@riverside.example
    """
    from clinicctl import migrate
    from clinicctl.db import make_engine
    from clinicctl.errors import Conflict
    from clinicctl.people import practice as practice_service

    practice_service.validate_practice(practice, timezone, owner_name, owner_email)
    settings = state(ctx).settings
    engine = make_engine(settings.db, create=True)
    try:
        current = migrate.current_revision(engine)
        if current is not None:
            with plain_session(ctx, check=False) as session:
                if practice_service.get_practice(session) is not None:
                    raise Conflict("this database is already initialised",
                                   hint="use `clinicctl db upgrade` to bring its schema to head")
        migrate.upgrade(engine)
    finally:
        engine.dispose()
    with plain_session(ctx) as session:
        created, owner = practice_service.initialise(
            session, name=practice, timezone=timezone, owner_name=owner_name,
            owner_email=owner_email,
        )
        message(f"Initialised {created.name} ({created.timezone}); owner {owner.name} "
                f"<{owner.email}> is #{owner.id}.")
    message(f"Next: clinicctl --as {owner.email} staff add ...")


def demo(
    ctx: typer.Context,
    db: Annotated[str | None, typer.Option(
        "--db", metavar="URL",
        help="Where to build the demo (default ./clinicctl-demo.sqlite3).")] = None,
    force: Annotated[bool, typer.Option(help="Replace an existing demo database.")] = False,
) -> None:
    """Build a demo practice and walk through every way of sharing a client.

    Shows, step by step, what the new provider can and cannot see.
    Example: clinicctl demo --force
    """
    from clinicctl.demo.run import run_demo  # noqa: TID251 - the one command that runs it

    run_demo(db or "sqlite:///clinicctl-demo.sqlite3", force=force)


def register(app: typer.Typer) -> None:
    app.command()(init)
    app.command()(demo)
