"""``availability list``."""

from __future__ import annotations

import pytest

from tests.fixtures.bad_input import Case, assert_error
from tests.fixtures.practice_db import snapshot

CASES = [
    Case("list-unknown-provider", ("availability", "list", "nobody@riverside.example"), 3,
         "no provider with email 'nobody@riverside.example'"),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_bad_value(cli, scheduled, case):
    before = snapshot(scheduled.url)
    result = cli(*(a.format(**scheduled.ids) for a in case.args))
    assert_error(result, case.code, case.error.format(**scheduled.ids))
    assert snapshot(scheduled.url) == before
