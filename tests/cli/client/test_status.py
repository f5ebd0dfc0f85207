"""``client status``: one provider's status for a client."""

from __future__ import annotations

import pytest

from tests.fixtures.bad_input import Case, assert_error, fill
from tests.fixtures.practice_db import snapshot
from tests.fixtures.schedule_db import SAM


def test_status_change_then_repeat(cli, cast, db_url):
    args = ("client", "status", "Maya Chen", "--provider", cast.provider_a, "--set", "active",
            "-o", "json")
    first = cli(*args)
    assert first.exit_code == 0, first.output
    assert (first.json()["status"], first.json()["changed"]) == ("active", True)
    before = snapshot(db_url)
    again = cli(*args)
    assert again.exit_code == 0, again.output
    assert (again.json()["status"], again.json()["changed"]) == ("active", False)
    assert again.stderr == "Status is already active; nothing changed.\n"
    assert snapshot(db_url) == before


# --- bad input --------------------------------------------------------------------------------

CASES = [
    Case("client-status-bad", ("client", "status", "Maya Chen", "--provider", SAM, "--set",
                               "archived"), 2,
         "invalid status 'archived'; expected new, active, inactive, discharged"),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_bad_value(cli, plain, paths, case):
    values = {**plain.ids, **paths}
    before = snapshot(plain.url)
    result = cli(*fill(case.args, values), actor=case.actor)
    assert_error(result, case.code, case.error.format(**values))
    assert snapshot(plain.url) == before
