"""Audit anchors: the chain's head kept outside the database proves that nothing up to it was
rewritten, removed or emptied, which the chain alone cannot (SPEC section 8)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select, update

from clinicctl import trail
from clinicctl.models import AuditEvent


def write_anchor(cli, path: Path) -> dict:
    result = cli("audit", "anchor", "--output", str(path))
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert path.stat().st_mode & 0o777 == 0o600
    return json.loads(path.read_text())


def rechain(session, start_id: int) -> None:
    """What an insider with write access would do after changing the trail: recompute every
    hash from ``start_id`` on, so the chain verifies again."""
    prev = session.scalar(select(AuditEvent.hash).where(AuditEvent.id < start_id)
                          .order_by(AuditEvent.id.desc()).limit(1)) or trail.GENESIS_HASH
    for event in session.scalars(select(AuditEvent).where(AuditEvent.id >= start_id)
                                 .order_by(AuditEvent.id)):
        event.prev_hash = prev
        event.hash = trail._event_hash(prev, trail._fields(event))
        prev = event.hash
    session.flush()


def test_anchor_is_the_chain_head(cli, cast, open_session, tmp_path):
    anchor = write_anchor(cli, tmp_path / "a.json")
    with open_session(write=False) as s:
        last = s.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).one()
        count = s.scalar(select(func.count()).select_from(AuditEvent))
    assert set(anchor) == {"event_id", "hash", "at", "count"}
    assert (anchor["event_id"], anchor["hash"], anchor["count"]) == (last.id, last.hash, count)
    assert anchor["at"].endswith(("-05:00", "-04:00"))  # the practice's offset
    printed = cli("audit", "anchor")
    assert printed.exit_code == 0, printed.output
    assert json.loads(printed.stdout) == anchor


def test_verify_with_anchors_counts_what_came_after(cli, cast, tmp_path):
    first = write_anchor(cli, tmp_path / "first.json")
    shared = cli("client", "share", cast.client, "--from", cast.provider_a, "--to",
                 cast.provider_b)
    assert shared.exit_code == 0, shared.output
    write_anchor(cli, tmp_path / "second.json")
    result = cli("audit", "verify", "--anchor", str(tmp_path / "first.json"), "--anchor",
                 str(tmp_path / "second.json"), "-o", "json")
    assert result.exit_code == 0, result.output
    data = result.json()
    assert data["ok"] is True
    after = [check["events_after"] for check in data["anchors"]]
    assert after[1] == 0 and after[0] == data["events"] - first["count"] > 0
    assert (f"Anchor {tmp_path / 'first.json'} (event #{first['event_id']}): intact, "
            f"{after[0]} events after it.") in result.stderr


def _tamper_rewrite(s, ids):
    # Remove a refusal from the record: rewrite one event's outcome, recompute the rest.
    s.execute(update(AuditEvent).where(AuditEvent.id == ids[2]).values(outcome="ok",
                                                                       details="{}"))
    rechain(s, ids[2])


def _tamper_delete_middle(s, ids):
    s.execute(delete(AuditEvent).where(AuditEvent.id == ids[2]))
    rechain(s, ids[3])


def _tamper_truncate_tail(s, ids):
    s.execute(delete(AuditEvent).where(AuditEvent.id >= ids[-3]))


def _tamper_empty(s, ids):
    s.execute(delete(AuditEvent))


@pytest.mark.parametrize("tamper, reason", [
    (_tamper_rewrite, "no longer has the anchored hash: the chain was rewritten up to it"),
    (_tamper_delete_middle, "no longer has the anchored hash: the chain was rewritten up to it"),
    (_tamper_truncate_tail, "is gone: the trail was truncated or emptied"),
    (_tamper_empty, "is gone: the trail was truncated or emptied"),
], ids=["rewrite", "delete-middle", "truncate-tail", "empty"])
def test_verify_with_an_anchor_fails_after_tampering(cli, cast, open_session, tmp_path, tamper,
                                                     reason):
    path = tmp_path / "anchor.json"
    anchor = write_anchor(cli, path)
    with open_session() as s:
        ids = list(s.scalars(select(AuditEvent.id).order_by(AuditEvent.id)))
        tamper(s, ids)
    plain = cli("audit", "verify", "-o", "json")
    # Without the anchor the tampered trail looks intact: that is what the anchor is for.
    assert plain.exit_code == 0, plain.output
    result = cli("audit", "verify", "--anchor", str(path), "-o", "json")
    assert result.exit_code == 5, result.output
    assert result.stderr.endswith(
        f"Error: audit trail does not match anchor {path}: event #{anchor['event_id']} "
        f"{reason}\n")
    assert result.json()["ok"] is False


def test_the_first_broken_anchor_is_named(cli, cast, open_session, tmp_path):
    early, late = tmp_path / "early.json", tmp_path / "late.json"
    first = write_anchor(cli, early)
    assert cli("client", "share", cast.client, "--from", cast.provider_a, "--to",
               cast.provider_b).exit_code == 0
    write_anchor(cli, late)
    with open_session() as s:
        ids = list(s.scalars(select(AuditEvent.id).order_by(AuditEvent.id)))
        _tamper_rewrite(s, ids)
    result = cli("audit", "verify", "--anchor", str(late), "--anchor", str(early))
    assert result.exit_code == 5, result.output
    assert f"does not match anchor {early}: event #{first['event_id']}" in result.stderr


@pytest.mark.parametrize("content, error", [
    ("not json", "is not JSON"),
    ('["a"]', "is not a JSON object"),
    ('{"event_id": 1, "hash": "x", "count": 1}', "needs event_id, hash and count"),
])
def test_a_bad_anchor_file_exits_2(cli, cast, tmp_path, content, error):
    path = tmp_path / "bad.json"
    path.write_text(content)
    result = cli("audit", "verify", "--anchor", str(path))
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"Error: anchor {path} {error}")


@pytest.mark.parametrize("who", ["provider_a", "custodian"])
def test_anchors_are_for_those_who_read_every_event(cli, cast, open_session, who):
    """The head's hash could be reversed by guessing an event's content: only the owner and
    managers (who read every event anyway) take anchors; a custodian still verifies."""
    result = cli("audit", "anchor", actor=getattr(cast, who))
    assert result.exit_code == 4, result.output
    assert result.stderr == ("Error: audit.anchor: requires one of the roles owner, manager\n")
    assert cli("audit", "anchor", actor=cast.manager).exit_code == 0
    assert cli("audit", "verify", actor=cast.custodian).exit_code == 0
