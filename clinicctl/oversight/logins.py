"""PostgreSQL logins: who a connection is, and binding staff members to their own login.

On PostgreSQL each staff member may have their own database login. A login bound to a staff
member *is* that staff member (``--as`` may not name anyone else); the login that owns the
schema (or a superuser) is the deployment's administrator, trusted like the SQLite file's
owner; any other login is refused. Bindings are explicit (``staff login``), never inferred
from an email. Row-level security (migration 0004) keeps the same rules for a login that
opens ``psql`` instead of clinicctl.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from clinicctl import access, trail
from clinicctl.actions import Action
from clinicctl.db import STAFF_LOGIN, is_postgresql, not_bound
from clinicctl.errors import Conflict, Denied, InvalidInput, NotFound
from clinicctl.models import Staff
from clinicctl.people.refs import resolve_staff

STAFF_GROUP = "clinicctl_staff"
# Tables whose rows the policies of migrations 0004, 0008 and 0009 guard.
GUARDED_TABLES = ("staff", "staff_role", "custodian_grant", "chart_share", "chart_note",
                  "document", "audit_event", "client_group", "client_group_member",
                  "appointment_participant", "supervision", "emergency_access")
# What a login may be called here: PostgreSQL takes more when quoted, but a name that needs
# no care in a shell, a .pgpass line or a connection URL is what people type.
_LOGIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,62}$")


@dataclass(frozen=True)
class Identity:
    """Who the database connection is."""

    login: str
    admin: bool  # owns the schema, or is a superuser
    staff_id: int | None  # the staff member bound to the login, active or not


def identity(session: Session) -> Identity | None:
    """The connection's login on PostgreSQL (None on SQLite, where there are no logins)."""
    if not is_postgresql(session):
        return None
    row = session.execute(text(
        "SELECT session_user, clinicctl_is_admin(), clinicctl_current_staff_id()")).one()
    return Identity(str(row[0]), bool(row[1]), row[2])


def _quote(session: Session, name: str) -> str:
    return session.get_bind().dialect.identifier_preparer.quote_identifier(name)


def validate_login(login: str) -> str:
    login = login.strip()
    if not _LOGIN.match(login) or login.lower().startswith("pg_"):
        raise InvalidInput(f"invalid database login {login!r}: letters, digits, '_', '.' and "
                           "'-', starting with a letter or '_', at most 63 (not pg_...)")
    return login


@dataclass
class LoginChange:
    staff: Staff
    login: str | None
    changed: bool
    created: bool = False


def _require_postgresql(session: Session) -> None:
    if not is_postgresql(session):
        raise InvalidInput("database logins exist only on PostgreSQL; on SQLite the database "
                           "file's permissions decide who may use it")


def bind(session: Session, actor: Staff, ref: str, login: str, *, create: bool = False
         ) -> LoginChange:
    """Bind a staff member to a PostgreSQL login (owner only); ``create`` creates the login
    (no password: set it in PostgreSQL) and makes it a member of ``clinicctl_staff``."""
    login = validate_login(login)
    access.authorize_login_binding(actor)
    _require_postgresql(session)
    member = resolve_staff(session, ref)
    if member.db_login == login:
        return LoginChange(member, login, changed=False)
    if member.db_login is not None:
        raise Conflict(f"{member.name} is bound to login {member.db_login!r}",
                       hint=f"clear it first: clinicctl staff login {ref!r} --clear")
    holder = session.scalar(select(Staff).where(Staff.db_login == login))
    if holder is not None:
        raise Conflict(f"login {login!r} is already bound to {holder.name}",
                       hint="one login per staff member")
    role = session.execute(text("SELECT rolsuper FROM pg_roles WHERE rolname = :login"),
                           {"login": login}).first()
    if create and role is not None:
        raise Conflict(f"database login {login!r} already exists",
                       hint="bind it without --create")
    if not create and role is None:
        raise NotFound(f"no database login {login!r}", hint="add --create to create it")
    if role is not None and (role[0] or _owns_schema(session, login)):
        raise Conflict(f"login {login!r} administers this database (superuser or schema "
                       "owner); bind staff members to logins of their own")
    quoted = _quote(session, login)
    # Only logins bound in this database may connect to it (migration 0004 revoked CONNECT
    # from PUBLIC): a login bound in another practice's database cannot even open this one.
    statements = [f"GRANT {STAFF_GROUP} TO {quoted}",
                  f"GRANT CONNECT ON DATABASE {_quote(session, _database(session))} TO {quoted}"]
    if create:
        statements.insert(0, f"CREATE ROLE {quoted} LOGIN")
    _administer(session, actor, member, statements)
    member.db_login = login
    session.flush()
    trail.record(session, actor_id=actor.id, action=Action.STAFF_LOGIN,
                 object_type="staff", object_id=member.id,
                 details={"login": login, "bound": True, "created": create})
    return LoginChange(member, login, changed=True, created=create)


