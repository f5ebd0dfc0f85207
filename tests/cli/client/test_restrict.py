"""``client restrict``: the owner or a records custodian in scope restricts a client to their
care team (and lifts it with --off); asking again changes nothing; everyone else is refused
(exit 4, audited). What the restriction hides, and from whom, is in
``tests/cli/test_restricted_clients.py``."""

from __future__ import annotations

import pytest

from tests.fixtures.bad_input import assert_error
from tests.fixtures.practice_db import snapshot


def events(cli, action: str) -> list[tuple[int, str, int | None, dict[str, object]]]:
    listed = cli("audit", "list", "--action", action, "-o", "json")
    assert listed.exit_code == 0, listed.output
    return [(e["actor_id"], e["outcome"], e["client_id"], e["details"])
            for e in listed.json()]


def test_the_owner_restricts_a_client_and_it_is_audited(cli, cast, open_session):
    done = cli("client", "restrict", cast.client, "-o", "json")
    assert done.exit_code == 0, done.output
    assert done.json() == {"client_id": cast.client_id, "restricted": True, "changed": True}
    assert done.stderr == f"Restricted client #{cast.client_id} to their care team.\n"
    shown = cli("client", "show", cast.client, "-o", "json")
    assert shown.exit_code == 0, shown.output
    assert shown.json()["restricted"] is True
    owner = cast.id_of(open_session, cast.owner)
    # Ids and the flag: no name, no detail of the client.
    assert events(cli, "client.restrict") == [(owner, "ok", cast.client_id,
                                               {"restricted": True})]


def test_the_table_view_of_a_profile_has_a_restricted_line(cli, cast):
    def restricted_line(result) -> list[list[str]]:
        assert result.exit_code == 0, result.output
        return [[cell.strip() for cell in line.split("│")[1:-1]]
                for line in result.stdout.splitlines() if "Restricted" in line]

    assert restricted_line(cli("client", "show", cast.client)) == [["Restricted", "no"]]
    assert cli("client", "restrict", cast.client).exit_code == 0
    assert restricted_line(cli("client", "show", cast.client)) == [
        ["Restricted", "yes: seen only by their care team"]]


def test_restricting_twice_changes_nothing_and_says_so(cli, cast, db_url):
    assert cli("client", "restrict", cast.client).exit_code == 0
    before = snapshot(db_url)
    again = cli("client", "restrict", cast.client, "-o", "json")
    assert again.exit_code == 0, again.output
    assert again.json() == {"client_id": cast.client_id, "restricted": True, "changed": False}
    assert again.stderr == f"Client #{cast.client_id} is already restricted; nothing changed.\n"
    assert snapshot(db_url) == before


def test_off_lifts_the_restriction_and_twice_changes_nothing(cli, cast, db_url):
    assert cli("client", "restrict", cast.client).exit_code == 0
    assert cli("client", "show", cast.client, actor=cast.manager).exit_code == 3
    lifted = cli("client", "restrict", cast.client, "--off", "-o", "json")
    assert lifted.exit_code == 0, lifted.output
    assert lifted.json() == {"client_id": cast.client_id, "restricted": False, "changed": True}
    assert lifted.stderr == (f"Lifted the restriction on client #{cast.client_id}: every role "
                             "sees them again as before.\n")
    seen = cli("client", "show", cast.client, "-o", "json", actor=cast.manager)
    assert seen.exit_code == 0, seen.output
    assert seen.json()["restricted"] is False
    before = snapshot(db_url)
    again = cli("client", "restrict", cast.client, "--off")
    assert again.exit_code == 0, again.output
    assert again.stderr == f"Client #{cast.client_id} is not restricted; nothing changed.\n"
    assert snapshot(db_url) == before
    assert [d for _, _, _, d in events(cli, "client.restrict")] == [
        {"restricted": True}, {"restricted": False}]


def test_a_dry_run_restricts_nobody(cli, cast, db_url):
    before = snapshot(db_url)
    tried = cli("client", "restrict", cast.client, "--dry-run", "-o", "json")
    assert tried.exit_code == 0, tried.output
    assert tried.json()["changed"] is True
    assert tried.stderr == (f"Dry run (nothing written): Restricted client #{cast.client_id} "
                            "to their care team.\n")
    assert snapshot(db_url) == before


def test_a_records_custodian_in_scope_restricts_and_lifts(cli, cast):
    for flags in ((), ("--off",)):
        done = cli("client", "restrict", cast.client, *flags, "-o", "json",
                   actor=cast.custodian)
        assert done.exit_code == 0, done.output
        assert done.json()["changed"] is True


def test_a_records_custodian_out_of_scope_is_refused(cli, cast, db_url, open_session):
    """Ivy covers Lee Park only; Maya is Sam's. Once restricted, Maya is not even found by
    her, as by anyone outside the care team."""
    before = snapshot(db_url)
    refused = cli("client", "restrict", cast.client, actor=cast.scoped_custodian)
    assert_error(refused, 4, "client.restrict: the client is outside your records-custodian "
                 "scope")
    assert {t: r for t, r in snapshot(db_url).items() if t != "audit_event"} == {
        t: r for t, r in before.items() if t != "audit_event"}
    ivy = cast.id_of(open_session, cast.scoped_custodian)
    assert events(cli, "client.restrict") == [(ivy, "denied", cast.client_id, {})]
    assert cli("client", "restrict", cast.client).exit_code == 0
    hidden = cli("client", "restrict", f"#{cast.client_id}", "--off",
                 actor=cast.scoped_custodian)
    assert_error(hidden, 3, f"no client with id {cast.client_id}")


@pytest.mark.parametrize("who", ["manager", "scheduler", "biller", "provider_a", "provider_b"])
def test_every_other_role_is_refused_and_the_refusal_is_audited(cli, cast, db_url,
                                                                open_session, who):
    """Sam, whose client Maya is, may not restrict her either: the owner or a custodian
    decides. The role is checked before the client is looked up, so the refusal is the
    same for a client that does not exist."""
    email = getattr(cast, who)
    before = snapshot(db_url)
    for ref in (cast.client, "Nobody Here"):
        refused = cli("client", "restrict", ref, actor=email)
        assert_error(refused, 4, "client.restrict: requires one of the roles owner, "
                     "records-custodian")
    assert {t: r for t, r in snapshot(db_url).items() if t != "audit_event"} == {
        t: r for t, r in before.items() if t != "audit_event"}
    staff_id = cast.id_of(open_session, email)
    assert events(cli, "client.restrict") == [(staff_id, "denied", None, {})] * 2


def test_an_unknown_client_is_not_found(cli, cast):
    assert_error(cli("client", "restrict", "Nobody Here"), 3, "no client matches 'Nobody Here'")
    assert_error(cli("client", "restrict", "#999999"), 3, "no client with id 999999")
