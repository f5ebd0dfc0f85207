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


def test_an_external_id_for_a_namesake_names_the_real_reason(cli, cast, db_url):
    """Maya Chen born 1990-04-12 exists without an external id: adding her with one is not
    "the id belongs to someone else", and --new adds a different person of that name."""
    before = snapshot(db_url)
    refused = cli("client", "add", "Maya", "Chen", "--dob", "1990-04-12", "--external-id",
                  "OLD-9")
    assert_error(refused, 5, f"client #{cast.client_id} has this name and date of birth, and "
                 f"no external id (to record 'OLD-9' for them: clinicctl client edit "
                 f"'#{cast.client_id}' --external-id OLD-9; to add a different person: add "
                 "--new)")
    assert snapshot(db_url) == before
    added = cli("client", "add", "Maya", "Chen", "--dob", "1990-04-12", "--external-id",
                "OLD-9", "--new", "-o", "json")
    assert added.exit_code == 0, added.output
    assert added.json()["id"] != cast.client_id
    assert added.json()["external_id"] == "OLD-9"
    assert added.stderr == (
        f"Added client #{added.json()['id']}.\nClient #{cast.client_id} has the same name and "
        "date of birth: refer to each by #ID or external id (one person twice? `client merge` "
        "joins the records).\n")
    # Repeating it finds the new client by its external id: a no-op, not a third Maya.
    again = cli("client", "add", "Maya", "Chen", "--dob", "1990-04-12", "--external-id",
                "OLD-9", "--new", "-o", "json")
    assert (again.exit_code, again.json()["id"]) == (0, added.json()["id"])
    # Two Mayas of one birthday: a name is ambiguous now, an id is not.
    assert cli("client", "show", "Maya Chen").exit_code == 3
    assert cli("client", "show", "OLD-9", "-o", "json").json()["id"] == added.json()["id"]


def test_an_external_id_of_another_person_is_refused_as_such(cli, cast):
    assert cli("client", "edit", "Maya Chen", "--external-id", "EXT-1").exit_code == 0
    refused = cli("client", "add", "Bob", "Ray", "--dob", "1980-01-01", "--external-id",
                  "EXT-1", "--new")
    assert_error(refused, 5, f"external id 'EXT-1' already belongs to client "
                 f"#{cast.client_id}, who has another name or date of birth")


def test_new_adds_a_second_person_without_an_external_id(cli, cast):
    added = cli("client", "add", "Maya", "Chen", "--dob", "1990-04-12", "--new", "-o", "json")
    assert added.exit_code == 0, added.output
    listed = cli("client", "list", "--search", "maya", "-o", "json").json()
    assert sorted(c["id"] for c in listed) == sorted([cast.client_id, added.json()["id"]])


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
