"""``client merge KEEP DUPLICATE``: everything of the duplicate record moves to the kept one in
one transaction, nobody reads more than the chart-share rules allow afterwards, and the
audit keeps both ids."""

from __future__ import annotations

import datetime as dt
import os

import pytest

from tests.fixtures.bad_input import assert_error
from tests.fixtures.cast import OWNER_EMAIL
from tests.fixtures.practice_db import snapshot

POSTGRES = os.environ.get("CLINICCTL_TEST_DB", "sqlite").strip() not in ("", "sqlite")
TODAY = dt.date.today()
DAY = (TODAY + dt.timedelta(days=21)).isoformat()


def ok(result):
    assert result.exit_code == 0, result.output
    return result


def add_duplicate(cli, cast, *extra: str) -> int:
    """A second Maya Chen of the same birthday, in Ana's list, with Ana's notes."""
    added = ok(cli("client", "add", "Maya", "Chen", "--dob", "1990-04-12", "--new",
                   "--provider", cast.provider_b, "--external-id", "OLD-9", "--email",
                   "maya@example.org", *extra, "-o", "json"))
    duplicate = added.json()["id"]
    for kind in ("progress", "private"):
        ok(cli("note", "add", f"#{duplicate}", "--body", f"Ana's {kind} note", "--kind", kind,
               actor=cast.provider_b))
    return int(duplicate)


def book(cli, client: str, provider: str, at: str) -> int:
    booked = ok(cli("appointment", "book", "--client", client, "--provider", provider, "--at",
                    at, "--outside-availability", "-o", "json"))
    return int(booked.json()["appointments"][0]["id"])


def note_bodies(cli, client: str, actor: str) -> set[str]:
    listed = ok(cli("note", "list", client, "-o", "json", actor=actor))
    return {note["body"] for note in listed.json()}


def test_a_merge_moves_every_record_and_the_old_id_names_the_kept_client(cli, cast, tmp_path):
    duplicate = add_duplicate(cli, cast)
    appointment = book(cli, f"#{duplicate}", cast.provider_b, f"{DAY} 10:00")
    form = tmp_path / "intake.txt"
    form.write_text("form")
    ok(cli("doc", "add", f"#{duplicate}", str(form), "--title", "Intake form",
           actor=cast.provider_b))
    merged = ok(cli("client", "merge", f"#{cast.client_id}", f"#{duplicate}", "-o", "json"))
    assert merged.json() == {
        "kept_id": cast.client_id, "merged_id": duplicate, "assignments_moved": 1,
        "assignments_combined": 0, "chart_shares_moved": 0, "chart_shares_ended": 0,
        "notes_moved": 2, "documents_moved": 1, "appointments_moved": 1,
        "external_id": "OLD-9", "filled": ["email"], "alerts": []}
    assert merged.stderr == (f"Merged client #{duplicate} into #{cast.client_id}: 2 notes, "
                             "1 documents, 1 appointments and 1 provider assignments moved.\n")
    shown = ok(cli("client", "show", "OLD-9", "-o", "json")).json()
    assert (shown["id"], shown["email"]) == (cast.client_id, "maya@example.org")
    assert sorted(p["provider"] for p in shown["providers"]) == ["Ana Ruiz", "Sam Okafor"]
    moved = ok(cli("appointment", "show", str(appointment), "-o", "json")).json()
    assert moved["client_id"] == cast.client_id
    # One Maya Chen now: her name is no longer ambiguous, and the old id says where she went.
    assert ok(cli("client", "show", "Maya Chen", "-o", "json")).json()["id"] == cast.client_id
    gone = cli("client", "show", f"#{duplicate}")
    assert_error(gone, 3, f"client #{duplicate} was merged into client #{cast.client_id} "
                 f"(use '#{cast.client_id}')")


def test_the_audit_keeps_both_ids_and_the_past_events(cli, cast):
    duplicate = add_duplicate(cli, cast)
    before = ok(cli("audit", "list", "--client", f"#{duplicate}", "-o", "json")).json()
    assert before and all(e["client_id"] == duplicate for e in before)
    ok(cli("client", "merge", f"#{cast.client_id}", f"#{duplicate}"))
    events = ok(cli("audit", "list", "--action", "client.merge", "-o", "json")).json()
    assert {(e["client_id"], e["object_id"]) for e in events} == {
        (cast.client_id, cast.client_id), (duplicate, duplicate)}
    kept = next(e for e in events if e["client_id"] == cast.client_id)
    assert kept["details"]["merged_client_id"] == duplicate
    assert kept["details"]["notes_moved"] == 2
    # The events written before the merge still name the id they were written with.
    after = ok(cli("audit", "list", "-o", "json")).json()
    by_id = {e["id"]: e for e in after}
    assert all(by_id[e["id"]] == e for e in before)
    assert ok(cli("audit", "verify", "-o", "json")).json()["ok"] is True


