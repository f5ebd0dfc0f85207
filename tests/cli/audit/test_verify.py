"""``audit verify``: an intact chain, and the first event after an edit or a deletion."""

from __future__ import annotations

from sqlalchemy import delete, select, update

from clinicctl.models import AuditEvent


def test_verify_reports_an_intact_chain(cli, cast):
    result = cli("audit", "verify", "-o", "json")
    assert result.exit_code == 0, result.output
    data = result.json()
    assert data["ok"] is True
    assert data["broken_at"] is None
    assert data["events"] > 10


def test_verify_names_the_first_edited_event(cli, cast, open_session):
    with open_session() as s:
        target = s.scalars(select(AuditEvent.id).order_by(AuditEvent.id).offset(3)).first()
        s.execute(update(AuditEvent).where(AuditEvent.id == target)
                  .values(details='{"tampered":true}'))
    result = cli("audit", "verify", "-o", "json")
    assert result.exit_code == 5, result.output
    assert result.json()["broken_at"] == target
    assert result.stderr == (f"Error: audit chain broken at event #{target}: "
                             "event content does not match its hash\n")


def test_verify_names_the_event_after_a_deleted_one(cli, cast, open_session):
    with open_session() as s:
        ids = list(s.scalars(select(AuditEvent.id).order_by(AuditEvent.id)))
        s.execute(delete(AuditEvent).where(AuditEvent.id == ids[2]))
    result = cli("audit", "verify", "-o", "json")
    assert result.exit_code == 5, result.output
    assert result.json()["broken_at"] == ids[3]
    assert "previous-hash link does not match" in result.stderr
