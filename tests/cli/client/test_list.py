"""``client list``: the directory, or one provider's list filtered by status."""

from __future__ import annotations

import pytest

from tests.fixtures.bad_input import Case, assert_error, assert_usage_error, fill
from tests.fixtures.cast import OWNER_EMAIL
from tests.fixtures.practice_db import snapshot


def test_client_list_exact_json_and_csv(cli, shared):
    maya, omar = shared.ids["maya"], shared.ids["omar"]
    result = cli("client", "list", "-o", "json")
    assert result.exit_code == 0, result.output
    assert result.json() == [
        {"id": maya, "first_name": "Maya", "last_name": "Chen", "name": "Maya Chen",
         "dob": "1990-04-12", "external_id": None},
        {"id": omar, "first_name": "Omar", "last_name": "Haddad", "name": "Omar Haddad",
         "dob": "1985-09-30", "external_id": None},
    ]
    result = cli("client", "list", "-o", "csv")
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "id,first_name,last_name,name,dob,external_id\n"
        f"{maya},Maya,Chen,Maya Chen,1990-04-12,\n"
        f"{omar},Omar,Haddad,Omar Haddad,1985-09-30,\n"
    )


def test_client_list_provider_statuses(cli, cast):
    sam = cast.provider_a
    for first, status in [("Nina", "active"), ("Ivan", "inactive"), ("Dora", "discharged"),
                          ("Emil", None)]:
        added = cli("client", "add", first, "Test", "--dob", "1980-01-01", "--provider", sam)
        assert added.exit_code == 0, added.output
        if status:
            changed = cli("client", "status", f"{first} Test", "--provider", sam, "--set",
                          status)
            assert changed.exit_code == 0, changed.output

    def names(*extra: str) -> list[str]:
        result = cli("client", "list", "--provider", sam, *extra, "-o", "json")
        assert result.exit_code == 0, result.output
        return [c["name"] for c in result.json()]

    # Ordered by last name, then first name.
    assert names() == ["Maya Chen", "Emil Test", "Nina Test"]
    assert names("--status", "all") == ["Maya Chen", "Dora Test", "Emil Test", "Ivan Test",
                                        "Nina Test"]
    assert names("--status", "inactive,discharged") == ["Dora Test", "Ivan Test"]
    assert names("--status", "all", "--search", "test") == ["Dora Test", "Emil Test",
                                                            "Ivan Test", "Nina Test"]
    # Without --provider: the whole directory.
    everyone = cli("client", "list", "-o", "json")
    assert everyone.exit_code == 0, everyone.output
    assert len(everyone.json()) == 6


# --- bad input --------------------------------------------------------------------------------

CASES = [
    Case("client-list-bad-status", ("client", "list", "--status", "active,gone"), 2,
         "invalid status 'gone'; expected all or new, active, inactive, discharged"),
    Case("client-list-provider-not-provider", ("client", "list", "--provider", OWNER_EMAIL),
         2, "Dana Reyes (#{owner}) is not a provider"),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_bad_value(cli, plain, paths, case):
    values = {**plain.ids, **paths}
    before = snapshot(plain.url)
    result = cli(*fill(case.args, values), actor=case.actor)
    assert_error(result, case.code, case.error.format(**values))
    assert snapshot(plain.url) == before


USAGE_CASES = [
    (("client", "list", "--colour"), "No such option: --colour", "client list"),
]


@pytest.mark.parametrize(("args", "starts", "command"), USAGE_CASES,
                         ids=[" ".join(c[0][:3]) for c in USAGE_CASES])
def test_usage_error_is_one_line(cli, plain, paths, args, starts, command):
    before = snapshot(plain.url)
    result = cli(*fill(args, paths))
    assert_usage_error(result, starts, command)
    assert snapshot(plain.url) == before
