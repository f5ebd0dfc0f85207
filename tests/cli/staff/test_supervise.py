"""``staff supervise``: a supervisor reads a supervisee's non-private notes and clinical
documents for the supervisee's clients while the supervision holds, every read audited as a
supervision read; only the owner and managers set it up."""

from __future__ import annotations

from typing import Any

import pytest

from tests.fixtures.practice_db import snapshot


def supervise(cli: Any, cast: Any, *args: str, actor: str | None = None) -> Any:
    return cli("staff", "supervise", cast.provider_a, "--by", cast.provider_c, *args,
               "-o", "json", **({"actor": actor} if actor else {}))


def note_ids(cli: Any, cast: Any, actor: str) -> set[int]:
    result = cli("note", "list", cast.client, "-o", "json", actor=actor)
    if result.exit_code == 4:
        return set()
    assert result.exit_code == 0, result.output
    return {row["id"] for row in result.json()}


def test_start_show_both_sides_and_again_changes_nothing(cli, cast):
    started = supervise(cli, cast, "--until", "2099-06-30")
    assert started.exit_code == 0, started.output
    row = started.json()
    assert (row["supervisee"], row["supervisor"], row["until"], row["cosign"],
            row["changed"]) == ("Sam Okafor", "Lee Park", "2099-06-30", False, True)
    assert started.stderr == ("Started Lee Park supervising Sam Okafor (reads their notes and "
                              "clinical documents).\n")
    again = supervise(cli, cast, "--until", "2099-06-30")
    assert again.exit_code == 0, again.output
    assert again.json()["changed"] is False
    assert again.json()["id"] == row["id"]
    assert again.stderr == "Lee Park supervising Sam Okafor is already as asked; nothing changed.\n"

    sam = cli("staff", "show", cast.provider_a, "-o", "json").json()
    lee = cli("staff", "show", cast.provider_c, "-o", "json").json()
    assert [(s["supervisor"], s["until"], s["active"]) for s in sam["supervised_by"]] == [
        ("Lee Park", "2099-06-30", True)]
    assert sam["supervises"] == []
    assert [(s["supervisee"], s["cosign"]) for s in lee["supervises"]] == [("Sam Okafor", False)]
    table = cli("staff", "show", cast.provider_c)
    assert table.exit_code == 0, table.output
    assert f"Sam Okafor (#{row['id']}: from {row['from']} until 2099-06-30)" in table.stdout

    changed = supervise(cli, cast, "--cosign")
    assert changed.exit_code == 0, changed.output
    assert (changed.json()["cosign"], changed.json()["until"]) == (True, "2099-06-30")
    assert changed.stderr == "Changed Lee Park supervising Sam Okafor.\n"


def test_the_supervisor_reads_non_private_notes_and_clinical_documents_audited(cli, cast):
    assert note_ids(cli, cast, cast.provider_c) == set()
    assert supervise(cli, cast).exit_code == 0
    assert note_ids(cli, cast, cast.provider_c) == {cast.progress_note_id}
    private = cli("note", "show", str(cast.private_note_id), actor=cast.provider_c)
    assert private.exit_code == 4, private.output
    shown = cli("note", "show", str(cast.progress_note_id), actor=cast.provider_c)
    assert shown.exit_code == 0, shown.output
    docs = cli("doc", "list", cast.client, "-o", "json", actor=cast.provider_c)
    assert docs.exit_code == 0, docs.output
    # The clinical document goes with the chart; the plain one with the profile, which
    # supervision does not open.
    assert [d["id"] for d in docs.json()] == [cast.clinical_doc_id]
    profile = cli("client", "show", cast.client, actor=cast.provider_c)
    assert profile.exit_code == 4, profile.output

    events = cli("audit", "list", "--action", "supervision.read", "-o", "json").json()
    assert [(e["actor"], e["details"]["read"], e["details"].get("note_ids"),
             e["details"].get("document_ids")) for e in events] == [
        ("Lee Park", "note.list", [cast.progress_note_id], None),
        ("Lee Park", "note.read", [cast.progress_note_id], None),
        ("Lee Park", "doc.list", None, [cast.clinical_doc_id])]
    assert all(e["client_id"] == cast.client_id for e in events)