def unbind(session: Session, actor: Staff, ref: str) -> LoginChange:
    """Clear a staff member's login and take it out of ``clinicctl_staff`` (owner only)."""
    access.authorize_login_binding(actor)
    _require_postgresql(session)
    member = resolve_staff(session, ref)
    login = member.db_login
    if login is None:
        return LoginChange(member, None, changed=False)
    exists = session.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :login"),
                             {"login": login}).first()
    if exists is not None:
        quoted = _quote(session, login)
        _administer(session, actor, member, [
            f"REVOKE {STAFF_GROUP} FROM {quoted}",
            f"REVOKE CONNECT ON DATABASE {_quote(session, _database(session))} FROM {quoted}"])
    member.db_login = None
    session.flush()
    trail.record(session, actor_id=actor.id, action=Action.STAFF_LOGIN,
                 object_type="staff", object_id=member.id,
                 details={"login": login, "bound": False, "created": False})
    return LoginChange(member, login, changed=True)


def _database(session: Session) -> str:
    return str(session.execute(text("SELECT current_database()")).scalar())


def _owns_schema(session: Session, login: str) -> bool:
    return bool(session.execute(text(
        "SELECT pg_has_role(:login, (SELECT relowner FROM pg_class "
        "WHERE oid = 'staff'::regclass), 'MEMBER')"), {"login": login}).scalar())


def _administer(session: Session, actor: Staff, member: Staff, statements: list[str]) -> None:
    """Role statements, in the command's transaction (a dry run or a failure undoes them)."""
    for statement in statements:
        try:
            with session.begin_nested():
                session.execute(text(statement))
        except DBAPIError as exc:
            reason = str(exc.orig).splitlines()[0] if exc.orig else str(exc)
            raise Denied(f"the database refused: {reason}",
                         audit={"actor_id": actor.id, "action": Action.STAFF_LOGIN,
                                "object_type": "staff", "object_id": member.id},
                         ) from None


@dataclass
class BoundLogin:
    login: str
    staff_id: int
    staff: str
    active: bool


def bound_logins(session: Session) -> list[BoundLogin]:
    rows = session.scalars(select(Staff).where(Staff.db_login.is_not(None))
                           .order_by(Staff.db_login))
    return [BoundLogin(str(s.db_login), s.id, s.name, s.active) for s in rows]


def row_security_installed(session: Session) -> bool:
    """Every guarded table has row-level security switched on (PostgreSQL)."""
    if not is_postgresql(session):
        return False
    enabled = session.execute(text(
        "SELECT count(*) FROM pg_class WHERE oid = ANY (CAST(:tables AS regclass[])) "
        "AND relrowsecurity"), {"tables": list(GUARDED_TABLES)}).scalar()
    return enabled == len(GUARDED_TABLES)


def check_actor(session: Session, requested: Staff | None, found: Identity | None
                ) -> Staff | None:
    """Who a data command runs as on PostgreSQL, given the staff member it asked for.

    Returns the bound staff member (``--as`` may be left out), ``requested`` for the
    administrator, and refuses everything else; None on SQLite (the caller decides).
    """
    if found is None:
        return requested
    if found.staff_id is not None:
        bound = session.get(Staff, found.staff_id)
        assert bound is not None
        session.info[STAFF_LOGIN] = not found.admin
        if requested is not None and requested.id != bound.id:
            raise Denied(f"database login {found.login!r} is {bound.email}; it cannot act as "
                         f"{requested.email}",
                         audit={"actor_id": bound.id, "action": Action.ACTOR_CHECK,
                                "object_type": "staff", "object_id": requested.id,
                                "details": {"as_id": requested.id}})
        return bound
    refuse_unbound(found)
    return requested


def refuse_unbound(found: Identity | None) -> None:
    """A login that is neither the administrator nor bound to a staff member may not act."""
    if found is not None and found.staff_id is None and not found.admin:
        raise not_bound(found.login)
