"""`staff login`: binding staff members to their own PostgreSQL login (owner only)."""

from __future__ import annotations

import uuid

import pytest

from tests.fixtures.cast import OWNER_EMAIL
from tests.fixtures.pg_logins import logins_for, sql, staff_id


def on_postgres(db_url: str) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("PostgreSQL logins")


def fresh_login(logins) -> str:
    login = f"ct_{uuid.uuid4().hex[:10]}"
    logins.created.append(login)
    return login


def test_logins_are_postgresql_only(cli, cast, db_url):
    if db_url.startswith("postgresql"):
        pytest.skip("SQLite")
    result = cli("staff", "login", cast.provider_a, "--set", "sam")
    assert result.exit_code == 2, result.output
    assert result.stderr == ("Error: database logins exist only on PostgreSQL; on SQLite the "
                             "database file's permissions decide who may use it\n")


@pytest.mark.parametrize("args, error", [
    ((), "give either --set LOGIN or --clear"),
    (("--set", "sam", "--clear"), "give either --set LOGIN or --clear"),
    (("--clear", "--create"), "--create needs --set LOGIN"),
    (("--set", "pg_sam"), "invalid database login 'pg_sam'"),
    (("--set", "sam; drop table staff"), "invalid database login 'sam; drop table staff'"),
])
def test_bad_login_options_exit_2(cli, cast, args, error):
    result = cli("staff", "login", cast.provider_a, *args)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"Error: {error}")


def test_only_the_owner_binds_logins(cli, cast, open_session):
    result = cli("staff", "login", cast.provider_a, "--set", "sam", actor=cast.manager)
    assert result.exit_code == 4, result.output
    assert result.stderr == "Error: staff.login: requires one of the roles owner\n"


def test_bind_create_show_clear(cli, cast, db_url):
    on_postgres(db_url)
    with logins_for(db_url) as logins:
        login = fresh_login(logins)
        dry = cli("staff", "login", cast.provider_a, "--set", login, "--create", "--dry-run")
        assert dry.exit_code == 0, dry.output
        assert sql(db_url, "SELECT count(*) FROM pg_roles WHERE rolname = %s", (login,)) == [(0,)]
        bound = cli("staff", "login", cast.provider_a, "--set", login, "--create", "-o", "json")
        assert bound.exit_code == 0, bound.output
        assert bound.json()["db_login"] == login
        assert bound.stderr == (f"Bound Sam Okafor to database login '{login}' (created login "
                                "and added it to clinicctl_staff).\n")
        assert sql(db_url, "SELECT pg_has_role(%s, 'clinicctl_staff', 'MEMBER')",
                   (login,)) == [(True,)]
        shown = cli("staff", "show", cast.provider_a, "-o", "json").json()
        assert shown["db_login"] == login
        again = cli("staff", "login", cast.provider_a, "--set", login)
        assert again.exit_code == 0, again.output
        assert "already bound" in again.stderr
        cleared = cli("staff", "login", cast.provider_a, "--clear")
        assert cleared.exit_code == 0, cleared.output
        assert sql(db_url, "SELECT pg_has_role(%s, 'clinicctl_staff', 'MEMBER')",
                   (login,)) == [(False,)]
        assert cli("staff", "show", cast.provider_a, "-o", "json").json()["db_login"] is None
        # An existing login is bound without --create (and joins the group again).
        rebound = cli("staff", "login", cast.provider_a, "--set", login)
        assert rebound.exit_code == 0, rebound.output
        events = cli("audit", "list", "--action", "staff.login", "-o", "json").json()
        assert [e["details"] for e in events] == [
            {"login": login, "bound": True, "created": True},
            {"login": login, "bound": False, "created": False},
            {"login": login, "bound": True, "created": False}]
        assert {e["object_id"] for e in events} == {staff_id(db_url, cast.provider_a)}


def test_one_login_per_staff_member_and_back(cli, cast, db_url):
    on_postgres(db_url)
    with logins_for(db_url) as logins:
        login, other = fresh_login(logins), fresh_login(logins)
        assert cli("staff", "login", cast.provider_a, "--set", login, "--create").exit_code == 0
        taken = cli("staff", "login", cast.provider_b, "--set", login)
        assert taken.exit_code == 5, taken.output
        assert taken.stderr == (f"Error: login '{login}' is already bound to Sam Okafor "
                                "(one login per staff member)\n")
        second = cli("staff", "login", cast.provider_a, "--set", other, "--create")
        assert second.exit_code == 5, second.output
        assert second.stderr.startswith(f"Error: Sam Okafor is bound to login '{login}'")
        exists = cli("staff", "login", cast.provider_b, "--set", login.upper() + "x")
        assert exists.exit_code == 3, exists.output
        assert "add --create to create it" in exists.stderr
        created_twice = cli("staff", "login", cast.provider_b, "--set", login, "--create")
        assert created_twice.exit_code == 5, created_twice.output


def test_the_administrator_login_is_not_bound(cli, cast, db_url):
    on_postgres(db_url)
    admin = sql(db_url, "SELECT session_user")[0][0]
    result = cli("staff", "login", OWNER_EMAIL, "--set", admin)
    assert result.exit_code == 5, result.output
    assert "administers this database" in result.stderr
