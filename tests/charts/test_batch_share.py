"""``client share --csv`` and ``client unshare --csv``: one code path with the single share,
all or nothing, every bad row named."""

from __future__ import annotations

import json

from sqlalchemy import select

from clinicctl.models import Assignment, AuditEvent, ChartShare
from tests.fixtures.practice_db import snapshot


def write(tmp_path, text: str, name: str = "shares.csv", bom: bool = False):
    path = tmp_path / name
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode())
    return str(path)


def test_valid_file_shares_every_row_and_repeats_as_no_op(cli, cast, db_url, tmp_path,
                                                           open_session):
    added = cli("client", "add", "Omar", "Said, Jr", "--dob", "1980-02-02", "--provider",
                cast.provider_a, "-o", "json")
    assert added.exit_code == 0, added.output
    omar = added.json()["id"]
    path = write(tmp_path, "client,from,to,mode\r\n"
                 f"Maya Chen,{cast.provider_a},{cast.provider_b},\r\n"
                 f'"#{omar}","Sam Okafor",{cast.provider_c},chart\r\n', bom=True)
    result = cli("client", "share", "--csv", path, "-o", "json")
    assert result.exit_code == 0, result.output
    ids = {email: cast.id_of(open_session, email)
           for email in (cast.provider_a, cast.provider_b, cast.provider_c)}
    assert result.json() == [
        {"client_id": cast.client_id, "from_id": ids[cast.provider_a],
         "to_id": ids[cast.provider_b], "assignment": "created", "chart_share": "none",
         "changed": True},
        {"client_id": omar, "from_id": ids[cast.provider_a], "to_id": ids[cast.provider_c],
         "assignment": "created", "chart_share": "started", "changed": True},
    ]
    assert result.stderr == "2 rows shared: 2 changed, 0 already in effect.\n"
    # The demographics-only row gave no chart access.
    notes = cli("note", "list", "Maya Chen", "-o", "json", actor=cast.provider_b)
    assert notes.exit_code == 0, notes.output
    assert notes.json() == []

    before = snapshot(db_url)
    again = cli("client", "share", "--csv", path, "-o", "json")
    assert again.exit_code == 0, again.output
    assert [r["changed"] for r in again.json()] == [False, False]
    assert again.stderr == "2 rows shared: 0 changed, 2 already in effect.\n"
    assert snapshot(db_url) == before


def test_one_bad_row_writes_nothing_and_names_the_row(cli, cast, db_url, tmp_path):
    path = write(tmp_path, "client,from,to\n"
                 f"Maya Chen,{cast.provider_a},{cast.provider_b}\n"
                 f"Maya Chen,{cast.provider_a},Nobody Known\n")
    before = snapshot(db_url)
    result = cli("client", "share", "--csv", path)
    assert result.exit_code == 3, result.output
    assert result.stdout == ""
    assert result.stderr == "Error: row 3, column to: no provider named 'Nobody Known'\n"
    assert snapshot(db_url) == before


def test_every_bad_row_is_listed(cli, cast, db_url, tmp_path):
    path = write(tmp_path, "client,from,to,mode\n"
                 f"Maya Chen,{cast.provider_a},{cast.provider_b},full\n"
                 f"Maya Chen,{cast.provider_a},{cast.provider_a},\n"
                 f"Omar Haddad,{cast.provider_a},{cast.provider_b},\n")
    before = snapshot(db_url)
    result = cli("client", "share", "--csv", path)
    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines() == [
        "Error: 3 of 3 rows failed; nothing was written",
        "  row 2, column mode: invalid mode 'full': expected demographics or chart",
        "  row 3: --from and --to are the same provider (Sam Okafor)",
        "  row 4: client #2 is not in Sam Okafor's list; share from a provider who has the "
        "client",
    ]
    assert snapshot(db_url) == before


def test_a_refused_row_refuses_the_batch_and_is_audited(cli, cast, db_url, tmp_path,
                                                        open_session):
    path = write(tmp_path, "client,from,to\n"
                 f"Maya Chen,{cast.provider_a},{cast.provider_b}\n")
    result = cli("client", "share", "--csv", path, actor=cast.scheduler)
    assert result.exit_code == 4, result.output
    assert result.stderr == ("Error: row 2: client.share: requires one of the roles owner, "
                             "manager, records-custodian, provider\n")
    with open_session(write=False) as s:
        assert s.scalars(select(Assignment).where(
            Assignment.client_id == cast.client_id)).all()[-1].origin == "intake"
        denied = s.scalars(select(AuditEvent).where(AuditEvent.outcome == "denied")).all()
    assert [(e.action, e.client_id) for e in denied] == [("client.share", cast.client_id)]
    assert json.loads(denied[0].details)["chart"] is False


def test_dry_run_and_stdin(cli, cast, db_url):
    before = snapshot(db_url)
    text = f"client,from,to,mode\nMaya Chen,{cast.provider_a},{cast.provider_b},chart\n"
    result = cli("client", "share", "--csv", "-", "--dry-run", "-o", "csv", input=text)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "client_id,from_id,to_id,assignment,chart_share,changed"
    assert result.stdout.splitlines()[1].endswith(",created,started,true")
    assert result.stderr.startswith("Dry run (nothing written): 1 row shared")
    assert snapshot(db_url) == before


def test_unshare_csv_ends_chart_shares(cli, cast, tmp_path, open_session):
    shared = cli("client", "share", "Maya Chen", "--from", cast.provider_a, "--to",
                 cast.provider_b, "--chart")
    assert shared.exit_code == 0, shared.output
    path = write(tmp_path, f"client,from,to\nMaya Chen,{cast.provider_a},{cast.provider_b}\n")
    result = cli("client", "unshare", "--csv", path, "-o", "json")
    assert result.exit_code == 0, result.output
    assert [(r["assignment"], r["chart_share"]) for r in result.json()] == [
        ("existing", "ended")]
    with open_session(write=False) as s:
        assert s.scalars(select(ChartShare).where(ChartShare.ended_at.is_(None))).all() == []


def test_bad_files(cli, cast, tmp_path):
    empty = write(tmp_path, "", "empty.csv")
    header_only = write(tmp_path, "client,from,to\n", "header.csv")
    wrong = write(tmp_path, "client,from,until\nA,B,C\n", "wrong.csv")
    short = write(tmp_path, "client,from,to\nMaya Chen,x\n", "short.csv")
    latin = tmp_path / "latin.csv"
    latin.write_bytes("client,from,to\nJos\xe9,a,b\n".encode("latin-1"))
    cases = [
        (empty, "the CSV file is empty: expected a header row client,from,to"),
        (header_only, "the CSV file has no data rows"),
        (wrong, "row 1: missing column 'to' (expected client,from,to,mode)"),
        (short, "row 2: expected 3 cells, found 2"),
        (str(latin), f"{latin} is not UTF-8 text"),
        (str(tmp_path / "absent.csv"),
         f"cannot read {tmp_path / 'absent.csv'}: No such file or directory"),
    ]
    for path, error in cases:
        result = cli("client", "share", "--csv", path)
        assert result.exit_code == 2, (path, result.output)
        assert result.stderr == f"Error: {error}\n"
    mixed = cli("client", "share", "Maya Chen", "--csv", header_only)
    assert mixed.exit_code == 2, mixed.output


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
