"""``doc add``."""

from __future__ import annotations

import pytest

from tests.fixtures.bad_input import Case, assert_error, assert_usage_error, fill
from tests.fixtures.practice_db import snapshot

CASES = [
    Case("doc-add-empty-title", ("doc", "add", "Maya Chen", "{file}", "--title", " "), 2,
         "the document title is empty"),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_bad_value(cli, plain, paths, case):
    values = {**plain.ids, **paths}
    before = snapshot(plain.url)
    result = cli(*fill(case.args, values), actor=case.actor)
    assert_error(result, case.code, case.error.format(**values))
    assert snapshot(plain.url) == before


USAGE_CASES = [
    (("doc", "add", "Maya Chen", "{missing}", "--title", "T"), "Invalid value for 'FILE':",
     "doc add"),
]


@pytest.mark.parametrize(("args", "starts", "command"), USAGE_CASES,
                         ids=[" ".join(c[0][:3]) for c in USAGE_CASES])
def test_usage_error_is_one_line(cli, plain, paths, args, starts, command):
    before = snapshot(plain.url)
    result = cli(*fill(args, paths))
    assert_usage_error(result, starts, command)
    assert snapshot(plain.url) == before