def test_the_supervisor_reads_only_the_supervisee_s_notes(cli, cast):
    """A colleague's notes on the same client stay the colleague's."""
    assert cli("client", "share", cast.client, "--from", cast.provider_a, "--to",
               cast.provider_b).exit_code == 0
    ana_note = cli("note", "add", cast.client, "--body", "Ana's note", "-o", "json",
                   actor=cast.provider_b).json()["id"]
    assert supervise(cli, cast).exit_code == 0
    seen = note_ids(cli, cast, cast.provider_c)
    assert ana_note not in seen
    assert cast.progress_note_id in seen


def test_ended_and_future_supervision_read_nothing(cli, cast):
    assert supervise(cli, cast).exit_code == 0
    ended = cli("staff", "supervise", cast.provider_a, "--by", cast.provider_c, "--end")
    assert ended.exit_code == 0, ended.output
    assert ended.stderr == "Ended Lee Park supervising Sam Okafor: no more reads through it.\n"
    assert note_ids(cli, cast, cast.provider_c) == set()
    again = cli("staff", "supervise", cast.provider_a, "--by", cast.provider_c, "--end")
    assert again.exit_code == 0, again.output
    assert again.stderr == (f"No supervision of {cast.provider_a} by {cast.provider_c} is "
                            "open; nothing changed.\n")
    later = supervise(cli, cast, "--from", "2099-01-01")
    assert later.exit_code == 0, later.output
    assert note_ids(cli, cast, cast.provider_c) == set()
    assert cli("staff", "show", cast.provider_c, "-o", "json").json()["supervises"][0][
        "active"] is False


@pytest.mark.parametrize("how", [("staff", "deactivate"), ("staff", "roles", "--remove",
                                                             "provider", "--add", "biller")])
def test_a_supervisor_no_longer_an_active_provider_reads_nothing_and_it_is_said(cli, cast,
                                                                                how):
    assert supervise(cli, cast).exit_code == 0
    args = [*how[:2], cast.provider_c, *how[2:]]
    done = cli(*args, "--quiet")
    assert done.exit_code == 0, done.output
    assert done.stderr == (
        "Warning: Lee Park is no longer an active provider, so their supervision of Sam "
        "Okafor no longer holds (no reads, no co-signing): end it with `staff supervise 'Sam "
        "Okafor' --by 'Lee Park' --end` or name another supervisor.\n")
    assert note_ids(cli, cast, cast.provider_c) == set()


@pytest.mark.parametrize("who", ["provider_a", "provider_c", "scheduler", "custodian"])
def test_only_the_owner_and_managers_set_it_up(cli, cast, db_url, who):
    before = snapshot(db_url)
    refused = supervise(cli, cast, actor=getattr(cast, who))
    assert refused.exit_code == 4, refused.output
    assert refused.stderr == ("Error: staff.supervise: requires one of the roles owner, "
                              "manager\n")
    after = snapshot(db_url)
    assert {t: r for t, r in after.items() if t != "audit_event"} == {
        t: r for t, r in before.items() if t != "audit_event"}
    assert len(after["audit_event"]) == len(before["audit_event"]) + 1  # the denial
    denied = cli("audit", "list", "--action", "staff.supervise", "--outcome", "denied",
                 "-o", "json").json()
    assert [e["actor"] for e in denied] == [cli("staff", "show", getattr(cast, who), "-o",
                                                "json").json()["name"]]
    by_manager = supervise(cli, cast, actor=cast.manager)
    assert by_manager.exit_code == 0, by_manager.output