def test_a_provider_with_both_records_keeps_one_assignment(cli, cast):
    duplicate = add_duplicate(cli, cast)
    ok(cli("client", "share", f"#{duplicate}", "--from", cast.provider_b, "--to",
           cast.provider_a))
    ok(cli("client", "diagnosis", f"#{duplicate}", "--provider", cast.provider_a, "--set",
           "F32.1", "--set", "F41.1"))
    ok(cli("client", "status", f"#{duplicate}", "--provider", cast.provider_a, "--set",
           "active"))
    ok(cli("client", "status", f"#{cast.client_id}", "--provider", cast.provider_a, "--set",
           "inactive"))
    merged = ok(cli("client", "merge", f"#{cast.client_id}", f"#{duplicate}", "-o", "json"))
    assert (merged.json()["assignments_moved"], merged.json()["assignments_combined"]) == (1, 1)
    providers = {p["provider"]: p for p in ok(cli(
        "client", "show", f"#{cast.client_id}", "-o", "json")).json()["providers"]}
    assert providers["Sam Okafor"]["status"] == "active"
    assert providers["Sam Okafor"]["diagnosis"] == ["F41.1", "F32.1"]
    assert set(providers) == {"Sam Okafor", "Ana Ruiz"}


def test_nobody_reads_more_of_the_merged_chart_than_the_shares_allow(cli, cast):
    """Sam has the kept record and shares its chart with Lee; Ana has the duplicate. After
    the merge each provider reads their own notes, Lee still reads Sam's and not Ana's."""
    duplicate = add_duplicate(cli, cast)
    ok(cli("client", "share", f"#{cast.client_id}", "--from", cast.provider_a, "--to",
           cast.provider_c, "--chart"))
    ok(cli("client", "merge", f"#{cast.client_id}", f"#{duplicate}"))
    kept = f"#{cast.client_id}"
    assert note_bodies(cli, kept, cast.provider_a) == {"A's progress note", "A's private note"}
    assert note_bodies(cli, kept, cast.provider_b) == {"Ana's progress note",
                                                       "Ana's private note"}
    assert note_bodies(cli, kept, cast.provider_c) == {"A's progress note"}
    assert note_bodies(cli, kept, OWNER_EMAIL) == {"A's progress note", "Ana's progress note"}
    clinical = ok(cli("doc", "list", kept, "-o", "json", actor=cast.provider_b)).json()
    assert "Assessment" not in {d["title"] for d in clinical}


def test_a_share_onto_a_chart_its_provider_also_had_is_said(cli, cast):
    """Sam has both records and shared only the duplicate's chart with Ana: after the merge
    that share covers Sam's notes of both, which the merge says even with --quiet."""
    duplicate = add_duplicate(cli, cast)
    ok(cli("client", "share", f"#{duplicate}", "--from", cast.provider_b, "--to",
           cast.provider_a))
    ok(cli("note", "add", f"#{duplicate}", "--body", "Sam on the duplicate",
           actor=cast.provider_a))
    ok(cli("client", "share", f"#{duplicate}", "--from", cast.provider_a, "--to",
           cast.provider_b, "--chart"))
    merged = ok(cli("-q", "client", "merge", f"#{cast.client_id}", f"#{duplicate}"))
    assert (f"Ana Ruiz now reads Sam Okafor's notes of #{cast.client_id} too: the chart share "
            f"of #{duplicate} covers the merged chart.") in merged.stderr
    assert "A's progress note" in note_bodies(cli, f"#{cast.client_id}", cast.provider_b)


def test_two_shares_between_the_same_providers_keep_the_narrower(cli, cast):
    duplicate = add_duplicate(cli, cast)
    ok(cli("client", "share", f"#{duplicate}", "--from", cast.provider_b, "--to",
           cast.provider_a))
    ok(cli("client", "share", f"#{cast.client_id}", "--from", cast.provider_a, "--to",
           cast.provider_b, "--chart", "--private-notes"))
    ok(cli("client", "share", f"#{duplicate}", "--from", cast.provider_a, "--to",
           cast.provider_b, "--chart"))
    merged = ok(cli("client", "merge", f"#{cast.client_id}", f"#{duplicate}", "-o", "json"))
    assert merged.json()["chart_shares_ended"] == 1
    assert merged.json()["alerts"] == [
        f"The chart share from Sam Okafor to Ana Ruiz of #{cast.client_id} no longer includes "
        "private notes: one record's share did not."]
    assert "A's private note" not in note_bodies(cli, f"#{cast.client_id}", cast.provider_b)
    sharing = ok(cli("client", "sharing", f"#{cast.client_id}", "-o", "json")).json()
    shares = [s for row in sharing["providers"] for s in row["shares_to"]]
    assert [(s["provider"], s["include_private_notes"]) for s in shares] == [("Ana Ruiz", False)]


