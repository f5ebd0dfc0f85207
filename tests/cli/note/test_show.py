"""``note show``."""

from __future__ import annotations

import pytest

from tests.fixtures.bad_input import assert_usage_error, fill
from tests.fixtures.practice_db import snapshot

USAGE_CASES = [
    (("note", "show", "abc"), "Invalid value for 'ID':", "note show"),
]


@pytest.mark.parametrize(("args", "starts", "command"), USAGE_CASES,
                         ids=[" ".join(c[0][:3]) for c in USAGE_CASES])
def test_usage_error_is_one_line(cli, plain, paths, args, starts, command):
    before = snapshot(plain.url)
    result = cli(*fill(args, paths))
    assert_usage_error(result, starts, command)
    assert snapshot(plain.url) == before
