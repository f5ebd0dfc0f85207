"""The batch share's bulk path: a chunk's lookups preloaded and its writes made together must
give exactly what the single command gives, row for row, across chunk boundaries."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from clinicctl.models import Assignment, AuditEvent, ChartShare
from tests.fixtures.cast import OWNER_EMAIL


def write(tmp_path, text: str, name: str = "shares.csv") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def events_after(open_session, mark: int) -> list[tuple[str, str, int | None, dict]]:
    with open_session(write=False) as s:
        return [(e.action, e.object_type, e.client_id, json.loads(e.details))
                for e in s.scalars(select(AuditEvent).where(AuditEvent.id > mark)
                                   .order_by(AuditEvent.id))]


def last_event(open_session) -> int:
    with open_session(write=False) as s:
        return max(s.scalars(select(AuditEvent.id)))


@pytest.fixture
def small_chunks(monkeypatch):
    from clinicctl.charts import batch

    monkeypatch.setattr(batch, "CHUNK", 2)


def test_a_batch_writes_what_single_shares_write(cli, cast, open_session, tmp_path,
                                                 small_chunks):
    """The same three shares, once as a batch split over two chunks and once one by one
    (after taking the batch's shares back off): the same results and the same audit events."""
    rows = [(cast.client, cast.provider_a, cast.provider_b, "chart"),
            (cast.client, cast.provider_a, cast.provider_c, "demographics"),
            (cast.client, cast.provider_a, cast.provider_b, "chart")]  # repeat: a no-op
    mark = last_event(open_session)
    text = "client,from,to,mode\n" + "".join(",".join(r) + "\n" for r in rows)
    result = cli("client", "share", "--csv", write(tmp_path, text), "-o", "json")
    assert result.exit_code == 0, result.output
    batch_results = result.json()
    batch_events = events_after(open_session, mark)
    sam, ana = (cast.id_of(open_session, email) for email in (cast.provider_a, cast.provider_b))
    with open_session(write=False) as s:
        shares = s.scalars(select(ChartShare)).all()
        assert [(c.from_provider_id, c.to_provider_id, c.ended_at) for c in shares] == [
            (sam, ana, None)]
        ids = [a.id for a in s.scalars(select(Assignment).order_by(Assignment.id))]
    assert len(ids) == len(set(ids)) == 4  # Maya with A, B, C; Omar with Kim
    # Every event names the object it is about, as the single command's events do.
    with open_session(write=False) as s:
        new_events = s.scalars(select(AuditEvent).where(AuditEvent.id > mark)
                               .order_by(AuditEvent.id)).all()
        assert all(e.object_id is not None for e in new_events)

    # Now undo and redo by single commands; the results and events must be the same.
    for to in (cast.provider_b, cast.provider_c):
        undone = cli("client", "unshare", cast.client, "--from", cast.provider_a, "--to", to,
                     "--remove")
        assert undone.exit_code == 0, undone.output
    mark = last_event(open_session)
    single_results = []
    for client, giver, taker, mode in rows:
        args = ["client", "share", client, "--from", giver, "--to", taker, "-o", "json"]
        one = cli(*args, *(["--chart"] if mode == "chart" else []))
        assert one.exit_code == 0, one.output
        single_results.append(one.json())
    single_events = events_after(open_session, mark)
    assert batch_results == single_results
    assert batch_events == single_events
    verified = cli("audit", "verify", "-o", "json")
    assert verified.exit_code == 0, verified.output


def test_a_narrower_chart_share_in_a_batch_ends_the_old_grant(cli, cast, open_session,
                                                              tmp_path, small_chunks):
    started = cli("client", "share", cast.client, "--from", cast.provider_a, "--to",
                  cast.provider_b, "--chart", "--private-notes")
    assert started.exit_code == 0, started.output
    text = f"client,from,to,mode\n{cast.client},{cast.provider_a},{cast.provider_b},chart\n"
    result = cli("client", "share", "--csv", write(tmp_path, text), "-o", "json")
    assert result.exit_code == 0, result.output
    assert result.json()[0]["chart_share"] == "started"
    with open_session(write=False) as s:
        shares = s.scalars(select(ChartShare).order_by(ChartShare.id)).all()
        assert [(c.include_private_notes, c.ended_at is None) for c in shares] == [
            (True, False), (False, True)]
    # Ana now reads Sam's progress note but no longer his private one.
    notes = cli("note", "list", cast.client, "-o", "json", actor=cast.provider_b).json()
    assert [n["kind"] for n in notes] == ["progress"]
    assert cli("audit", "verify").exit_code == 0


def test_a_share_started_and_narrowed_within_one_chunk(cli, cast, open_session, tmp_path):
    """A chart share started by one row and replaced by a later row of the same chunk: the
    first is written early so the second can end it by id."""
    from clinicctl.charts import batch, sharing
    from clinicctl.people.refs import resolve_staff

    with open_session() as s:
        owner = resolve_staff(s, OWNER_EMAIL)
        store = batch.BulkShareStore(s)
        rows = [(2, {"client": cast.client, "from": cast.provider_a, "to": cast.provider_b})]
        store.preload(rows)
        first = sharing.share(s, owner, cast.client, cast.provider_a, cast.provider_b,
                              chart=True, private_notes=True, store=store)
        second = sharing.share(s, owner, cast.client, cast.provider_a, cast.provider_b,
                               chart=True, store=store)
        store.write()
        assert (first.chart_share, second.chart_share) == ("started", "started")
    with open_session(write=False) as s:
        shares = s.scalars(select(ChartShare).order_by(ChartShare.id)).all()
        assert [(c.include_private_notes, c.ended_at is None) for c in shares] == [
            (True, False), (False, True)]
    assert cli("audit", "verify").exit_code == 0


def test_many_rows_over_many_chunks(cli, cast, open_session, tmp_path, monkeypatch):
    from clinicctl.charts import batch

    monkeypatch.setattr(batch, "CHUNK", 50)
    people = "".join(f"E{i},First{i},Last{i},1980-01-01\n" for i in range(240))
    imported = cli("import", "clients", write(tmp_path, "external_id,first_name,last_name,dob\n"
                                              + people, "clients.csv"))
    assert imported.exit_code == 0, imported.output
    assignments = "".join(f"E{i},{cast.provider_a}\n" for i in range(240))
    given = cli("import", "assignments",
                write(tmp_path, "client_external_id,provider\n" + assignments, "a.csv"))
    assert given.exit_code == 0, given.output
    # Clients by external id, by #ID and by name, to two providers, with a bad row at the end.
    rows = []
    for i in range(240):
        ref = (f"E{i}", f"First{i} Last{i}")[i % 2]
        rows.append(f"{ref},{cast.provider_a},{(cast.provider_b, cast.provider_c)[i % 2]}")
    rows.append(f"E5,{cast.provider_a},Nobody Known")
    result = cli("client", "share", "--csv",
                 write(tmp_path, "client,from,to\n" + "\n".join(rows) + "\n"))
    assert result.exit_code == 3, result.output
    assert result.stderr == "Error: row 242, column to: no provider named 'Nobody Known'\n"
    result = cli("client", "share", "--csv",
                 write(tmp_path, "client,from,to\n" + "\n".join(rows[:-1]) + "\n"), "-o", "json")
    assert result.exit_code == 0, result.output
    assert [r["assignment"] for r in result.json()] == ["created"] * 240
    with open_session(write=False) as s:
        count = len(s.scalars(select(Assignment.id)).all())
    assert count == 2 + 240 * 2
    again = cli("client", "share", "--csv",
                write(tmp_path, "client,from,to\n" + "\n".join(rows[:-1]) + "\n"), "-o", "json")
    assert [r["changed"] for r in again.json()] == [False] * 240
    assert cli("audit", "verify").exit_code == 0


def test_too_many_bad_rows_are_counted_not_all_listed(cli, cast, tmp_path):
    rows = "".join(f"Nobody{i} Here,{cast.provider_a},{cast.provider_b}\n" for i in range(60))
    result = cli("client", "share", "--csv", write(tmp_path, "client,from,to\n" + rows))
    assert result.exit_code == 3, result.output
    lines = result.stderr.splitlines()
    assert lines[0] == "Error: 60 of 60 rows failed; nothing was written"
    assert len(lines) == 1 + 50 + 1 and lines[-1] == "  ... and 10 more"


def test_a_batch_prints_the_notes_a_single_share_prints(cli, cast, tmp_path):
    given = cli("client", "share", cast.client, "--from", cast.provider_a, "--to",
                cast.provider_b)
    assert given.exit_code == 0, given.output
    status = cli("client", "status", cast.client, "--provider", cast.provider_b, "--set",
                 "inactive")
    assert status.exit_code == 0, status.output
    text = f"client,from,to\n{cast.client},{cast.provider_a},{cast.provider_b}\n"
    result = cli("--quiet", "client", "share", "--csv", write(tmp_path, text), "-o", "json")
    assert result.exit_code == 0, result.output
    assert result.stderr == ("row 2: Ana Ruiz's status for this client is inactive; change it "
                             "with `client status`\n")
