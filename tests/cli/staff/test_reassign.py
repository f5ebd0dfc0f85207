"""Caseload handover, ``staff reassign``: who gets whom, what they may read afterwards, future
appointments, all-or-nothing conflicts, dry run, idempotence and permissions.

The practice is the scheduling one (``schedule_db``) with six more of Sam Okafor's clients;
each test that writes gets a clone, tests that only read, dry-run or are refused share one.
Sam's active clients, in handover order (last name, first name, case-insensitive):
Ben Adams, Maya Chen, Cara Diaz, Ida du Bois, Eli Fox, Gia Hall. Rex Moss (inactive) and
Zoe Nash (discharged) are in his list too and are never handed over.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.fixtures.cast import OWNER_EMAIL
from tests.fixtures.practice_db import snapshot
from tests.fixtures.schedule_db import (
    ANA,
    BILLER,
    CUSTODIAN,
    LEE,
    MANAGER,
    MAYA,
    MON,
    OMAR,
    SAM,
    SCHEDULER,
    THU,
    TUE,
    WED,
    ZONE,
    Practice,
    at,
    build_schedule,
    clone,
    local,
)

KIM = "kim@riverside.example"  # records_owner = provider; Omar Haddad is in her list
IVY = "ivy@riverside.example"  # records custodian for Lee Park only
TODAY = dt.datetime.now(ZONE).date()
STAFF_KEYS = {OWNER_EMAIL: "owner", MANAGER: "manager", SAM: "sam", ANA: "ana", LEE: "lee",
              KIM: "kim", CUSTODIAN: "rae", IVY: "scoped", SCHEDULER: "scheduler",
              BILLER: "biller"}
NAMES = {SAM: "Sam Okafor", ANA: "Ana Ruiz", LEE: "Lee Park", KIM: "Kim Novak"}
# (key, first, last, date of birth, Sam's status)
MORE_CLIENTS = [
    ("gia", "Gia", "Hall", "1988-05-06", "active"),
    ("ben", "Ben", "Adams", "1979-01-02", "new"),
    ("ida", "Ida", "du Bois", "1992-03-04", "active"),
    ("eli", "Eli", "Fox", "2001-07-08", "new"),
    ("cara", "Cara", "Diaz", "1983-09-10", "active"),
    ("rex", "Rex", "Moss", "1970-11-12", "inactive"),
    ("zoe", "Zoe", "Nash", "1966-12-13", "discharged"),
]
ORDER = ["ben", "maya", "cara", "ida", "eli", "gia"]
REASSIGN = ("staff", "reassign")


def when(day: dt.date, hhmm: str) -> str:
    """How error messages name a local time."""
    return f"{day.isoformat()} {hhmm} {local(day, hhmm).strftime('%Z')}"


def given(practice: Practice, client: str, to: str, *, assignment: str = "created",
          chart_share: str = "none", changed: bool = True, moved: tuple[int, ...] = ()
          ) -> dict[str, Any]:
    """One row of ``staff reassign -o json``."""
    return {"client_id": practice.ids[client], "to_id": practice.ids[STAFF_KEYS[to]],
            "to": NAMES[to], "assignment": assignment, "chart_share": chart_share,
            "changed": changed, "appointments_moved": list(moved)}


def set_status(practice: Practice, client: str, provider: str, status: str) -> None:
    from clinicctl.people import clients
    from clinicctl.people.refs import resolve_staff

    with practice.session() as s:
        clients.set_status(s, resolve_staff(s, OWNER_EMAIL), client, provider, status)


def share(practice: Practice, client: str, from_: str, to: str) -> None:
    from clinicctl.charts import sharing
    from clinicctl.people.refs import resolve_staff

    with practice.session() as s:
        sharing.share(s, resolve_staff(s, OWNER_EMAIL), client, from_, to)


def cancel(practice: Practice, appointment_id: int) -> None:
    from clinicctl.people.refs import resolve_staff
    from clinicctl.scheduling import appointments

    with practice.session() as s:
        appointments.cancel(s, resolve_staff(s, OWNER_EMAIL), appointment_id)


# --- fixtures -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def _template(backend) -> Practice:
    from clinicctl.people import clients
    from clinicctl.people.refs import resolve_staff

    practice = build_schedule(backend)
    with practice.session() as s:
        owner = resolve_staff(s, OWNER_EMAIL)
        for key, first, last, dob, _ in MORE_CLIENTS:
            practice.ids[key] = clients.add_client(s, owner, first_name=first, last_name=last,
                                                   dob=dob, provider_ref=SAM).client.id
    for _, first, last, _, status in MORE_CLIENTS:
        if status != "new":
            set_status(practice, f"{first} {last}", SAM, status)
    return practice


@pytest.fixture
def practice(backend, _template: Practice, monkeypatch: pytest.MonkeyPatch) -> Practice:
    """A fresh clone for a test that writes, as CLINICCTL_DB."""
    fresh = clone(backend, _template)
    monkeypatch.setenv("CLINICCTL_DB", fresh.url)
    return fresh


@pytest.fixture(scope="module")
def _agenda(backend, _template: Practice) -> Practice:
    """Shared by tests that only read, dry-run or are refused: Maya with Sam on MON 10:00
    (``a1``), which fits Ana's and Lee's Monday availability."""
    agenda = clone(backend, _template)
    [agenda.ids["a1"]] = agenda.book(MAYA, SAM, at(MON, "10:00"))
    return agenda


@pytest.fixture
def agenda(_agenda: Practice, monkeypatch: pytest.MonkeyPatch) -> Practice:
    monkeypatch.setenv("CLINICCTL_DB", _agenda.url)
    return _agenda


# --- who gets whom --------------------------------------------------------------------------

def test_handover_to_one_colleague_is_demographics_only(cli, practice):
    before = cli("client", "show", MAYA, actor=ANA)
    assert before.exit_code == 4, before.output

    result = cli(*REASSIGN, SAM, "--to", ANA, "-o", "json")
    assert result.exit_code == 0, result.output
    assert result.json() == [given(practice, key, ANA) for key in ORDER]
    assert result.stderr == "Reassigned 6 clients of Sam Okafor: 6 to Ana Ruiz.\n"
    for key in ORDER:
        assert practice.assignment(practice.ids[key], practice.ids["ana"]) == ("new", "share")
        # Sam keeps his clients: a handover takes nothing away.
        assert practice.assignment(practice.ids[key], practice.ids["sam"]) is not None
    for key in ("rex", "zoe"):
        assert practice.assignment(practice.ids[key], practice.ids["ana"]) is None

    # Ana now sees Maya's profile, but none of Sam's chart notes.
    profile = cli("client", "show", MAYA, "-o", "json", actor=ANA)
    assert profile.exit_code == 0, profile.output
    assert profile.json()["id"] == practice.ids["maya"]
    notes = cli("note", "list", MAYA, "-o", "json", actor=ANA)
    assert notes.exit_code == 0, notes.output
    assert notes.json() == []
    refused = cli("note", "show", str(practice.ids["progress_note"]), actor=ANA)
    assert refused.exit_code == 4, refused.output


def test_handover_with_chart_shares_the_non_private_notes(cli, practice):
    mark = practice.last_event_id()
    result = cli(*REASSIGN, SAM, "--to", ANA, "--chart", "-o", "json")
    assert result.exit_code == 0, result.output
    assert result.json() == [given(practice, key, ANA, chart_share="started") for key in ORDER]
    notes = cli("note", "list", MAYA, "-o", "json", actor=ANA)
    assert notes.exit_code == 0, notes.output
    assert [n["id"] for n in notes.json()] == [practice.ids["progress_note"]]
    private = cli("note", "show", str(practice.ids["private_note"]), actor=ANA)
    assert private.exit_code == 4, private.output
    events = practice.events(mark)
    assert [e[1] for e in events[:3]] == ["assignment.create", "chart_share.start",
                                          "client.share"]
    assert [e for e in events if e[1] == "staff.reassign"] == [
        (practice.ids["owner"], "staff.reassign", "ok",
         {"to_ids": [practice.ids["ana"]], "clients": 6, "changed": 6,
          "appointments_moved": 0, "chart": True})]


def test_chart_never_narrows_a_share_that_includes_private_notes(cli, practice):
    shared = cli("client", "share", MAYA, "--from", SAM, "--to", ANA, "--chart",
                 "--private-notes")
    assert shared.exit_code == 0, shared.output
    result = cli(*REASSIGN, SAM, "--to", ANA, "--chart", "-o", "json")
    assert result.exit_code == 0, result.output
    assert result.json()[1] == given(practice, "maya", ANA, assignment="existing",
                                     chart_share="active", changed=False)
    notes = cli("note", "list", MAYA, "-o", "json", actor=ANA)
    assert notes.exit_code == 0, notes.output
    assert [n["id"] for n in notes.json()] == sorted(
        [practice.ids["progress_note"], practice.ids["private_note"]])


@pytest.mark.parametrize(("targets", "expected", "summary"), [
    ((ANA, LEE), [ANA, LEE, ANA, LEE, ANA, LEE], "3 to Ana Ruiz, 3 to Lee Park"),
    ((LEE, ANA), [LEE, ANA, LEE, ANA, LEE, ANA], "3 to Lee Park, 3 to Ana Ruiz"),
    ((ANA, LEE, KIM), [ANA, LEE, KIM, ANA, LEE, KIM],
     "2 to Ana Ruiz, 2 to Lee Park, 2 to Kim Novak"),
], ids=["ana-lee", "lee-ana", "three"])
def test_clients_are_spread_evenly_in_the_order_of_to(cli, practice, targets, expected, summary):
    argv = [arg for target in targets for arg in ("--to", target)]
    result = cli(*REASSIGN, SAM, *argv, "-o", "json")
    assert result.exit_code == 0, result.output
    assert result.json() == [given(practice, key, to)
                             for key, to in zip(ORDER, expected, strict=True)]
    assert result.stderr == f"Reassigned 6 clients of Sam Okafor: {summary}.\n"
    for key, to in zip(ORDER, expected, strict=True):
        assert practice.assignment(practice.ids[key], practice.ids[STAFF_KEYS[to]]) == (
            "new", "share")


def test_a_client_already_with_a_colleague_stays_there(cli, practice):
    # Ben would go to Ana (first in --to order) but is already in Lee's list.
    share(practice, "Ben Adams", SAM, LEE)
    result = cli(*REASSIGN, SAM, "--to", ANA, "--to", LEE, "-o", "json")
    assert result.exit_code == 0, result.output
    assert result.json() == [
        given(practice, "ben", LEE, assignment="existing", changed=False),
        given(practice, "maya", ANA), given(practice, "cara", ANA),
        given(practice, "ida", LEE), given(practice, "eli", ANA), given(practice, "gia", LEE),
    ]
    assert result.stderr == "Reassigned 6 clients of Sam Okafor: 3 to Ana Ruiz, 3 to Lee Park.\n"


def test_continuity_prefers_a_colleague_who_still_sees_the_client(cli, practice):
    # Cara was discharged by Ana and is new with Lee: she goes to Lee, and counts for him.
    share(practice, "Cara Diaz", SAM, ANA)
    set_status(practice, "Cara Diaz", ANA, "discharged")
    share(practice, "Cara Diaz", SAM, LEE)
    result = cli(*REASSIGN, SAM, "--to", ANA, "--to", LEE, "-o", "json")
    assert result.exit_code == 0, result.output
    assert [(row["client_id"], row["to"]) for row in result.json()] == [
        (practice.ids["ben"], "Ana Ruiz"), (practice.ids["maya"], "Ana Ruiz"),
        (practice.ids["cara"], "Lee Park"), (practice.ids["ida"], "Lee Park"),
        (practice.ids["eli"], "Ana Ruiz"), (practice.ids["gia"], "Lee Park"),
    ]


def test_a_discharged_colleague_gets_the_client_back_with_a_note(cli, practice):
    share(practice, MAYA, SAM, ANA)
    set_status(practice, MAYA, ANA, "inactive")
    result = cli(*REASSIGN, SAM, "--to", ANA, "--to", LEE, "-o", "json")
    assert result.exit_code == 0, result.output
    assert result.json()[1] == given(practice, "maya", ANA, assignment="existing",
                                     changed=False)
    assert result.stderr == (
        "Ana Ruiz's status for this client is inactive; change it with `client status`\n"
        "Reassigned 6 clients of Sam Okafor: 3 to Ana Ruiz, 3 to Lee Park.\n")


def test_nothing_to_reassign(cli, agenda):
    before = snapshot(agenda.url)
    result = cli(*REASSIGN, LEE, "--to", ANA, "-o", "json")
    assert result.exit_code == 0, result.output
    assert result.stdout == "[]\n"
    assert result.stderr == "Lee Park has no active clients; nothing to reassign.\n"
    assert snapshot(agenda.url) == before


# --- appointments ---------------------------------------------------------------------------

def test_future_appointments_move_and_the_rest_stay(cli, practice):
    from clinicctl.scheduling.recurrence import make_recurrence

    ids = practice.ids
    series = practice.book(MAYA, SAM, at(MON, "10:00"), recurrence=make_recurrence(
        repeat="weekly", count=2))
    [ben_wed] = practice.book("Ben Adams", SAM, at(WED, "09:00"))
    [cancelled] = practice.book(MAYA, SAM, at(TUE, "10:00"))
    cancel(practice, cancelled)
    [past] = practice.book(MAYA, SAM, at(TODAY - dt.timedelta(days=2), "10:00"),
                           outside_availability=True, force=True)
    # Rex's appointment stays: he is not in Sam's active caseload.
    [rex] = practice.book("Rex Moss", SAM, at(THU, "10:00"))
    set_status(practice, "Rex Moss", SAM, "inactive")
    kim_omar = practice.book(OMAR, KIM, at(MON, "13:00"), outside_availability=True)
    before = {a["id"]: a for a in practice.appointments()}
    mark = practice.last_event_id()

    result = cli(*REASSIGN, SAM, "--to", ANA, "--appointments", "future", "-o", "json")
    assert result.exit_code == 0, result.output
    moved = {"ben": (ben_wed,), "maya": tuple(series)}
    assert result.json() == [given(practice, key, ANA, moved=moved.get(key, ()))
                             for key in ORDER]
    assert result.stderr == ("Reassigned 6 clients of Sam Okafor: 6 to Ana Ruiz; moved 3 "
                             "future appointments.\n")
    after = {a["id"]: a for a in practice.appointments()}
    for appointment_id, row in after.items():
        expected = dict(before[appointment_id])
        if appointment_id in (*series, ben_wed):
            expected["provider_id"] = ids["ana"]
        assert row == expected
    assert {after[i]["series_id"] for i in series} == {before[series[0]]["series_id"]}
    assert after[past]["provider_id"] == after[cancelled]["provider_id"] == ids["sam"]
    assert after[rex]["provider_id"] == ids["sam"]
    assert after[kim_omar[0]]["provider_id"] == ids["kim"]

    events = practice.events(mark)
    assert events[-4:] == [
        (ids["owner"], "appointment.reassign", "ok", {"from_id": ids["sam"], "to_id": ids["ana"]}),
        (ids["owner"], "appointment.reassign", "ok", {"from_id": ids["sam"], "to_id": ids["ana"]}),
        (ids["owner"], "appointment.reassign", "ok", {"from_id": ids["sam"], "to_id": ids["ana"]}),
        (ids["owner"], "staff.reassign", "ok",
         {"to_ids": [ids["ana"]], "clients": 6, "changed": 6, "appointments_moved": 3,
          "chart": False}),
    ]

    # Ana sees them as hers now.
    listed = cli("appointment", "list", "--provider", ANA, "-o", "json", actor=ANA)
    assert listed.exit_code == 0, listed.output
    assert [a["id"] for a in listed.json()] == [series[0], ben_wed, series[1]]


def test_without_appointments_they_stay_and_the_summary_says_so(cli, agenda):
    result = cli(*REASSIGN, SAM, "--to", ANA, "--dry-run", "-o", "json")
    assert result.exit_code == 0, result.output
    assert result.json() == [given(agenda, key, ANA) for key in ORDER]
    assert result.stderr == (
        "Dry run (nothing written): Reassigned 6 clients of Sam Okafor: 6 to Ana Ruiz.\n"
        "1 future appointment with these clients stays with Sam Okafor (add --appointments "
        "future to move it).\n")


def test_a_conflict_lists_every_failing_appointment_and_writes_nothing(
        cli, practice):
    from clinicctl.people.refs import resolve_staff
    from clinicctl.scheduling import availability

    [omar] = practice.book(OMAR, ANA, at(MON, "10:00"))  # Ana is busy then
    [maya] = practice.book(MAYA, SAM, at(MON, "10:00"))
    [cara] = practice.book("Cara Diaz", SAM, at(WED, "09:00"))  # Ana has time off
    [ben] = practice.book("Ben Adams", SAM, at(THU, "10:00"))  # Ana does not work Thursdays
    [eli] = practice.book("Eli Fox", SAM, at(MON, "11:00"))  # fine
    with practice.session() as s:
        availability.add_time_off(s, resolve_staff(s, OWNER_EMAIL), ANA,
                                  start=at(WED, "08:00"), end=at(WED, "13:00"))
    before = snapshot(practice.url)

    result = cli(*REASSIGN, SAM, "--to", ANA, "--appointments", "future", "-o", "json")
    assert result.exit_code == 5, result.output
    assert result.stdout == ""
    assert result.stderr == (
        "Error: 3 of 4 future appointments cannot move to the new provider; nothing was "
        "reassigned\n"
        f"  appointment #{maya} ({when(MON, '10:00')}) to Ana Ruiz: overlaps the provider's "
        f"appointment #{omar} ({when(MON, '10:00')}-10:50)\n"
        f"  appointment #{cara} ({when(WED, '09:00')}) to Ana Ruiz: Ana Ruiz has time off\n"
        f"  appointment #{ben} ({when(THU, '10:00')}) to Ana Ruiz: outside Ana Ruiz's "
        "availability\n")
    assert f"#{eli} " not in result.stderr
    assert snapshot(practice.url) == before


def test_one_failing_appointment_is_named(cli, practice):
    [maya] = practice.book(MAYA, SAM, at(MON, "13:00"))  # Lee works 09:30-11:30 only
    before = snapshot(practice.url)
    result = cli(*REASSIGN, SAM, "--to", LEE, "--appointments", "future")
    assert result.exit_code == 5, result.output
    assert result.stderr == (
        "Error: 1 of 1 future appointment cannot move to the new provider; nothing was "
        "reassigned\n"
        f"  appointment #{maya} ({when(MON, '13:00')}) to Lee Park: outside Lee Park's "
        "availability\n")
    assert snapshot(practice.url) == before


# --- dry run, output formats, idempotence ----------------------------------------------------

def test_dry_run_writes_nothing(cli, agenda):
    before = snapshot(agenda.url)
    result = cli(*REASSIGN, SAM, "--to", ANA, "--to", LEE, "--chart", "--appointments",
                 "future", "--dry-run", "-o", "json")
    assert result.exit_code == 0, result.output
    moved = {"maya": (agenda.ids["a1"],)}
    assert result.json() == [
        given(agenda, key, to, chart_share="started", moved=moved.get(key, ()))
        for key, to in zip(ORDER, [ANA, LEE, ANA, LEE, ANA, LEE], strict=True)]
    assert result.stderr == (
        "Dry run (nothing written): Reassigned 6 clients of Sam Okafor: 3 to Ana Ruiz, "
        "3 to Lee Park; moved 1 future appointment.\n")
    assert snapshot(agenda.url) == before


def test_csv_and_table_output(cli, agenda):
    ids = agenda.ids
    result = cli(*REASSIGN, SAM, "--to", LEE, "--appointments", "future", "--dry-run",
                 "-o", "csv")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "client_id,to_id,to,assignment,chart_share,changed,appointments_moved"
    assert lines[2] == f"{ids['maya']},{ids['lee']},Lee Park,created,none,true,{ids['a1']}"
    assert len(lines) == 7
    table = cli(*REASSIGN, SAM, "--to", LEE, "--dry-run", "-o", "table")
    assert table.exit_code == 0, table.output
    assert "Clients of Sam Okafor" in table.stdout
    assert "Lee Park" in table.stdout


def test_running_it_again_is_a_no_op(cli, practice):
    [maya] = practice.book(MAYA, SAM, at(MON, "10:00"))
    argv = (*REASSIGN, SAM, "--to", ANA, "--to", LEE, "--chart", "--appointments", "future",
            "-o", "json")
    first = cli(*argv)
    assert first.exit_code == 0, first.output
    assert first.json()[1] == given(practice, "maya", LEE, chart_share="started",
                                    moved=(maya,))
    before = snapshot(practice.url)
    again = cli(*argv)
    assert again.exit_code == 0, again.output
    assert again.json() == [
        given(practice, key, to, assignment="existing", chart_share="active", changed=False)
        for key, to in zip(ORDER, [ANA, LEE, ANA, LEE, ANA, LEE], strict=True)]
    assert again.stderr == ("All 6 clients of Sam Okafor are already with their new "
                            "providers; nothing changed.\n")
    assert snapshot(practice.url) == before
    # The same targets named the other way round keep every client where they are.
    swapped = cli(*REASSIGN, SAM, "--to", LEE, "--to", ANA, "--chart", "-o", "json")
    assert swapped.exit_code == 0, swapped.output
    assert [row["to"] for row in swapped.json()] == [row["to"] for row in again.json()]
    assert snapshot(practice.url) == before


# --- bad input -------------------------------------------------------------------------------

BAD_INPUT = [
    ("to-is-from", (SAM, "--to", "Sam Okafor"), 2,
     "--to 'Sam Okafor' is Sam Okafor, whose clients are being reassigned; name a colleague"),
    ("to-twice", (SAM, "--to", ANA, "--to", "ana  RUIZ"), 2, "--to names Ana Ruiz twice"),
    ("unknown-to", (SAM, "--to", "nobody@riverside.example"), 3,
     "no to-provider with email 'nobody@riverside.example'"),
    ("unknown-from", ("Xavier Quill", "--to", ANA), 3, "no provider named 'Xavier Quill'"),
    ("not-a-provider", (SAM, "--to", SCHEDULER), 2, "Jo Diaz (#{scheduler}) is not a provider"),
    ("bad-appointments", (SAM, "--to", ANA, "--appointments", "all"), 2,
     "invalid --appointments 'all': expected future"),
]


@pytest.mark.parametrize(("args", "code", "error"), [b[1:] for b in BAD_INPUT],
                         ids=[b[0] for b in BAD_INPUT])
def test_bad_input(cli, agenda, args, code, error):
    before = snapshot(agenda.url)
    result = cli(*REASSIGN, *args, "-o", "json")
    assert result.exit_code == code, result.output
    assert result.stdout == ""
    assert result.stderr == f"Error: {error.format(**agenda.ids)}\n"
    assert snapshot(agenda.url) == before


def test_missing_to_is_a_usage_error(cli, agenda):
    result = cli(*REASSIGN, SAM)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("Error: Missing option '--to'"), result.stderr


def test_a_deactivated_colleague_gets_nothing(cli, practice):
    from clinicctl.people import staff
    from clinicctl.people.refs import resolve_staff

    with practice.session() as s:
        staff.deactivate(s, resolve_staff(s, OWNER_EMAIL), LEE)
    before = snapshot(practice.url)
    result = cli(*REASSIGN, SAM, "--to", ANA, "--to", LEE)
    assert result.exit_code == 2, result.output
    assert result.stderr == "Error: Lee Park is deactivated; reassign to an active provider\n"
    assert snapshot(practice.url) == before


# --- permissions -----------------------------------------------------------------------------

NOT_A_SHARER = "requires one of the roles owner, manager, records-custodian, provider"
FROM_THEMSELVES = "providers share only from themselves"
# (id, actor, arguments after `staff reassign`, refused action or None, reason or None)
PERMISSIONS: list[tuple[str, str, tuple[str, ...], str | None, str | None]] = [
    ("owner", OWNER_EMAIL, (SAM, "--to", ANA), None, None),
    ("manager", MANAGER, (SAM, "--to", ANA), None, None),
    ("custodian", CUSTODIAN, (SAM, "--to", ANA), None, None),
    ("provider-own-caseload", SAM, (SAM, "--to", ANA), None, None),
    ("provider-own-caseload-chart", SAM, (SAM, "--to", ANA, "--chart"), None, None),
    ("records-owner-own-chart", KIM, (KIM, "--to", ANA, "--chart"), None, None),
    ("manager-records-owner-demographics", MANAGER, (KIM, "--to", ANA), None, None),
    ("scheduler", SCHEDULER, (SAM, "--to", ANA), "staff.reassign", NOT_A_SHARER),
    ("biller", BILLER, (SAM, "--to", ANA), "staff.reassign", NOT_A_SHARER),
    ("provider-colleagues-caseload", ANA, (SAM, "--to", ANA), "client.share", FROM_THEMSELVES),
    ("provider-colleagues-caseload-to-other", LEE, (SAM, "--to", ANA), "client.share",
     FROM_THEMSELVES),
    ("custodian-out-of-scope", IVY, (SAM, "--to", ANA), "client.share",
     "Sam Okafor is outside your records-custodian scope"),
    ("manager-records-owner-chart", MANAGER, (KIM, "--to", ANA, "--chart"), "client.share",
     "Kim Novak owns their records; only they may share their chart"),
    ("manager-chart", MANAGER, (SAM, "--to", ANA, "--chart"), None, None),
]


@pytest.mark.parametrize(("actor", "args", "action", "why"), [p[1:] for p in PERMISSIONS],
                         ids=[p[0] for p in PERMISSIONS])
def test_permissions(cli, agenda, actor, args, action, why):
    """Allowed: the handover runs (as a dry run, so the shared practice stays as it was).
    Refused: exit 4, one line, nothing written but one ``denied`` audit event."""
    before = snapshot(agenda.url)
    mark = agenda.last_event_id()
    result = cli(*REASSIGN, *args, "--appointments", "future", "--dry-run", "-o", "json",
                 actor=actor)
    after = snapshot(agenda.url)
    if action is None:
        assert result.exit_code == 0, result.output
        assert result.stderr.startswith("Dry run (nothing written): Reassigned "), result.stderr
        assert after == before
        return
    assert result.exit_code == 4, result.output
    assert result.stdout == ""
    if why is not None:
        assert result.stderr == f"Error: {action}: {why}\n"
    assert result.stderr.startswith(f"Error: {action}: ")
    del before["audit_event"], after["audit_event"]
    assert after == before
    assert [e[:3] for e in agenda.events(mark)] == [
        (agenda.ids[STAFF_KEYS[actor]], action, "denied")]


def test_a_provider_moves_their_own_appointments(cli, practice):
    [maya] = practice.book(MAYA, SAM, at(MON, "10:00"))
    result = cli(*REASSIGN, SAM, "--to", ANA, "--appointments", "future", "-o", "json",
                 actor=SAM)
    assert result.exit_code == 0, result.output
    assert result.json()[1]["appointments_moved"] == [maya]
    assert practice.appointments()[0]["provider_id"] == practice.ids["ana"]


def test_a_group_session_moves_whole_and_its_other_clients_are_alerted_on(cli, practice):
    """A session of several clients moves to the colleague of its first client in the
    caseload (Ben goes to Ana, Maya to Lee): Maya and Rex (inactive, outside the caseload)
    stay in it and get Ana's demographics-only assignment, each with the alert."""
    ids = practice.ids
    [session] = practice.book(["Ben Adams", MAYA, "Rex Moss"], SAM, at(WED, "10:00"))
    set_status(practice, "Rex Moss", SAM, "inactive")
    result = cli("-q", *REASSIGN, SAM, "--to", ANA, "--to", LEE, "--appointments", "future",
                 "-o", "json")
    assert result.exit_code == 0, result.output
    rows = {row["client_id"]: row for row in result.json()}
    assert rows[ids["ben"]]["appointments_moved"] == [session]
    assert rows[ids["maya"]]["to"] == "Lee Park"
    for key in ("maya", "rex"):
        assert (f"Alert: client #{ids[key]} is new to Ana Ruiz: added to their list with "
                "demographics only") in result.stderr
        assert practice.assignment(ids[key], ids["ana"]) == ("new", "appointment")
    moved = {a["id"]: a for a in practice.appointments()}[session]
    assert moved["provider_id"] == ids["ana"]
    listed = cli("appointment", "show", str(session), "-o", "json")
    assert [c["client_id"] for c in listed.json()["clients"]] == [ids["ben"], ids["maya"],
                                                                 ids["rex"]]
