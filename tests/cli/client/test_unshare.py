"""``client unshare``: a repeat is a no-op; ``--remove`` waits for upcoming appointments."""

from __future__ import annotations

import pytest

from tests.fixtures.bad_input import Case, assert_error, fill
from tests.fixtures.practice_db import snapshot
from tests.fixtures.schedule_db import ANA, MAYA, MON, SAM, TODAY, at, days


def test_repeat_unshare_is_a_noop(cli, cast, db_url):
    before = snapshot(db_url)
    result = cli("client", "unshare", "Maya Chen", "--from", cast.provider_a, "--to",
                 cast.provider_b, "-o", "json")
    assert result.exit_code == 0, result.output
    assert result.json()["changed"] is False
    assert result.stderr == "No active chart share Sam Okafor -> Ana Ruiz; nothing changed.\n"
    assert snapshot(db_url) == before


def test_unshare_remove_reports_every_chart_share_it_ends(cli, cast):
    """Removing Maya from Ana's list ends Sam's chart share to Ana and Lee's too: the message
    and the JSON name both, and nobody is said to keep access they lost."""
    for args in (("--from", cast.provider_a, "--to", cast.provider_c),
                 ("--from", cast.provider_a, "--to", cast.provider_b, "--chart"),
                 ("--from", cast.provider_c, "--to", cast.provider_b, "--chart")):
        assert cli("client", "share", cast.client, *args).exit_code == 0
    result = cli("client", "unshare", cast.client, "--from", cast.provider_a, "--to",
                 cast.provider_b, "--remove", "-o", "json")
    assert result.exit_code == 0, result.output
    ended = result.json()["ended_chart_shares"]
    assert [e["from"] for e in ended] == ["Sam Okafor", "Lee Park"]
    assert {e["to_id"] for e in ended} == {result.json()["to_id"]}
    assert (result.json()["assignment"], result.json()["chart_share"]) == ("removed", "ended")
    assert result.stderr == (
        f"Removed client #{cast.client_id} from Ana Ruiz's list; ended the chart shares "
        "Sam Okafor -> Ana Ruiz, Lee Park -> Ana Ruiz.\n")
    assert "keeps" not in result.stderr
    assert cli("note", "list", cast.client, "-o", "json", actor=cast.provider_b).exit_code == 4


def test_unshare_says_the_provider_keeps_demographics(cli, cast):
    assert cli("client", "share", cast.client, "--from", cast.provider_a, "--to",
               cast.provider_b, "--chart").exit_code == 0
    result = cli("client", "unshare", cast.client, "--from", cast.provider_a, "--to",
                 cast.provider_b, "-o", "json")
    assert result.exit_code == 0, result.output
    assert [e["from"] for e in result.json()["ended_chart_shares"]] == ["Sam Okafor"]
    assert result.stderr == ("Ended the chart share Sam Okafor -> Ana Ruiz; Ana Ruiz keeps "
                             "demographics-only access.\n")


# --- bad input --------------------------------------------------------------------------------

CASES = [
    Case("unshare-to-self", ("client", "unshare", "Maya Chen", "--from", SAM, "--to", SAM), 2,
         "--from and --to are the same provider (Sam Okafor)"),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_bad_value(cli, plain, paths, case):
    values = {**plain.ids, **paths}
    before = snapshot(plain.url)
    result = cli(*fill(case.args, values), actor=case.actor)
    assert_error(result, case.code, case.error.format(**values))
    assert snapshot(plain.url) == before


def test_unshare_remove_waits_for_upcoming_appointments(cli, practice):
    from clinicctl.scheduling.recurrence import make_recurrence

    maya, ana = practice.ids["maya"], practice.ids["ana"]
    practice.book(MAYA, ANA, at(TODAY - days(1), "10:00"), outside_availability=True,
                  force=True)
    [first, _] = practice.book(MAYA, ANA, at(MON, "10:00"),
                               recurrence=make_recurrence(repeat="weekly", count=2))
    before = snapshot(practice.url)
    refused = cli("client", "unshare", MAYA, "--from", SAM, "--to", ANA, "--remove")
    assert refused.exit_code == 5, refused.output
    assert refused.stdout == ""
    assert refused.stderr == (f"Error: Ana Ruiz has upcoming appointments with client #{maya} "
                              f"(next: #{first}); cancel them before removing the client from "
                              "the list\n")
    assert snapshot(practice.url) == before

    cancelled = cli("appointment", "cancel", str(first), "--scope", "series")
    assert cancelled.exit_code == 0, cancelled.output
    removed = cli("client", "unshare", MAYA, "--from", SAM, "--to", ANA, "--remove", "-o",
                  "json")
    assert removed.exit_code == 0, removed.output
    assert removed.json()["assignment"] == "removed"
    assert practice.assignment(maya, ana) is None
    # The past appointment stays on record.
    assert [a["status"] for a in practice.appointments()] == ["scheduled", "cancelled",
                                                             "cancelled"]
