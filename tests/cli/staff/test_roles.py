"""``staff roles``: nobody but the owner adds roles to themselves."""

from __future__ import annotations

import pytest

from tests.fixtures.bad_input import Case, assert_error, fill
from tests.fixtures.practice_db import snapshot
from tests.fixtures.schedule_db import SAM


def test_nobody_but_the_owner_adds_roles_to_themselves(cli, cast, open_session):
    result = cli("staff", "roles", cast.manager, "--add", "provider", actor=cast.manager)
    assert result.exit_code == 4, result.output
    assert result.stderr == ("Error: staff.roles: you cannot add roles to yourself; the owner "
                             "or another manager must\n")
    by_owner = cli("staff", "roles", cast.manager, "--add", "provider")
    assert by_owner.exit_code == 0, by_owner.output
    owner_self = cli("staff", "roles", cast.owner, "--add", "provider")
    assert owner_self.exit_code == 0, owner_self.output


# --- bad input --------------------------------------------------------------------------------

CASES = [
    Case("staff-roles-unknown-role", ("staff", "roles", SAM, "--add", "wizard"), 2,
         "unknown role 'wizard'; roles are owner, manager, provider, records-custodian, "
         "scheduler, biller"),
    Case("staff-roles-nothing", ("staff", "roles", SAM), 2,
         "nothing to change: give --add ROLE or --remove ROLE"),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_bad_value(cli, plain, paths, case):
    values = {**plain.ids, **paths}
    before = snapshot(plain.url)
    result = cli(*fill(case.args, values), actor=case.actor)
    assert_error(result, case.code, case.error.format(**values))
    assert snapshot(plain.url) == before
