"""``client add``: adding the same client again is a no-op; names, dates of birth and
diagnoses are checked."""

from __future__ import annotations

import pytest

from tests.fixtures.bad_input import Case, assert_error, assert_usage_error, fill
from tests.fixtures.practice_db import snapshot
from tests.fixtures.schedule_db import SAM


def test_repeat_client_add_is_a_noop(cli, cast, db_url):
    before = snapshot(db_url)
    result = cli("client", "add", "  maya ", "CHEN", "--dob", "1990-04-12", "-o", "json")
    assert result.exit_code == 0, result.output
    assert result.json()["id"] == cast.client_id
    assert result.stderr == f"Client #{cast.client_id} already exists; nothing changed.\n"
    assert snapshot(db_url) == before


# --- bad input --------------------------------------------------------------------------------

CASES = [
    Case("client-add-bad-date", ("client", "add", "Bob", "Ray", "--dob", "1990-13-12"), 2,
         "invalid date of birth '1990-13-12': expected YYYY-MM-DD"),
    Case("client-add-us-date", ("client", "add", "Bob", "Ray", "--dob", "04/12/1990"), 2,
         "invalid date of birth '04/12/1990': expected YYYY-MM-DD"),
    Case("client-add-feb-30", ("client", "add", "Bob", "Ray", "--dob", "1990-02-30"), 2,
         "invalid date of birth '1990-02-30': expected YYYY-MM-DD"),
    Case("client-add-future-dob", ("client", "add", "Bob", "Ray", "--dob", "2999-01-01"), 2,
         "date of birth 2999-01-01 is in the future"),
    Case("client-add-bad-icd10", ("client", "add", "Bob", "Ray", "--dob", "1990-01-12",
                                  "--provider", SAM, "--diagnosis", "X"), 2,
         "invalid diagnosis code 'X': expected an ICD-10 code such as F41.1"),
    Case("client-add-diagnosis-without-provider", ("client", "add", "Bob", "Ray", "--dob",
                                                   "1990-01-12", "--diagnosis", "F41.1"), 2,
         "--diagnosis needs --provider: a diagnosis belongs to one provider"),
    Case("client-add-empty-name", ("client", "add", " ", "Ray", "--dob", "1990-01-12"), 2,
         "first name is empty"),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_bad_value(cli, plain, paths, case):
    values = {**plain.ids, **paths}
    before = snapshot(plain.url)
    result = cli(*fill(case.args, values), actor=case.actor)
    assert_error(result, case.code, case.error.format(**values))
    assert snapshot(plain.url) == before


USAGE_CASES = [
    (("client", "add", "Maya"), "Missing argument 'LAST'.", "client add"),
    (("client", "add", "Bob", "Ray"), "Missing option '--dob'.", "client add"),
]


@pytest.mark.parametrize(("args", "starts", "command"), USAGE_CASES,
                         ids=[" ".join(c[0][:3]) for c in USAGE_CASES])
def test_usage_error_is_one_line(cli, plain, paths, args, starts, command):
    before = snapshot(plain.url)
    result = cli(*fill(args, paths))
    assert_usage_error(result, starts, command)
    assert snapshot(plain.url) == before
