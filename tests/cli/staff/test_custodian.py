"""``staff custodian``: a records custodian's scope and its expiry."""

from __future__ import annotations

import pytest

from tests.fixtures.bad_input import RAE, Case, assert_error, fill
from tests.fixtures.practice_db import snapshot
from tests.fixtures.schedule_db import SAM

CASES = [
    Case("custodian-bad-expiry", ("staff", "custodian", RAE, "--all-providers", "--expires",
                                  "2030-13-01"), 2,
         "invalid expiry date '2030-13-01': expected YYYY-MM-DD"),
    Case("custodian-past-expiry", ("staff", "custodian", RAE, "--all-providers", "--expires",
                                   "2020-01-01"), 2, "expiry date 2020-01-01 is in the past"),
    Case("custodian-not-custodian", ("staff", "custodian", SAM, "--all-providers"), 5,
         "Sam Okafor is not a records custodian; add the role first"),
    Case("custodian-neither", ("staff", "custodian", RAE), 2,
         "give either --provider P (one or more) or --all-providers"),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_bad_value(cli, plain, paths, case):
    values = {**plain.ids, **paths}
    before = snapshot(plain.url)
    result = cli(*fill(case.args, values), actor=case.actor)
    assert_error(result, case.code, case.error.format(**values))
    assert snapshot(plain.url) == before
