"""``group archive``: idempotent, and --restore brings the group back."""

from __future__ import annotations

from tests.fixtures.bad_input import assert_error
from tests.fixtures.practice_db import snapshot


def test_archive_restore_and_again(cli, cast, db_url):
    assert cli("group", "add", "Grief", "--provider", cast.provider_a).exit_code == 0
    archived = cli("group", "archive", "Grief", "-o", "json")
    assert archived.exit_code == 0, archived.output
    assert archived.json()["archived"] is True
    before = snapshot(db_url)
    again = cli("group", "archive", "Grief")
    assert again.exit_code == 0, again.output
    assert again.stderr == "Group 'Grief' is already archived; nothing changed.\n"
    assert snapshot(db_url) == before
    restored = cli("group", "archive", "Grief", "--restore", "-o", "json")
    assert restored.exit_code == 0, restored.output
    assert restored.json()["archived"] is False
    assert "Restored group #" in restored.stderr


def test_dry_run_writes_nothing(cli, cast, db_url):
    assert cli("group", "add", "Grief", "--provider", cast.provider_a).exit_code == 0
    before = snapshot(db_url)
    result = cli("group", "archive", "Grief", "--dry-run")
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith("Dry run (nothing written): Archived group #")
    assert snapshot(db_url) == before


def test_provider_archives_own_group_and_custodian_cannot(cli, cast):
    assert cli("group", "add", "Grief", "--provider", cast.provider_a).exit_code == 0
    assert_error(cli("group", "archive", "Grief", actor=cast.custodian), 4,
                 "group.archive: requires one of the roles owner, manager, scheduler, provider")
    own = cli("group", "archive", "Grief", actor=cast.provider_a)
    assert own.exit_code == 0, own.output