@pytest.mark.parametrize("args, code, error", [
    (("staff", "supervise", "sam@riverside.example", "--by", "sam@riverside.example"), 2,
     "Error: Sam Okafor cannot supervise themselves"),
    (("staff", "supervise", "jo@riverside.example", "--by", "sam@riverside.example"), 2,
     "Error: Jo Diaz is not a provider: only providers write the notes a supervisor reads"),
    (("staff", "supervise", "sam@riverside.example", "--by", "rae@riverside.example"), 2,
     "Error: Rae Quinn is not an active provider: a supervisor must be one"),
    (("staff", "supervise", "sam@riverside.example", "--by", "lee@riverside.example",
      "--until", "2020-01-01"), 2, "Error: --until 2020-01-01 is in the past"),
    (("staff", "supervise", "sam@riverside.example", "--by", "lee@riverside.example",
      "--from", "2099-02-01", "--until", "2099-01-01"), 2,
     "Error: --until 2099-01-01 is before --from 2099-02-01"),
    (("staff", "supervise", "sam@riverside.example", "--by", "lee@riverside.example",
      "--from", "2099-13-01"), 2,
     "Error: invalid --from date '2099-13-01': expected YYYY-MM-DD"),
    (("staff", "supervise", "sam@riverside.example", "--by", "lee@riverside.example",
      "--end", "--cosign"), 2, "Error: --end takes no --from, --until or --cosign"),
    (("staff", "supervise", "sam@riverside.example", "--by", "nobody@riverside.example"), 3,
     "Error: no supervisor with email 'nobody@riverside.example'"),
])
def test_bad_input_writes_nothing(cli, cast, db_url, args, code, error):
    before = snapshot(db_url)
    result = cli(*args)
    assert result.exit_code == code, result.output
    assert result.stderr.splitlines()[0] == error
    assert snapshot(db_url) == before


@pytest.mark.parametrize("side", ["supervisor", "supervisee"])
def test_a_manager_never_sets_up_a_supervision_of_or_by_themselves(cli, cast, db_url, side):
    """A manager who is also a provider would otherwise make themselves the reader of any
    provider's chart (or end their own co-signing); the owner may."""
    assert cli("staff", "roles", cast.manager, "--add", "provider").exit_code == 0
    args = ((cast.provider_a, cast.manager) if side == "supervisor"
            else (cast.manager, cast.provider_c))
    before = snapshot(db_url)
    refused = cli("staff", "supervise", args[0], "--by", args[1], actor=cast.manager)
    assert refused.exit_code == 4, refused.output
    assert refused.stderr == ("Error: staff.supervise: only the owner sets up or changes a "
                              "supervision of or by themselves\n")
    after = snapshot(db_url)
    assert {t: r for t, r in after.items() if t != "audit_event"} == {
        t: r for t, r in before.items() if t != "audit_event"}
    assert cli("staff", "supervise", args[0], "--by", args[1]).exit_code == 0  # the owner
    ended = cli("staff", "supervise", args[0], "--by", args[1], "--end", actor=cast.manager)
    assert ended.exit_code == 4, ended.output


def test_a_supervision_past_its_last_day_is_replaced_when_asked_again(cli, cast, open_session):
    import datetime as dt

    from sqlalchemy import update

    from clinicctl.models import Supervision

    first = supervise(cli, cast, "--until", "2099-01-31")
    assert first.exit_code == 0, first.output
    with open_session() as s:
        s.execute(update(Supervision).values(starts_on=dt.date(2020, 1, 1),
                                             ends_on=dt.date(2020, 6, 30)))
    assert note_ids(cli, cast, cast.provider_c) == set()
    again = supervise(cli, cast, "--cosign")
    assert again.exit_code == 0, again.output
    assert again.json()["id"] != first.json()["id"]
    assert (again.json()["until"], again.json()["cosign"]) == (None, True)
    assert again.stderr.startswith("Started Lee Park supervising Sam Okafor")
    assert note_ids(cli, cast, cast.provider_c) == {cast.progress_note_id}


def test_supervision_stops_at_a_restricted_client_s_care_team(cli, cast):
    assert supervise(cli, cast).exit_code == 0
    assert note_ids(cli, cast, cast.provider_c) == {cast.progress_note_id}
    assert cli("client", "restrict", cast.client).exit_code == 0
    hidden = cli("note", "list", cast.client, actor=cast.provider_c)
    assert (hidden.exit_code, hidden.stderr) == (3, "Error: no client matches 'Maya Chen'\n")
    # In the care team (the client shared with him), he reads through the supervision again.
    assert cli("client", "share", cast.client, "--from", cast.provider_a, "--to",
               cast.provider_c).exit_code == 0
    assert note_ids(cli, cast, cast.provider_c) == {cast.progress_note_id}
