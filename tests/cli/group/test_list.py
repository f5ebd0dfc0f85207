"""``group list``: the groups each role may see; archived ones only when asked for."""

from __future__ import annotations

import pytest


@pytest.fixture
def groups(cli, cast):
    for name, provider in [("Anxiety", cast.provider_a), ("Grief", cast.provider_b),
                           ("Teens", cast.provider_c)]:
        made = cli("group", "add", name, "--provider", provider)
        assert made.exit_code == 0, made.output
    assert cli("group", "archive", "Grief").exit_code == 0
    return cast


def names(cli, *args, actor):
    result = cli("group", "list", *args, "-o", "json", actor=actor)
    assert result.exit_code == 0, result.output
    return [row["name"] for row in result.json()]


@pytest.mark.parametrize(("role", "seen"), [
    ("owner", ["Anxiety", "Teens"]), ("manager", ["Anxiety", "Teens"]),
    ("scheduler", ["Anxiety", "Teens"]), ("biller", ["Anxiety", "Teens"]),
    ("custodian", ["Anxiety", "Teens"]), ("scoped_custodian", ["Teens"]),
    ("provider_a", ["Anxiety"]), ("provider_b", []), ("provider_own", []),
])
def test_each_role_sees_its_groups(cli, groups, role, seen):
    assert names(cli, actor=getattr(groups, role)) == seen


def test_archived_are_listed_when_asked_for(cli, groups):
    assert names(cli, "--archived", actor=groups.owner) == ["Anxiety", "Grief", "Teens"]
    assert names(cli, "--archived", actor=groups.provider_b) == ["Grief"]


def test_provider_filter(cli, groups):
    assert names(cli, "--provider", groups.provider_c, actor=groups.scheduler) == ["Teens"]


def test_empty_list_says_how_to_add(cli, cast):
    result = cli("group", "list")
    assert result.exit_code == 0, result.output
    assert "No client groups" in result.stderr + result.stdout
