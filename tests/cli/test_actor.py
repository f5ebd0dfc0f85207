"""Who runs a command: ``--as`` (or CLINICCTL_ACTOR, or the config file) names an active staff
member; a missing, unknown, ambiguous or deactivated actor is refused before any work."""

from __future__ import annotations

import pytest

from tests.fixtures.bad_input import (
    ACTOR_HINT,
    AMBIGUOUS_SAM,
    DATA_COMMANDS,
    assert_error,
    command_id,
    fill,
)
from tests.fixtures.cast import OWNER_EMAIL
from tests.fixtures.practice_db import snapshot
from tests.fixtures.schedule_db import LEE


@pytest.mark.parametrize("args", DATA_COMMANDS, ids=command_id)
def test_missing_actor(cli, plain, paths, args):
    before = snapshot(plain.url)
    result = cli(*fill(args, paths), actor=None)
    assert_error(result, 2, f"no actor: every data command runs as a staff member {ACTOR_HINT}")
    assert snapshot(plain.url) == before


@pytest.mark.parametrize("args", DATA_COMMANDS, ids=command_id)
def test_unknown_actor(cli, plain, paths, args):
    before = snapshot(plain.url)
    result = cli(*fill(args, paths), actor="nobody@riverside.example")
    assert_error(result, 3, f"no actor with email 'nobody@riverside.example' {ACTOR_HINT}")
    assert snapshot(plain.url) == before


def test_unknown_actor_name_suggests_close_match(cli, plain):
    result = cli("client", "list", actor="Sam Okafr")
    assert_error(result, 3, f"no actor named 'Sam Okafr' (did you mean: Sam Okafor?) {ACTOR_HINT}")


def test_unknown_actor_id(cli, plain):
    result = cli("client", "list", actor="#999")
    assert_error(result, 3, f"no actor with id 999 {ACTOR_HINT}")


def test_deactivated_actor(cli, twins):
    before = snapshot(twins.url)
    result = cli("client", "add", "New", "Client", "--dob", "2000-01-01", actor=LEE)
    assert_error(result, 4, f"{LEE} is deactivated")
    after = snapshot(twins.url)
    # A denied attempt adds only its audit event.
    added = sorted(set(after.pop("audit_event")) - set(before.pop("audit_event")))
    assert after == before
    assert len(added) == 1 and "'denied'" in added[0], added


def test_ambiguous_actor_lists_candidates(cli, twins):
    before = snapshot(twins.url)
    result = cli("client", "list", actor="Sam Okafor")
    assert result.exit_code == 3, result.output
    assert result.stdout == ""
    assert result.stderr == AMBIGUOUS_SAM.format(**twins.ids)
    assert snapshot(twins.url) == before


def test_actor_from_config_file(cli, db_url, tmp_path):
    (tmp_path / "config.toml").write_text(f'actor = "{OWNER_EMAIL}"\nformat = "json"\n')
    result = cli("staff", "list", actor=None)
    assert result.exit_code == 0, result.output
    assert [s["email"] for s in result.json()] == [OWNER_EMAIL]
