"""``group show``: provider, service, members since when, archived state; invisible to a
colleague."""

from __future__ import annotations

import pytest

from tests.fixtures.bad_input import assert_error


@pytest.fixture
def group(cli, cast):
    made = cli("group", "add", "Anxiety", "--provider", cast.provider_a,
               "--client", f"#{cast.client_id}", "-o", "json")
    assert made.exit_code == 0, made.output
    return made.json()


def test_show_by_name_and_id(cli, cast, group):
    by_name = cli("group", "show", "anxiety", "-o", "json")
    by_id = cli("group", "show", f"#{group['id']}", "-o", "json")
    assert by_name.exit_code == by_id.exit_code == 0, by_name.output
    assert by_name.json() == by_id.json() == group
    assert group["members"][0]["name"] == "Maya Chen"
    assert len(group["members"][0]["since"]) == 10


def test_table_names_members(cli, group):
    result = cli("group", "show", "Anxiety")
    assert result.exit_code == 0, result.output
    assert "Maya Chen (#" in result.stdout


@pytest.mark.parametrize("role", ["provider_b", "provider_c", "scoped_custodian"])
def test_not_visible_is_not_found(cli, cast, group, role):
    result = cli("group", "show", "Anxiety", actor=getattr(cast, role))
    assert_error(result, 3, "no client group 'Anxiety' (see `clinicctl group list`)")


@pytest.mark.parametrize("role", ["provider_a", "biller", "custodian", "scheduler"])
def test_readers_see_it(cli, cast, group, role):
    result = cli("group", "show", "Anxiety", "-o", "json", actor=getattr(cast, role))
    assert result.exit_code == 0, result.output
    assert result.json()["id"] == group["id"]


def test_bare_number_hints_at_hash(cli, group):
    assert_error(cli("group", "show", "5"), 3,
                 "no client group '5' (an id is written '#5', quoted so that the shell keeps "
                 "the #)")
