"""``service add``: codes, names and lengths are checked."""

from __future__ import annotations

import pytest

from tests.fixtures.bad_input import Case, assert_error, assert_usage_error
from tests.fixtures.practice_db import snapshot

CASES = [
    Case("service-zero-minutes", ("service", "add", "X1", "--name", "Walk", "--minutes", "0"),
         2, "invalid minutes 0: expected 1 to 1440"),
    Case("service-negative-minutes", ("service", "add", "X1", "--name", "Walk", "--minutes",
                                      "-30"), 2, "invalid minutes -30: expected 1 to 1440"),
    Case("service-too-long", ("service", "add", "X1", "--name", "Walk", "--minutes", "1441"),
         2, "invalid minutes 1441: expected 1 to 1440"),
    Case("service-bad-code", ("service", "add", "90-834", "--name", "Walk", "--minutes", "30"),
         2, "invalid service code '90-834': letters and digits, at most 10"),
    Case("service-long-code", ("service", "add", "ABCDEFGHIJK", "--name", "Walk", "--minutes",
                               "30"), 2,
         "invalid service code 'ABCDEFGHIJK': letters and digits, at most 10"),
    Case("service-empty-name", ("service", "add", "X1", "--name", " ", "--minutes", "30"), 2,
         "the service name is empty"),
    Case("service-exists-differently", ("service", "add", "90834", "--name", "Therapy",
                                        "--minutes", "45"), 5,
         "service 90834 exists as 'Psychotherapy, 45 minutes', 50 min (to change it: "
         "clinicctl service edit 90834 --name Therapy --minutes 45)"),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_bad_value(cli, scheduled, case):
    before = snapshot(scheduled.url)
    result = cli(*(a.format(**scheduled.ids) for a in case.args))
    assert_error(result, case.code, case.error.format(**scheduled.ids))
    assert snapshot(scheduled.url) == before


# --dry-run validates exactly as a real run does: these cases again, as dry runs.
DRY_RUN_CASES = [c for c in CASES if c.id in {"service-zero-minutes", "service-long-code"}]


@pytest.mark.parametrize("case", DRY_RUN_CASES, ids=lambda c: c.id)
def test_bad_value_in_a_dry_run(cli, scheduled, case):
    """--dry-run validates exactly as a real run does."""
    before = snapshot(scheduled.url)
    result = cli(*(a.format(**scheduled.ids) for a in case.args), "--dry-run")
    assert_error(result, case.code, case.error.format(**scheduled.ids))
    assert snapshot(scheduled.url) == before


USAGE_CASES = [
    (("service", "add", "X1", "--name", "Walk", "--minutes", "half an hour"),
     "Invalid value for '--minutes':", "service add"),
]


@pytest.mark.parametrize(("args", "starts", "command"), USAGE_CASES,
                         ids=[f"{c[2]} {c[1].split(':')[0]}" for c in USAGE_CASES])
def test_usage_error_is_one_line(cli, scheduled, args, starts, command):
    before = snapshot(scheduled.url)
    result = cli(*args)
    assert_usage_error(result, starts, command)
    assert snapshot(scheduled.url) == before
