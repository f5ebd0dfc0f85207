"""``group members``: add and remove, idempotently, with history kept."""

from __future__ import annotations

import pytest

from tests.fixtures.bad_input import assert_error
from tests.fixtures.practice_db import snapshot


@pytest.fixture
def group(cli, cast):
    made = cli("group", "add", "Grief", "--provider", cast.provider_b, "-o", "json")
    assert made.exit_code == 0, made.output
    return made.json()


def member_rows(db_url):
    from sqlalchemy import text

    from clinicctl.db import make_engine

    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(
                "SELECT client_id, left_at IS NULL FROM client_group_member ORDER BY id"))]
    finally:
        engine.dispose()


def test_add_alerts_with_quiet_and_adding_again_changes_nothing(cli, cast, group, db_url):
    added = cli("-q", "group", "members", "Grief", "--add", f"#{cast.client_id}")
    assert added.exit_code == 0, added.output
    assert added.stderr.startswith(f"Alert: client #{cast.client_id} is new to Ana Ruiz")
    assert added.stderr.count("\n") == 1
    before = snapshot(db_url)
    again = cli("group", "members", "Grief", "--add", cast.client)
    assert again.exit_code == 0, again.output
    assert again.stderr == (f"Already in 'Grief': client #{cast.client_id}.\n"
                            "Group 'Grief': nothing changed.\n")
    assert snapshot(db_url) == before


def test_remove_keeps_history_and_readding_opens_a_new_stretch(cli, cast, group, db_url):
    assert cli("group", "members", "Grief", "--add", cast.client).exit_code == 0
    removed = cli("group", "members", "Grief", "--remove", cast.client, "-o", "json")
    assert removed.exit_code == 0, removed.output
    assert removed.json()["members"] == []
    assert member_rows(db_url) == [(cast.client_id, False)]
    assert cli("group", "members", "Grief", "--add", cast.client).exit_code == 0
    assert member_rows(db_url) == [(cast.client_id, False), (cast.client_id, True)]


def test_removing_a_non_member_is_a_no_op(cli, cast, group, db_url):
    before = snapshot(db_url)
    result = cli("group", "members", "Grief", "--remove", cast.client)
    assert result.exit_code == 0, result.output
    assert f"Not in 'Grief', nothing to remove: client #{cast.client_id}." in result.stderr
    assert snapshot(db_url) == before


def test_dry_run_writes_nothing(cli, cast, group, db_url):
    before = snapshot(db_url)
    result = cli("group", "members", "Grief", "--add", cast.client, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "Dry run (nothing written): Group 'Grief': added client" in result.stderr
    assert snapshot(db_url) == before


def test_archived_group_takes_no_new_members(cli, cast, group, db_url):
    assert cli("group", "archive", "Grief").exit_code == 0
    before = snapshot(db_url)
    result = cli("group", "members", "Grief", "--add", cast.client)
    assert_error(result, 5, f"client group 'Grief' is archived and takes no new members "
                 f"(restore it first: clinicctl group archive '#{group['id']}' --restore)")
    assert snapshot(db_url) == before


def test_colleague_provider_cannot_change_members(cli, cast, group):
    result = cli("group", "members", "Grief", "--add", cast.client, actor=cast.provider_a)
    assert_error(result, 3, "no client group 'Grief' (see `clinicctl group list`)")


def test_biller_cannot_change_members(cli, cast, group):
    result = cli("group", "members", "Grief", "--add", cast.client, actor=cast.biller)
    assert_error(result, 4, "group.members: requires one of the roles owner, manager, "
                 "scheduler, provider")


@pytest.mark.parametrize(("args", "code", "error"), [
    ((), 2, "nothing to change: give --add or --remove"),
    (("--add", "Maya Chen", "--remove", "Maya Chen"), 2, "client #{c} is both added and "
     "removed"),
    (("--add", "#999"), 3, "no client with id 999"),
])
def test_bad_input(cli, cast, group, db_url, args, code, error):
    before = snapshot(db_url)
    result = cli("group", "members", "Grief", *args)
    assert_error(result, code, error.format(c=cast.client_id))
    assert snapshot(db_url) == before


def test_audit_details_hold_ids_only(cli, cast, group):
    assert cli("group", "members", "Grief", "--add", cast.client).exit_code == 0
    events = cli("audit", "list", "--action", "group.members", "-o", "json")
    assert events.exit_code == 0, events.output
    text = events.stdout
    assert "Grief" not in text and "Maya" not in text
    assert str(cast.client_id) in text


def test_a_merge_moves_memberships_to_the_kept_client(cli, cast, group, db_url):
    duplicate = cli("client", "add", "Maya", "Chen", "--dob", "1990-04-12", "--new",
                    "-o", "json").json()["id"]
    assert cli("group", "add", "Evening", "--provider", cast.provider_b,
               "--client", f"#{duplicate}").exit_code == 0
    assert cli("group", "members", "Grief", "--add", f"#{cast.client_id}",
               "--add", f"#{duplicate}").exit_code == 0
    merged = cli("client", "merge", f"#{cast.client_id}", f"#{duplicate}")
    assert merged.exit_code == 0, merged.output
    for name in ("Grief", "Evening"):
        shown = cli("group", "show", name, "-o", "json").json()
        assert [m["client_id"] for m in shown["members"]] == [cast.client_id]
    # The duplicate's stretch in Grief, where both were members, ended; none was lost.
    assert sorted(member_rows(db_url)) == sorted(
        [(cast.client_id, True), (cast.client_id, True), (cast.client_id, False)])
