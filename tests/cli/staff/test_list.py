"""``staff list``."""

from __future__ import annotations

import pytest

from tests.fixtures.bad_input import Case, assert_error, fill
from tests.fixtures.cast import OWNER_EMAIL
from tests.fixtures.practice_db import snapshot


def test_staff_list_json_exact(cli, db_url, open_session):
    added = cli("staff", "add", "Sam Okafor", "--email", "sam@riverside.example", "--role",
                "provider", "--role", "scheduler", "--credentials", "LCSW", "-o", "json")
    assert added.exit_code == 0, added.output
    assert added.stderr == f"Added Sam Okafor as #{added.json()['id']}.\n"
    result = cli("staff", "list", "-o", "json")
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert [{k: s[k] for k in ("name", "email", "roles", "active", "credentials")}
            for s in result.json()] == [
        {"name": "Dana Reyes", "email": OWNER_EMAIL, "roles": ["owner"], "active": True,
         "credentials": None},
        {"name": "Sam Okafor", "email": "sam@riverside.example",
         "roles": ["provider", "scheduler"], "active": True, "credentials": "LCSW"},
    ]
    assert all(isinstance(s["id"], int) for s in result.json())


def test_empty_staff_listing(cli, db_url):
    result = cli("staff", "list", "--role", "provider", "--all", "-o", "json")
    assert result.exit_code == 0, result.output
    assert (result.stdout, result.stderr) == ("[]\n", "")


# --- bad input --------------------------------------------------------------------------------

CASES = [
    Case("staff-list-unknown-role", ("staff", "list", "--role", "therapist"), 2,
         "unknown role 'therapist'; roles are owner, manager, provider, records-custodian, "
         "scheduler, biller"),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_bad_value(cli, plain, paths, case):
    values = {**plain.ids, **paths}
    before = snapshot(plain.url)
    result = cli(*fill(case.args, values), actor=case.actor)
    assert_error(result, case.code, case.error.format(**values))
    assert snapshot(plain.url) == before