def test_overlapping_appointments_are_listed_and_nothing_is_written(cli, cast, db_url):
    duplicate = add_duplicate(cli, cast)
    mine = book(cli, f"#{cast.client_id}", cast.provider_a, f"{DAY} 10:00")
    theirs = book(cli, f"#{duplicate}", cast.provider_b, f"{DAY} 10:30")
    book(cli, f"#{duplicate}", cast.provider_b, f"{DAY} 12:00")
    before = snapshot(db_url)
    refused = cli("client", "merge", f"#{cast.client_id}", f"#{duplicate}")
    assert refused.exit_code == 5, refused.output
    assert refused.stderr.splitlines()[0] == (
        f"Error: 1 appointment of #{duplicate} overlaps appointments of #{cast.client_id}; "
        "cancel or reschedule one of each pair, then merge")
    assert (f"appointment #{theirs} ({DAY} 10:30, Ana Ruiz) overlaps #{mine} ({DAY} 10:00, "
            "Sam Okafor)") in refused.stderr
    assert snapshot(db_url) == before
    ok(cli("appointment", "cancel", str(theirs)))
    merged = ok(cli("client", "merge", f"#{cast.client_id}", f"#{duplicate}", "-o", "json"))
    assert merged.json()["appointments_moved"] == 2


def test_two_external_ids_need_a_choice_and_the_dropped_one_is_said(cli, cast, db_url):
    ok(cli("client", "edit", f"#{cast.client_id}", "--external-id", "NEW-1"))
    duplicate = add_duplicate(cli, cast)
    before = snapshot(db_url)
    assert_error(cli("client", "merge", "NEW-1", "OLD-9"), 5,
                 f"both records have an external id ('NEW-1' on #{cast.client_id}, 'OLD-9' "
                 f"on #{duplicate}); say which one stays with --external-id")
    assert_error(cli("client", "merge", "NEW-1", "OLD-9", "--external-id", "X"), 2,
                 "--external-id 'X' is neither record's external id (they have 'NEW-1' or "
                 "'OLD-9')")
    assert snapshot(db_url) == before
    merged = ok(cli("-q", "client", "merge", "NEW-1", "OLD-9", "--external-id", "OLD-9"))
    assert f"The external id 'NEW-1' is dropped: #{cast.client_id} keeps 'OLD-9'" in merged.stderr
    assert ok(cli("client", "show", "OLD-9", "-o", "json")).json()["id"] == cast.client_id


def test_the_kept_record_keeps_its_own_details_and_says_which_differed(cli, cast):
    ok(cli("client", "edit", f"#{cast.client_id}", "--phone", "555-0100"))
    duplicate = add_duplicate(cli, cast, "--phone", "555-0199")
    merged = ok(cli("client", "merge", f"#{cast.client_id}", f"#{duplicate}", "-o", "json"))
    assert merged.json()["filled"] == ["email"]
    assert (f"#{cast.client_id} keeps its phone (555-0100); #{duplicate} had 555-0199"
            in merged.stderr)


def test_a_dry_run_reports_the_merge_and_writes_nothing(cli, cast, db_url):
    duplicate = add_duplicate(cli, cast)
    before = snapshot(db_url)
    tried = ok(cli("client", "merge", f"#{cast.client_id}", f"#{duplicate}", "--dry-run",
                   "-o", "json"))
    assert tried.json()["notes_moved"] == 2
    assert tried.stderr.startswith("Dry run (nothing written): Merged client")
    assert snapshot(db_url) == before


def test_only_the_owner_and_managers_merge(cli, cast, db_url):
    duplicate = add_duplicate(cli, cast)
    for actor in (cast.scheduler, cast.biller, cast.provider_a, cast.custodian):
        refused = cli("client", "merge", f"#{cast.client_id}", f"#{duplicate}", actor=actor)
        assert refused.exit_code == 4, (actor, refused.output)
        assert "requires one of the roles owner, manager" in refused.stderr
    ok(cli("client", "merge", f"#{cast.client_id}", f"#{duplicate}", actor=cast.manager))


