"""``client access --emergency``: break the glass. For four hours the actor reads the
client's profile and non-private notes, with a warning, an audit event whose details hold no
reason (only its SHA-256), and the reason kept where only the owner and records custodians
read it (``audit list --emergency``)."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from tests.fixtures.practice_db import snapshot

REASON = "Crisis call: her provider is away until Monday"


def open_access(cli: Any, cast: Any, who: str, *extra: str) -> Any:
    return cli(*extra, "client", "access", cast.client, "--emergency", "--reason", REASON,
               "-o", "json", actor=who)


def test_a_provider_outside_the_care_team_reads_the_chart_for_four_hours(cli, cast, tmp_path):
    kim = cast.provider_own
    assert cli("client", "show", cast.client, actor=kim).exit_code == 4
    opened = open_access(cli, cast, kim, "--quiet")
    assert opened.exit_code == 0, opened.output
    row = opened.json()
    assert (row["client_id"], row["staff"]) == (cast.client_id, "Kim Novak")
    import datetime as dt

    started = dt.datetime.fromisoformat(row["started_at"])
    expires = dt.datetime.fromisoformat(row["expires_at"])
    assert expires - started == dt.timedelta(hours=4)
    # The warning survives --quiet.
    assert opened.stderr.startswith(f"Warning: emergency access to client #{cast.client_id} "
                                    "is open for Kim Novak until ")
    assert opened.stderr.endswith("This is on record with your reason, and every note you "
                                  "read is audited as an emergency read.\n")

    assert cli("client", "show", cast.client, actor=kim).exit_code == 0
    notes = cli("note", "list", cast.client, "-o", "json", actor=kim)
    assert notes.exit_code == 0, notes.output
    assert [n["id"] for n in notes.json()] == [cast.progress_note_id]
    assert cli("note", "show", str(cast.private_note_id), actor=kim).exit_code == 4
    docs = cli("doc", "list", cast.client, "-o", "json", actor=kim)
    assert docs.exit_code == 0, docs.output
    assert [d["id"] for d in docs.json()] == [cast.plain_doc_id]  # no clinical document
    assert cli("doc", "get", str(cast.clinical_doc_id), "--output", str(tmp_path / "d"),
               actor=kim).exit_code == 4

    reads = cli("audit", "list", "--action", "emergency.read", "-o", "json").json()
    assert [(e["actor"], e["details"]["read"], e["details"]["note_ids"],
             e["details"]["emergency_access_id"]) for e in reads] == [
        ("Kim Novak", "note.list", [cast.progress_note_id], row["id"])]
    report = cli("client", "access", cast.client, "--staff", kim, "-o", "json").json()[0]
    assert report["profile_reason"].startswith("emergency access until ")
    assert report["chart_reason"].startswith("emergency access until ")


def test_the_event_holds_no_reason_and_only_the_owner_and_custodians_read_it(cli, cast,
                                                                            open_session):
    from sqlalchemy import select

    from clinicctl.models import EmergencyAccess

    opened = open_access(cli, cast, cast.provider_own)
    assert opened.exit_code == 0, opened.output
    access_id = opened.json()["id"]
    [event] = cli("audit", "list", "--action", "client.emergency", "-o", "json").json()
    assert (event["object_type"], event["object_id"], event["client_id"], event["actor"]) == (
        "emergency_access", access_id, cast.client_id, "Kim Novak")
    with open_session(write=False) as s:
        salt = s.scalar(select(EmergencyAccess.reason_salt))
    # Salted: a changed reason shows, a guessed one cannot be confirmed from the trail.
    assert len(salt) == 32
    assert event["details"]["reason_sha256"] == hashlib.sha256(
        (salt + REASON).encode()).hexdigest()
    assert event["details"]["reason_sha256"] != hashlib.sha256(REASON.encode()).hexdigest()
    assert REASON not in str(event["details"])
    assert cli("audit", "verify", "-o", "json").json()["ok"] is True

    for who, sees in ((cast.owner, True), (cast.custodian, True), (cast.manager, False)):
        listed = cli("audit", "list", "--emergency", "-o", "json", actor=who)
        assert listed.exit_code == 0, listed.output
        [row] = listed.json()
        assert (row["reason"], row["reason_hidden"]) == ((REASON, False) if sees
                                                         else (None, True)), who
        assert row["expires_at"] == opened.json()["expires_at"]
    table = cli("audit", "list", "--emergency", actor=cast.manager)
    assert "(owner and records custodians only)" in table.stdout
    # A custodian whose scope does not cover the client lists no such event at all.
    scoped = cli("audit", "list", "--emergency", "-o", "json", actor=cast.scoped_custodian)
    assert scoped.json() == []


@pytest.mark.parametrize("who", ["scheduler", "biller", "manager"])
def test_roles_without_clinical_access_are_refused(cli, cast, db_url, who):
    before = snapshot(db_url)
    refused = open_access(cli, cast, getattr(cast, who))
    assert refused.exit_code == 4, refused.output
    assert refused.stderr == ("Error: client.emergency: requires one of the roles owner, "
                              "records-custodian, provider\n")
    after = snapshot(db_url)
    assert after["emergency_access"] == before["emergency_access"] == []
    [denied] = cli("audit", "list", "--emergency", "-o", "json").json()
    assert (denied["outcome"], denied["object_id"], denied["reason"]) == ("denied", None, None)


def test_expired_access_reads_nothing(cli, cast, open_session):
    import datetime as dt

    from sqlalchemy import update

    from clinicctl.models import EmergencyAccess

    assert open_access(cli, cast, cast.provider_own).exit_code == 0
    with open_session() as s:
        s.execute(update(EmergencyAccess).values(
            started_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=5),
            expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)))
    assert cli("note", "list", cast.client, actor=cast.provider_own).exit_code == 4
    assert cli("client", "show", cast.client, actor=cast.provider_own).exit_code == 4


@pytest.mark.parametrize("args, error", [
    (("--emergency",), "Error: --emergency needs --reason: say why the chart must be opened "
                       "now"),
    (("--emergency", "--reason", "   "), "Error: the reason is empty: say why the chart must "
                                         "be opened now"),
    (("--emergency", "--reason", "x" * 501), "Error: the reason has 501 characters; at most "
                                             "500"),
    (("--emergency", "--reason", "why", "--staff", "kim@riverside.example"),
     "Error: --emergency opens access for yourself only; leave out --staff"),
    (("--reason", "why"), "Error: --reason goes with --emergency"),
])
def test_bad_input_writes_nothing(cli, cast, db_url, args, error):
    before = snapshot(db_url)
    result = cli("client", "access", cast.client, *args, actor=cast.provider_own)
    assert result.exit_code == 2, result.output
    assert result.stderr == error + "\n"
    assert snapshot(db_url) == before


def test_emergency_access_reads_and_writes_nothing(cli, cast, db_url, tmp_path):
    assert open_access(cli, cast, cast.provider_own).exit_code == 0
    paper = tmp_path / "consent.txt"
    paper.write_text("consent")
    before = snapshot(db_url)
    refused = cli("doc", "add", cast.client, str(paper), "--title", "Consent",
                  actor=cast.provider_own)
    assert refused.exit_code == 4, refused.output
    assert cli("note", "add", cast.client, "--body", "x", actor=cast.provider_own
               ).exit_code == 4
    after = snapshot(db_url)
    assert {t: r for t, r in after.items() if t != "audit_event"} == {
        t: r for t, r in before.items() if t != "audit_event"}


def test_who_broke_the_glass_is_for_those_who_read_the_audit(cli, cast):
    assert open_access(cli, cast, cast.provider_own).exit_code == 0

    def kim(actor: str) -> dict[str, Any]:
        result = cli("client", "access", cast.client, "--staff", cast.provider_own, "-o",
                     "json", actor=actor)
        assert result.exit_code == 0, result.output
        return result.json()[0]  # type: ignore[no-any-return]

    for reader in (cast.owner, cast.manager, cast.custodian, cast.provider_own):
        assert kim(reader)["chart_reason"].startswith("emergency access until "), reader
    for other in (cast.scheduler, cast.biller, cast.provider_a):
        row = kim(other)
        assert (row["profile"], row["chart_notes"]) == (False, "none"), other


def test_a_restricted_client_is_not_there_to_break_the_glass_for(cli, cast, db_url):
    """Outside its care team a restricted client does not exist, so there is no glass to
    break; an access opened before the restriction stops reaching it."""
    assert open_access(cli, cast, cast.provider_own).exit_code == 0
    assert cli("note", "list", cast.client, actor=cast.provider_own).exit_code == 0
    assert cli("client", "restrict", cast.client).exit_code == 0
    listed = cli("note", "list", f"#{cast.client_id}", actor=cast.provider_own)
    assert listed.exit_code == 3, listed.output
    before = snapshot(db_url)
    again = cli("client", "access", f"#{cast.client_id}", "--emergency", "--reason", "x",
                actor=cast.provider_b)
    assert again.exit_code == 3, again.output
    assert again.stderr == f"Error: no client with id {cast.client_id}\n"
    assert snapshot(db_url)["emergency_access"] == before["emergency_access"]
