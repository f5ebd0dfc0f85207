"""``appointment list``: filters, and what a provider sees."""

from __future__ import annotations

import pytest

from tests.fixtures.bad_input import Case, assert_error
from tests.fixtures.practice_db import snapshot
from tests.fixtures.schedule_db import ANA, LEE, MAYA, MON, OMAR, SAM, TODAY, TUE, WED, iso


def test_list_and_filters(cli, agenda):
    ids = agenda.ids

    def listed(*options: str) -> list[int]:
        result = cli("appointment", "list", *options, "-o", "json")
        assert result.exit_code == 0, result.output
        assert result.stderr == "" or result.json() == []  # an empty one says so
        return [a["id"] for a in result.json()]

    everything = [ids["past2"], ids["past"], ids["a1"], ids["a2"], ids["a3"]]
    assert listed() == everything
    assert listed("--provider", SAM) == [ids["past2"], ids["past"], ids["a1"], ids["a3"]]
    assert listed("--provider", ANA) == [ids["a2"]]
    assert listed("--client", OMAR) == [ids["a2"]]
    assert listed("--client", MAYA, "--provider", ANA) == []
    assert listed("--from", str(MON), "--to", str(MON)) == [ids["a1"], ids["a2"]]
    assert listed("--from", str(TUE)) == [ids["a3"]]
    assert listed("--to", str(TODAY)) == [ids["past2"], ids["past"]]
    assert listed("--status", "completed") == [ids["past"]]
    assert listed("--status", "cancelled,completed") == [ids["past"], ids["a3"]]
    assert listed("--status", "no-show") == []
    csv = cli("appointment", "list", "--client", OMAR, "-o", "csv")
    assert csv.exit_code == 0, csv.output
    assert csv.stdout == (
        "id,client_id,provider_id,provider,start,end,status,service,pos,location,series_id,"
        "client,clients\n"
        f"{ids['a2']},{ids['omar']},{ids['ana']},Ana Ruiz,{iso(MON, '10:00')},"
        f"{iso(MON, '10:50')},scheduled,90834,11,Main office,,Omar Haddad,{ids['omar']}:\n")
    # A provider sees their own appointments and those of clients in their list.
    result = cli("appointment", "list", "-o", "json", actor=ANA)
    assert [a["id"] for a in result.json()] == [ids["a2"]]
    result = cli("appointment", "list", "-o", "json", actor=LEE)
    assert result.json() == []


# --- bad input --------------------------------------------------------------------------------

CASES = [
    Case("list-bad-status", ("appointment", "list", "--status", "scheduled,done"), 2,
         "invalid status 'done'; expected scheduled, completed, cancelled, late-cancelled, "
         "no-show"),
    Case("list-bad-from", ("appointment", "list", "--from", "2027-02-30"), 2,
         "invalid --from date '2027-02-30': expected YYYY-MM-DD"),
    Case("list-to-before-from", ("appointment", "list", "--from", str(WED), "--to", str(MON)),
         2, f"--to {MON} is before --from {WED}"),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_bad_value(cli, scheduled, case):
    before = snapshot(scheduled.url)
    result = cli(*(a.format(**scheduled.ids) for a in case.args))
    assert_error(result, case.code, case.error.format(**scheduled.ids))
    assert snapshot(scheduled.url) == before
