"""``client edit``: demographics."""

from __future__ import annotations

import pytest

from tests.fixtures.bad_input import Case, assert_error, fill
from tests.fixtures.practice_db import snapshot

CASES = [
    Case("client-edit-bad-date", ("client", "edit", "Maya Chen", "--dob", "yesterday"), 2,
         "invalid date of birth 'yesterday': expected YYYY-MM-DD"),
    Case("client-edit-future-dob", ("client", "edit", "Maya Chen", "--dob", "2999-01-01"), 2,
         "date of birth 2999-01-01 is in the future"),
    Case("client-edit-nothing", ("client", "edit", "Maya Chen"), 2,
         "nothing to change: give at least one field option"),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_bad_value(cli, plain, paths, case):
    values = {**plain.ids, **paths}
    before = snapshot(plain.url)
    result = cli(*fill(case.args, values), actor=case.actor)
    assert_error(result, case.code, case.error.format(**values))
    assert snapshot(plain.url) == before
