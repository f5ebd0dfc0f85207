"""The audit trail: every change and chart read is recorded, chained, and free of PHI; on
PostgreSQL the database computes the same hashes."""

from __future__ import annotations

import json
import threading

import pytest
from sqlalchemy import select

from clinicctl.models import AuditEvent


def _events(open_session, **where):
    with open_session(write=False) as s:
        query = select(AuditEvent).order_by(AuditEvent.id)
        for key, value in where.items():
            query = query.where(getattr(AuditEvent, key) == value)
        return [(e.id, e.actor_id, e.action, e.object_type, e.object_id, e.client_id,
                 e.outcome, json.loads(e.details)) for e in s.scalars(query)]


def test_note_reads_are_audited_with_ids_only(cli, cast, open_session):
    sam = cast.id_of(open_session, cast.provider_a)
    shown = cli("note", "show", str(cast.progress_note_id), actor=cast.provider_a)
    assert shown.exit_code == 0, shown.output
    listed = cli("note", "list", cast.client, "-o", "json", actor=cast.provider_a)
    assert listed.exit_code == 0, listed.output
    reads = _events(open_session, actor_id=sam, action="note.read")
    assert [(r[3], r[4], r[5], r[6]) for r in reads] == [
        ("chart_note", cast.progress_note_id, cast.client_id, "ok")]
    lists = _events(open_session, actor_id=sam, action="note.list")
    assert len(lists) == 1
    assert sorted(lists[0][7]["note_ids"]) == sorted([cast.progress_note_id,
                                                      cast.private_note_id])


def test_clinical_document_reads_are_audited(cli, cast, open_session, tmp_path):
    out = tmp_path / "assessment.bin"
    result = cli("doc", "get", str(cast.clinical_doc_id), "--output", str(out),
                 actor=cast.provider_a)
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == b"clinical"
    events = _events(open_session, action="doc.read", object_id=cast.clinical_doc_id)
    assert [(e[6], e[7]) for e in events] == [("ok", {"clinical": True})]


def test_no_phi_in_the_audit_trail(cli, cast, open_session):
    added = cli("client", "add", "Zebediah", "Quillfeather", "--dob", "1977-03-05",
                "--email", "zq@example.org", "--provider", cast.provider_a, "-o", "json")
    assert added.exit_code == 0, added.output
    note = cli("note", "add", "Zebediah Quillfeather", "--body", "Discussed insomnia triggers",
               actor=cast.provider_a)
    assert note.exit_code == 0, note.output
    shared = cli("client", "share", "Zebediah Quillfeather", "--from", cast.provider_a,
                 "--to", cast.provider_b, "--chart")
    assert shared.exit_code == 0, shared.output
    refused = cli("note", "list", "Zebediah Quillfeather", actor=cast.biller)
    assert refused.exit_code == 4, refused.output
    with open_session(write=False) as s:
        dumped = json.dumps([
            [e.action, e.object_type, e.details] for e in s.scalars(select(AuditEvent))
        ]).lower()
    for secret in ("zebediah", "quillfeather", "1977-03-05", "zq@example.org", "insomnia",
                   "maya", "chen", "progress note"):
        assert secret not in dumped


def test_concurrent_writers_keep_one_chain(db_url, open_session):
    """Writers in parallel threads (own connections) never fork the hash chain."""
    from clinicctl.db import make_engine, session_scope
    from clinicctl.people import staff
    from clinicctl.people.refs import resolve_staff

    errors: list[BaseException] = []

    def add(n: int) -> None:
        engine = make_engine(db_url)
        try:
            with session_scope(engine) as s:
                owner = resolve_staff(s, "dana@riverside.example")
                staff.create_staff(s, name=f"Worker {n}", email=f"w{n}@riverside.example",
                                   roles=["scheduler"], created_by=owner)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=add, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    from clinicctl import trail

    with open_session(write=False) as s:
        result = trail.verify(s)
        assert result.ok, result
        hashes = [e.prev_hash for e in s.scalars(select(AuditEvent))]
    assert len(hashes) == len(set(hashes))


def test_every_recorded_action_is_a_named_action(cli, cast, open_session, tmp_path):
    """Actions are named once (actions.Action): the checks and the trail use the same names."""
    from clinicctl.actions import Action

    assert cli("client", "share", cast.client, "--from", cast.provider_a, "--to",
               cast.provider_b, "--chart").exit_code == 0
    assert cli("client", "unshare", cast.client, "--from", cast.provider_a, "--to",
               cast.provider_b, "--remove").exit_code == 0
    assert cli("note", "show", str(cast.private_note_id), actor=cast.provider_b).exit_code == 4
    assert cli("export", "clients", "--output", str(tmp_path / "c.csv")).exit_code == 0
    with open_session(write=False) as s:
        actions = set(s.scalars(select(AuditEvent.action).distinct()))
    assert len(actions) > 8
    assert actions <= {action.value for action in Action}


def test_audit_chain_hashes_agree_between_python_and_the_database(db_url, open_session):
    """On PostgreSQL the database computes the hashes: they must be the ones services/audit.py
    computes, for any details (quotes, backslashes, non-ASCII escapes)."""
    if not db_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only")
    from sqlalchemy import select

    from clinicctl import trail
    from clinicctl.models import AuditEvent

    with open_session() as s:
        trail.record(s, actor_id=1, action="staff.show", object_type="staff",
                     details={"odd": 'quote " back \\ tab \t é ✓ \U0001f600', "n": [1, None]})
        trail.record_many(s, [{"actor_id": 1, "action": "staff.list", "object_type": "staff",
                               "details": {"i": i, "s": "\x7f\x01"}} for i in range(3)])
    with open_session(write=False) as s:
        events = s.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
        prev = trail.GENESIS_HASH
        for event in events:
            assert event.prev_hash == prev
            assert trail._event_hash(prev, trail._fields(event)) == event.hash
            prev = event.hash
        assert json.loads(events[-1].details) == {"i": 2, "s": "\x7f\x01"}
