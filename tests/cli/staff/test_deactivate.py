"""``staff deactivate``: the owner cannot be deactivated."""

from __future__ import annotations

import pytest

from tests.fixtures.bad_input import Case, assert_error, fill
from tests.fixtures.cast import OWNER_EMAIL
from tests.fixtures.practice_db import snapshot

CASES = [
    Case("staff-deactivate-owner", ("staff", "deactivate", OWNER_EMAIL), 5,
         "the owner cannot be deactivated"),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_bad_value(cli, plain, paths, case):
    values = {**plain.ids, **paths}
    before = snapshot(plain.url)
    result = cli(*fill(case.args, values), actor=case.actor)
    assert_error(result, case.code, case.error.format(**values))
    assert snapshot(plain.url) == before
