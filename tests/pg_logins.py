"""PostgreSQL login roles for tests: created through `staff login --create` with unique
names, used by URL, dropped at the end; and raw SQL as such a login."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.conftest import OWNER_EMAIL, Run


def login_url(url: str, login: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(username=login, password=None).render_as_string(
        hide_password=False)


def raw_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


@dataclass
class Logins:
    """Login roles for one database, bound through clinicctl; dropped at the end."""

    url: str
    created: list[str] = field(default_factory=list)
    by_email: dict[str, str] = field(default_factory=dict)

    def bind(self, email: str) -> str:
        from typer.testing import CliRunner

        from clinicctl.cli import app

        login = f"ct_{uuid.uuid4().hex[:10]}"
        self.created.append(login)
        result = CliRunner().invoke(app, ["--db", self.url, "--as", OWNER_EMAIL, "staff",
                                          "login", email, "--set", login, "--create"])
        assert result.exit_code == 0, result.output
        self.by_email[email] = login
        return login

    def url_of(self, email: str) -> str:
        return login_url(self.url, self.by_email[email])

    def drop(self) -> None:
        import psycopg

        with psycopg.connect(raw_url(self.url), autocommit=True) as conn:
            for login in self.created:
                exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (login,))
                if exists.fetchone():
                    # Revokes its CONNECT on the database (a shared object) too.
                    conn.execute(f'DROP OWNED BY "{login}"')
                    conn.execute(f'DROP ROLE "{login}"')


@contextmanager
def logins_for(url: str) -> Iterator[Logins]:
    made = Logins(url)
    try:
        yield made
    finally:
        made.drop()


def run_as(url: str, *args: str, actor: str | None = None) -> Run:
    """The CLI in-process with ``--db`` at a login's URL (no --as unless given)."""
    from typer.testing import CliRunner

    from clinicctl.cli import app

    argv = ["--db", url] + (["--as", actor] if actor else []) + list(args)
    result = CliRunner().invoke(app, argv)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Run(result.exit_code, result.stdout, result.stderr)


def sql(url: str, query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """One statement through psycopg as the login, committed; errors propagate."""
    import psycopg

    with psycopg.connect(raw_url(url), autocommit=True) as conn:
        cursor = conn.execute(query, params)
        return cursor.fetchall() if cursor.description else []


def refused(url: str, query: str, params: tuple[Any, ...] = ()) -> str:
    """The database's refusal of a statement (the test fails if it goes through)."""
    import psycopg

    with pytest.raises(psycopg.Error) as caught:
        sql(url, query, params)
    return str(caught.value)


def staff_id(url: str, email: str) -> int:
    return sql(url, "SELECT id FROM staff WHERE email = %s", (email,))[0][0]
