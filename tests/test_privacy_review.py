"""Paths found in review: a staff member cannot grant themselves chart access, reports do not
reveal who wrote invisible notes, every refused batch row is audited, addendum ids cannot be
probed."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from clinicctl.models import AuditEvent, ChartShare


@pytest.mark.parametrize("role_email", ["morgan@riverside.example", "dana@riverside.example",
                                        "rae@riverside.example"])
def test_nobody_starts_a_chart_share_to_themselves(cli, cast, open_session, role_email):
    added = cli("staff", "roles", role_email, "--add", "provider")
    assert added.exit_code == 0, added.output
    result = cli("client", "share", cast.client, "--from", cast.provider_a, "--to", role_email,
                 "--chart", "--private-notes", actor=role_email)
    assert result.exit_code == 4, result.output
    assert "you cannot start a chart share to yourself" in result.stderr
    with open_session(write=False) as s:
        assert s.scalars(select(ChartShare)).all() == []
    notes = cli("note", "show", str(cast.private_note_id), actor=role_email)
    assert notes.exit_code == 4, notes.output
    # A colleague may still share the chart with them, and the from-provider may too.
    granted = cli("client", "share", cast.client, "--from", cast.provider_a, "--to", role_email,
                  "--chart", actor=cast.provider_a)
    assert granted.exit_code == 0, granted.output


def test_access_report_does_not_reveal_authors_of_invisible_notes(cli, cast):
    shared = cli("client", "share", cast.client, "--from", cast.provider_a, "--to",
                 cast.provider_b)
    assert shared.exit_code == 0, shared.output
    as_scheduler = cli("client", "access", cast.client, "-o", "json", actor=cast.scheduler)
    assert as_scheduler.exit_code == 0, as_scheduler.output
    rows = {r["staff"]: r for r in as_scheduler.json()}
    assert "their own notes" not in rows["Sam Okafor"]["chart_reason"]
    assert "their own notes" not in rows["Ana Ruiz"]["chart_reason"]
    as_owner = cli("client", "access", cast.client, "-o", "json")
    assert "their own notes" in {r["staff"]: r for r in as_owner.json()}["Sam Okafor"][
        "chart_reason"]


def test_every_refused_batch_row_is_audited(cli, cast, tmp_path, open_session):
    path = tmp_path / "rows.csv"
    path.write_text("client,from,to\n"
                    f"Maya Chen,{cast.provider_b},{cast.provider_c}\n"
                    f"Omar Haddad,{cast.provider_own},{cast.provider_c}\n")
    result = cli("client", "share", "--csv", str(path), actor=cast.provider_b)
    assert result.exit_code == 4, result.output
    with open_session(write=False) as s:
        denied = s.scalars(select(AuditEvent).where(AuditEvent.outcome == "denied")).all()
    assert len(denied) == 2
    assert {json.loads(e.details)["from_id"] for e in denied} == {
        cast.id_of(open_session, cast.provider_b), cast.id_of(open_session, cast.provider_own)}


def test_addendum_ids_cannot_be_probed(cli, cast):
    shared = cli("client", "share", cast.client, "--from", cast.provider_a, "--to",
                 cast.provider_b)
    assert shared.exit_code == 0, shared.output
    unreadable = cli("note", "add", cast.client, "--body", "x", "--addendum-to",
                     str(cast.progress_note_id), actor=cast.provider_b)
    missing = cli("note", "add", cast.client, "--body", "x", "--addendum-to", "99999",
                  actor=cast.provider_b)
    assert (unreadable.exit_code, missing.exit_code) == (4, 4), (unreadable.output,
                                                                 missing.output)
    assert unreadable.stderr == missing.stderr
