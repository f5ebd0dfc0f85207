"""``client diagnosis``: one provider's ICD-10 codes for a client."""

from __future__ import annotations

import pytest

from tests.fixtures.bad_input import Case, assert_error, fill
from tests.fixtures.practice_db import snapshot
from tests.fixtures.schedule_db import ANA, SAM

CASES = [
    Case("diagnosis-too-short", ("client", "diagnosis", "Maya Chen", "--provider", SAM,
                                 "--set", "F4"), 2,
         "invalid diagnosis code 'F4': expected an ICD-10 code such as F41.1"),
    Case("diagnosis-no-letter", ("client", "diagnosis", "Maya Chen", "--provider", SAM,
                                 "--set", "F41.1", "--set", "411.1"), 2,
         "invalid diagnosis code '411.1': expected an ICD-10 code such as F41.1"),
    Case("diagnosis-too-long", ("client", "diagnosis", "Maya Chen", "--provider", SAM,
                                "--set", "F41.12345"), 2,
         "invalid diagnosis code 'F41.12345': expected an ICD-10 code such as F41.1"),
    Case("diagnosis-neither", ("client", "diagnosis", "Maya Chen", "--provider", SAM), 2,
         "give --set CODE (one or more) or --clear"),
    Case("diagnosis-not-in-list", ("client", "diagnosis", "Maya Chen", "--provider", ANA,
                                   "--set", "F41.1"), 3,
         "client #{maya} is not in Ana Ruiz's list"),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_bad_value(cli, plain, paths, case):
    values = {**plain.ids, **paths}
    before = snapshot(plain.url)
    result = cli(*fill(case.args, values), actor=case.actor)
    assert_error(result, case.code, case.error.format(**values))
    assert snapshot(plain.url) == before
