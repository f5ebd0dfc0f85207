"""``location add``: names and place-of-service codes are checked."""

from __future__ import annotations

import pytest

from tests.fixtures.bad_input import Case, assert_error, assert_usage_error
from tests.fixtures.practice_db import snapshot
from tests.fixtures.schedule_db import POS_HINT

CASES = [
    Case("location-unknown-pos", ("location", "add", "Annex", "--pos", "28"), 2,
         f"unknown place of service code '28': {POS_HINT}"),
    Case("location-letters-pos", ("location", "add", "Annex", "--pos", "ab"), 2,
         f"unknown place of service code 'ab': {POS_HINT}"),
    Case("location-three-digit-pos", ("location", "add", "Annex", "--pos", "011"), 2,
         f"unknown place of service code '011': {POS_HINT}"),
    Case("location-empty-name", ("location", "add", "  ", "--pos", "11"), 2,
         "the location name is empty"),
    Case("location-exists-with-other-pos", ("location", "add", "main office", "--pos", "10"), 5,
         "location 'Main office' exists with POS 11 (to change it: clinicctl location edit "
         "'#{main}' --pos 10)"),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_bad_value(cli, scheduled, case):
    before = snapshot(scheduled.url)
    result = cli(*(a.format(**scheduled.ids) for a in case.args))
    assert_error(result, case.code, case.error.format(**scheduled.ids))
    assert snapshot(scheduled.url) == before


# --dry-run validates exactly as a real run does: these cases again, as dry runs.
DRY_RUN_CASES = [c for c in CASES if c.id in {"location-unknown-pos"}]


@pytest.mark.parametrize("case", DRY_RUN_CASES, ids=lambda c: c.id)
def test_bad_value_in_a_dry_run(cli, scheduled, case):
    """--dry-run validates exactly as a real run does."""
    before = snapshot(scheduled.url)
    result = cli(*(a.format(**scheduled.ids) for a in case.args), "--dry-run")
    assert_error(result, case.code, case.error.format(**scheduled.ids))
    assert snapshot(scheduled.url) == before


USAGE_CASES = [
    (("location", "add", "Annex"), "Missing option '--pos'.", "location add"),
]


@pytest.mark.parametrize(("args", "starts", "command"), USAGE_CASES,
                         ids=[f"{c[2]} {c[1].split(':')[0]}" for c in USAGE_CASES])
def test_usage_error_is_one_line(cli, scheduled, args, starts, command):
    before = snapshot(scheduled.url)
    result = cli(*args)
    assert_usage_error(result, starts, command)
    assert snapshot(scheduled.url) == before