@pytest.mark.parametrize("args, code, error", [
    (("Maya Chen", "Maya Chen"), 2, "'Maya Chen' and 'Maya Chen' are the same client"),
    (("Maya Chen", "#999"), 3, "no client with id 999"),
])
def test_bad_pairs_are_refused(cli, cast, args, code, error):
    refused = cli("client", "merge", *args)
    assert refused.exit_code == code, refused.output
    assert error in refused.stderr


# --- PostgreSQL: the merge under row-level security ------------------------------------------

@pytest.mark.skipif(not POSTGRES, reason="database logins and row-level security are "
                    "PostgreSQL's")
def test_a_manager_login_merges_and_no_other_login_can(cli, cast, db_url):
    from tests.fixtures.pg_logins import logins_for, refused, run_as, sql, staff_id

    duplicate = add_duplicate(cli, cast)
    book(cli, f"#{duplicate}", cast.provider_b, f"{DAY} 10:00")
    # Sam and Ana each have both records, and both share Sam's chart with Ana: the manager's
    # login combines their assignments and ends one of the two shares, under 0004's policies.
    ok(cli("client", "share", f"#{duplicate}", "--from", cast.provider_b, "--to",
           cast.provider_a))
    ok(cli("client", "share", f"#{cast.client_id}", "--from", cast.provider_a, "--to",
           cast.provider_b, "--chart"))
    ok(cli("client", "share", f"#{duplicate}", "--from", cast.provider_a, "--to",
           cast.provider_b, "--chart"))
    with logins_for(db_url) as logins:
        for email in (cast.manager, cast.provider_b, cast.scheduler, cast.custodian):
            logins.bind(email)
        # The moves a merge makes are no table grant of any login, the manager's included.
        for email in (cast.manager, cast.provider_b):
            url = logins.url_of(email)
            for statement in ("UPDATE chart_note SET client_id = %s WHERE client_id = %s",
                              "UPDATE appointment SET client_id = %s WHERE client_id = %s",
                              "DELETE FROM client WHERE id = %s AND %s > 0",
                              "INSERT INTO client_merge VALUES (%s, %s, 1, now())"):
                assert "permission denied" in refused(url, statement,
                                                      (cast.client_id, duplicate)), statement
        # Nor may anyone but the owner and managers call the merge itself.
        for email in (cast.provider_b, cast.scheduler, cast.custodian):
            error = refused(logins.url_of(email),
                            "SELECT * FROM clinicctl_merge_clients(%s, %s, %s)",
                            (cast.client_id, duplicate, staff_id(db_url, OWNER_EMAIL)))
            assert "only the owner and managers merge clients" in error, email
        merged = run_as(logins.url_of(cast.manager), "client", "merge", f"#{cast.client_id}",
                        f"#{duplicate}", "-o", "json", actor=cast.manager)
        assert merged.exit_code == 0, merged.output
        assert {key: merged.json()[key] for key in (
            "notes_moved", "assignments_combined", "chart_shares_ended")} == {
            "notes_moved": 2, "assignments_combined": 2, "chart_shares_ended": 1}
        # The database names the manager's login as who merged, whatever was asked.
        assert sql(db_url, "SELECT merged_client_id, kept_client_id, merged_by_id "
                   "FROM client_merge") == [(duplicate, cast.client_id,
                                             staff_id(db_url, cast.manager))]
        # Ana's login reads her notes on the kept record, and Sam's shared ones, not private.
        ana = logins.url_of(cast.provider_b)
        assert {body for (body,) in sql(ana, "SELECT body FROM clinicctl_chart_notes(%s)",
                                        (cast.client_id,))} == {
            "Ana's progress note", "Ana's private note", "A's progress note"}
        assert sql(ana, "SELECT count(*) FROM client_merge") == [(1,)]


def test_an_emergency_access_to_the_duplicate_moves_ended_and_is_said(cli, cast):
    """Opened for the duplicate, it does not reach the kept record's chart: the row stays
    (with its reason), ended, and the merge says whose access ended."""
    duplicate = add_duplicate(cli, cast)
    ok(cli("client", "access", f"#{duplicate}", "--emergency", "--reason", "crisis",
           actor=cast.provider_own))
    merged = ok(cli("client", "merge", f"#{cast.client_id}", f"#{duplicate}", "--external-id",
                    "OLD-9", "-o", "json"))
    assert (f"Ended Kim Novak's emergency access to #{duplicate}: it does not reach the merged "
            "chart (open it again on the kept record if still needed).") in merged.stderr
    assert cli("note", "list", cast.client, actor=cast.provider_own).exit_code == 4
    [row] = ok(cli("audit", "list", "--emergency", "-o", "json")).json()
    assert row["reason"] == "crisis"
