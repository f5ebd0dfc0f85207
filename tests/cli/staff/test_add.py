"""``staff add``: emails are unique ignoring case; roles and emails are checked."""

from __future__ import annotations

import pytest

from tests.fixtures.bad_input import Case, assert_error, fill
from tests.fixtures.practice_db import snapshot
from tests.fixtures.schedule_db import SAM


@pytest.mark.parametrize("taken, new", [("kimxa@riverside.example", "kim_a@riverside.example"),
                                        ("ana@riverside.example", "%@riverside.example")])
def test_staff_email_duplicates_are_exact_ignoring_case(cli, cast, taken, new):
    if taken != cast.provider_b:
        assert cli("staff", "add", "Kim Xa", "--email", taken, "--role", "scheduler"
                   ).exit_code == 0
    added = cli("staff", "add", "New Person", "--email", new, "--role", "scheduler")
    assert added.exit_code == 0, added.output
    again = cli("staff", "add", "Same Again", "--email", new.upper(), "--role", "scheduler")
    assert_error(again, 5, f"a staff member with email {new.upper()} already exists")


# --- bad input --------------------------------------------------------------------------------

CASES = [
    Case("staff-add-unknown-role", ("staff", "add", "New Person", "--email",
                                    "new@riverside.example", "--role", "wizard"), 2,
         "unknown role 'wizard'; roles are owner, manager, provider, records-custodian, "
         "scheduler, biller"),
    Case("staff-add-duplicate-email", ("staff", "add", "Sam Other", "--email", SAM, "--role",
                                       "provider"), 5,
         f"a staff member with email {SAM} already exists"),
    Case("staff-add-duplicate-email-case", ("staff", "add", "Sam Other", "--email",
                                            "SAM@Riverside.example", "--role", "provider"), 5,
         "a staff member with email SAM@Riverside.example already exists"),
    Case("staff-add-bad-email", ("staff", "add", "New Person", "--email", "new-at-example",
                                 "--role", "provider"), 2, "invalid email 'new-at-example'"),
    Case("staff-add-second-owner", ("staff", "add", "New Person", "--email",
                                    "new@riverside.example", "--role", "owner"), 5,
         "the practice already has its owner; there is exactly one"),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_bad_value(cli, plain, paths, case):
    values = {**plain.ids, **paths}
    before = snapshot(plain.url)
    result = cli(*fill(case.args, values), actor=case.actor)
    assert_error(result, case.code, case.error.format(**values))
    assert snapshot(plain.url) == before
