"""``group add``: a named group with its provider, service and first members."""

from __future__ import annotations

import pytest

from tests.fixtures.bad_input import Case, assert_error, assert_usage_error
from tests.fixtures.practice_db import snapshot

NEW_TO_ANA = ("Alert: client #{client} is new to Ana Ruiz: added to their list with "
              "demographics only (the client profile, including each provider's status and "
              "diagnosis, and non-clinical documents). No chart notes were shared.")


def test_add_with_a_member_new_to_the_provider_alerts_even_when_quiet(cli, cast, db_url):
    result = cli("-q", "group", "add", "Tuesday  DBT", "--provider", cast.provider_b,
                 "--client", f"#{cast.client_id}", "-o", "json")
    assert result.exit_code == 0, result.output
    row = result.json()
    assert row["name"] == "Tuesday DBT"
    assert row["provider"] == "Ana Ruiz"
    assert row["service"] == "90853"
    assert row["archived"] is False
    assert [m["client_id"] for m in row["members"]] == [cast.client_id]
    assert result.stderr == NEW_TO_ANA.format(client=cast.client_id) + "\n"
    client = cli("client", "show", f"#{cast.client_id}", "-o", "json").json()
    origins = {p["provider"]: p for p in client["providers"]}
    assert "Ana Ruiz" in origins


def test_member_already_in_the_list_brings_no_alert(cli, cast):
    result = cli("group", "add", "Anxiety", "--provider", cast.provider_a,
                 "--client", cast.client, "--service", "90853")
    assert result.exit_code == 0, result.output
    assert "Alert" not in result.stderr
    assert result.stderr.startswith("Added group #")


def test_discharged_member_is_reactivated_with_the_alert(cli, cast):
    done = cli("client", "status", f"#{cast.client_id}", "--provider", cast.provider_a,
               "--set", "discharged")
    assert done.exit_code == 0, done.output
    result = cli("-q", "group", "add", "Anxiety", "--provider", cast.provider_a,
                 "--client", f"#{cast.client_id}")
    assert result.exit_code == 0, result.output
    assert result.stderr == (f"Client #{cast.client_id} was discharged in Sam Okafor's list; "
                             "reactivated.\n")


def test_adding_again_with_the_same_provider_changes_nothing(cli, cast, db_url):
    first = cli("group", "add", "Anxiety", "--provider", cast.provider_a)
    assert first.exit_code == 0, first.output
    before = snapshot(db_url)
    again = cli("group", "add", "ANXIETY ", "--provider", cast.provider_a)
    assert again.exit_code == 0, again.output
    assert again.stderr == "Group 'Anxiety' already exists; nothing changed.\n"
    assert snapshot(db_url) == before


def test_adding_again_with_another_provider_is_a_conflict(cli, cast, db_url):
    assert cli("group", "add", "Anxiety", "--provider", cast.provider_a).exit_code == 0
    before = snapshot(db_url)
    result = cli("group", "add", "anxiety", "--provider", cast.provider_b)
    assert_error(result, 5, "a client group named 'anxiety' already exists with another "
                 "provider (choose another name)")
    assert snapshot(db_url) == before


def test_dry_run_writes_nothing(cli, cast, db_url):
    before = snapshot(db_url)
    result = cli("group", "add", "Anxiety", "--provider", cast.provider_b,
                 "--client", f"#{cast.client_id}", "--dry-run", "-o", "json")
    assert result.exit_code == 0, result.output
    assert result.json()["id"] is None
    assert "Dry run (nothing written): would add group 'Anxiety' with 1 member." in \
        result.stderr
    assert snapshot(db_url) == before


def test_provider_adds_their_own_group_not_a_colleagues(cli, cast, db_url):
    own = cli("group", "add", "Mine", "--provider", cast.provider_a, actor=cast.provider_a)
    assert own.exit_code == 0, own.output
    before = snapshot(db_url)
    other = cli("group", "add", "Theirs", "--provider", cast.provider_b, actor=cast.provider_a)
    assert_error(other, 4, "group.add: providers manage only their own groups")
    after = snapshot(db_url)
    assert {k: v for k, v in after.items() if k != "audit_event"} == \
        {k: v for k, v in before.items() if k != "audit_event"}
    assert len(after["audit_event"]) == len(before["audit_event"]) + 1


@pytest.mark.parametrize("role", ["biller", "custodian"])
def test_roles_that_only_read_cannot_add(cli, cast, role):
    result = cli("group", "add", "Anxiety", "--provider", cast.provider_a,
                 actor=getattr(cast, role))
    assert_error(result, 4, "group.add: requires one of the roles owner, manager, scheduler, "
                 "provider")


CASES = [
    Case("unknown-service", ("group", "add", "Anxiety", "--provider", "sam@riverside.example",
                             "--service", "99999"), 2,
         "unknown service code '99999' (see `clinicctl service list`)"),
    Case("empty-name", ("group", "add", "  ", "--provider", "sam@riverside.example"), 2,
         "the group name is empty"),
    Case("hash-name", ("group", "add", "#5", "--provider", "sam@riverside.example"), 2,
         "a group name cannot start with '#' ('#5'): '#ID' refers to a group by its id"),
    Case("long-name", ("group", "add", "x" * 101, "--provider", "sam@riverside.example"), 2,
         "the group name is longer than 100 characters"),
    Case("unknown-client", ("group", "add", "Anxiety", "--provider", "sam@riverside.example",
                            "--client", "#999"), 3, "no client with id 999"),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
@pytest.mark.parametrize("dry_run", [False, True])
def test_bad_value(cli, cast, db_url, case, dry_run):
    before = snapshot(db_url)
    result = cli(*case.args, *(["--dry-run"] if dry_run else []))
    assert_error(result, case.code, case.error)
    assert snapshot(db_url) == before


def test_missing_provider_is_a_usage_error(cli, cast):
    assert_usage_error(cli("group", "add", "Anxiety"), "Missing option '--provider'.",
                       "group add")


def test_adding_again_with_another_service_is_a_conflict(cli, cast, db_url):
    assert cli("group", "add", "Anxiety", "--provider", cast.provider_a).exit_code == 0
    before = snapshot(db_url)
    result = cli("group", "add", "Anxiety", "--provider", cast.provider_a,
                 "--service", "90834")
    assert_error(result, 5, "client group 'Anxiety' exists with service 90853")
    assert snapshot(db_url) == before


def test_adding_again_names_clients_it_did_not_add(cli, cast, db_url):
    assert cli("group", "add", "Anxiety", "--provider", cast.provider_a).exit_code == 0
    before = snapshot(db_url)
    result = cli("-q", "group", "add", "Anxiety", "--provider", cast.provider_a,
                 "--client", cast.client, "-o", "json")
    assert result.exit_code == 0, result.output
    group_id = result.json()["id"]
    assert result.stderr == (f"Not added to 'Anxiety': client #{cast.client_id} (add members "
                             f"with `clinicctl group members '#{group_id}' --add ...`).\n")
    assert snapshot(db_url) == before
