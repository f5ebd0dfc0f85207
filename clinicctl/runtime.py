"""One unit of work, for every data command and for the demo.

``acting_as`` opens the command's one transaction, resolves who acts (``--as`` on SQLite; the
database login on PostgreSQL) and checks them (deactivated staff, a login bound to someone
else), and when a rule refuses the command it rolls the work back and then records the refused
attempt in the audit trail, in a transaction of its own. Every entry point goes through it, so
a refusal is recorded the same way whoever asked.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from clinicctl import access, trail
from clinicctl.actions import Action
from clinicctl.config import Settings
from clinicctl.db import make_engine, session_scope
from clinicctl.errors import Ambiguous, ClinicError, DatabaseError, Denied, InvalidInput, NotFound
from clinicctl.models import Staff
from clinicctl.oversight import logins
from clinicctl.people.refs import resolve_staff

ACTOR_HINT = ("pass --as EMAIL, set CLINICCTL_ACTOR, or set actor in the config file "
              "(see `clinicctl config show`)")


@contextmanager
def acting_as(settings: Settings, *, write: bool = True, dry_run: bool = False,
              engine: Engine | None = None) -> Iterator[tuple[Session, Staff]]:
    """A transaction for one data command, with the actor resolved and checked in it.

    ``engine`` reuses an open engine (the demo runs many steps on one); by default one is
    made for ``settings.db`` and disposed of afterwards.
    """
    if not settings.actor and settings.db.startswith("sqlite"):
        # Known before connecting: on SQLite only --as says who acts. (On PostgreSQL a
        # login bound to a staff member needs no --as.)
        raise InvalidInput("no actor: every data command runs as a staff member", hint=ACTOR_HINT)
    own_engine = engine is None
    engine = engine if engine is not None else make_engine(settings.db)
    try:
        with unit_of_work(engine, write=write, dry_run=dry_run) as session:
            actor = _resolve_actor(session, settings.actor)
            # What the actor may not see of a restricted client is not read at all.
            access.hide_restricted_clients(session, actor)
            yield session, actor
    finally:
        if own_engine:
            engine.dispose()


@contextmanager
def unit_of_work(engine: Engine, *, write: bool = True, dry_run: bool = False,
                 check: bool = True) -> Iterator[Session]:
    """``db.session_scope`` that also records a refused attempt after its rollback."""
    try:
        with session_scope(engine, write=write, dry_run=dry_run, check=check) as session:
            yield session
    except Denied as exc:
        events = ([exc.audit] if exc.audit is not None else []) + exc.more_audits
        if events:
            _record_denied(engine, exc, events)
        raise


def _record_denied(engine: Engine, exc: Denied, events: list[dict[str, Any]]) -> None:
    """Write the refused attempt's audit events in a transaction of their own.

    It is a write even when the command only read: on SQLite it starts with BEGIN IMMEDIATE
    and waits for the lock like any writer; on PostgreSQL it takes the writer lock, bounded
    like any writer's wait. If it still cannot be written, the command says so (exit 6)
    rather than losing the record quietly.
    """
    try:
        with session_scope(engine, write=True, check=False) as session:
            for event in events:
                trail.record(session, outcome="denied", **event)
    except ClinicError as error:
        raise DatabaseError(f"{exc.message}; the refused attempt could not be recorded: "
                            f"{error.message}", hint=error.hint) from None


def _resolve_actor(session: Session, requested_ref: str | None) -> Staff:
    """The staff member the command runs as: on PostgreSQL the login's own (``--as`` may not
    name anyone else), for the administrator login and on SQLite whoever ``--as`` names."""
    found = logins.identity(session)
    logins.refuse_unbound(found)
    requested = None
    if requested_ref:
        try:
            requested = resolve_staff(session, requested_ref, what="actor")
        except Ambiguous:
            raise  # keeps the candidates, which say how to pick one
        except NotFound as exc:
            raise NotFound(str(exc), hint=ACTOR_HINT) from None
    actor = logins.check_actor(session, requested, found)
    if actor is None:
        raise InvalidInput("no actor: every data command runs as a staff member", hint=ACTOR_HINT)
    if not actor.active:
        raise Denied(f"{actor.email} is deactivated",
                     audit={"actor_id": actor.id, "action": Action.ACTOR_CHECK,
                            "object_type": "staff", "object_id": actor.id})
    return actor
