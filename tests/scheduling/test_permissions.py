"""Who may book, find, cancel, reschedule and complete appointments, and set up availability,
locations and services (SPEC section 5); a scheduler books a new provider but cannot share;
a records custodian's scope limits the schedule."""

from __future__ import annotations

import pytest

from tests.fixtures.cast import OWNER_EMAIL
from tests.fixtures.permissions import expire_custodian_scope
from tests.fixtures.practice_db import snapshot
from tests.fixtures.schedule_db import (
    ANA,
    BILLER,
    CUSTODIAN,
    IVY,
    KIM,
    LEE,
    MANAGER,
    MAYA,
    MON,
    OMAR,
    SAM,
    SCHEDULER,
    STAFF_KEYS,
    THU,
    alert,
    at,
)

BOOKERS_DENIED = "requires one of the roles owner, manager, records-custodian, scheduler, provider"
NOT_YOURS = "providers book for themselves, or for a client in their list"
SCHEDULE_DENIED = "requires one of the roles owner, manager, scheduler, provider"

# (id, actor, command, action, refusal or None)
PERMISSION_CASES: list[tuple[str, str, tuple[str, ...], str, str | None]] = []
_BOOK = ("appointment", "book", "--client", MAYA, "--provider", ANA, "--at", at(MON, "11:00"))
for _actor, _why in [(OWNER_EMAIL, None), (MANAGER, None), (CUSTODIAN, None),
                     (IVY, "the client is outside your records-custodian scope"),
                     (SCHEDULER, None), (SAM, None), (ANA, None), (LEE, NOT_YOURS),
                     (KIM, NOT_YOURS), (BILLER, BOOKERS_DENIED)]:
    PERMISSION_CASES.append((f"book-{STAFF_KEYS[_actor]}", _actor, _BOOK, "appointment.book",
                             _why))
PERMISSION_CASES += [
    ("book-self-kim", KIM, ("appointment", "book", "--client", MAYA, "--provider", KIM, "--at",
                            at(MON, "11:00"), "--outside-availability"), "appointment.book",
     None),
    ("find-biller", BILLER, ("availability", "find", "--client", MAYA, "--therapist", ANA),
     "availability.find", BOOKERS_DENIED),
    ("find-lee-for-ana", LEE, ("availability", "find", "--client", MAYA, "--therapist", ANA),
     "availability.find", NOT_YOURS),
]
for _actor, _why in [(SCHEDULER, None), (CUSTODIAN, None), (SAM, None), (MANAGER, None),
                     (ANA, NOT_YOURS), (LEE, NOT_YOURS), (BILLER, BOOKERS_DENIED)]:
    key = STAFF_KEYS[_actor]
    PERMISSION_CASES += [
        (f"cancel-{key}", _actor, ("appointment", "cancel", "{a1}"), "appointment.cancel",
         _why),
        (f"reschedule-{key}", _actor, ("appointment", "reschedule", "{a1}", "--at",
                                       at(THU, "10:00")), "appointment.reschedule", _why),
    ]
PERMISSION_CASES += [
    # Omar is in Kim's list, so Kim may cancel his appointment with Ana; Ana may, it is hers.
    ("cancel-colleague-kim", KIM, ("appointment", "cancel", "{a2}"), "appointment.cancel",
     None),
    ("cancel-own-ana", ANA, ("appointment", "cancel", "{a2}"), "appointment.cancel", None),
    ("reschedule-to-colleague-sam", SAM, ("appointment", "reschedule", "{a1}", "--at",
                                          at(MON, "11:00"), "--provider", ANA),
     "appointment.reschedule", None),
    ("complete-biller", BILLER, ("appointment", "complete", "{past2}"), "appointment.complete",
     BOOKERS_DENIED),
    ("complete-sam", SAM, ("appointment", "complete", "{past2}"), "appointment.complete", None),
]
for _verb, _args in [("add", ("availability", "add", ANA, "--days", "fri", "--start", "09:00",
                              "--end", "12:00")),
                     ("timeoff", ("availability", "timeoff", ANA, "--start", at(MON, "13:00"),
                                  "--end", at(MON, "15:00"))),
                     ("remove", ("availability", "remove", "{ana_mon}"))]:
    for _actor, _why in [(OWNER_EMAIL, None), (MANAGER, None), (SCHEDULER, None), (ANA, None),
                         (LEE, "providers manage only their own availability"),
                         (CUSTODIAN, SCHEDULE_DENIED), (BILLER, SCHEDULE_DENIED)]:
        PERMISSION_CASES.append((f"availability-{_verb}-{STAFF_KEYS[_actor]}", _actor, _args,
                                 f"availability.{_verb}", _why))
for _what, _args in [("location", ("location", "add", "Annex", "--pos", "22")),
                     ("service", ("service", "add", "X200", "--name", "Walk", "--minutes",
                                  "40"))]:
    for _actor, _why in [(OWNER_EMAIL, None), (MANAGER, None),
                         (SCHEDULER, "requires one of the roles owner, manager"),
                         (SAM, "requires one of the roles owner, manager"),
                         (CUSTODIAN, "requires one of the roles owner, manager"),
                         (BILLER, "requires one of the roles owner, manager")]:
        PERMISSION_CASES.append((f"{_what}-add-{STAFF_KEYS[_actor]}", _actor, _args,
                                 f"{_what}.add", _why))
PERMISSION_CASES.append(
    ("scheduler-cannot-share", SCHEDULER, ("client", "share", MAYA, "--from", SAM, "--to", ANA),
     "client.share", "requires one of the roles owner, manager, records-custodian, provider"))


@pytest.mark.parametrize(("actor", "args", "action", "why"),
                         [c[1:] for c in PERMISSION_CASES], ids=[c[0] for c in PERMISSION_CASES])
def test_permissions(cli, agenda, actor, args, action, why):
    """Allowed: the command runs (as a dry run, so the shared practice stays as it was).
    Refused: exit 4, one line, and only a ``denied`` audit event is added."""
    before = snapshot(agenda.url)
    mark = agenda.last_event_id()
    argv = [a.format(**agenda.ids) for a in args]
    read_only = args[:2] == ("availability", "find")
    result = cli(*argv, *(() if read_only else ("--dry-run",)), "-o", "json", actor=actor)
    after = snapshot(agenda.url)
    if why is None:
        assert result.exit_code == 0, result.output
        assert read_only or result.stderr.startswith("Dry run (nothing written): "), \
            result.stderr
        assert after == before
        return
    assert result.exit_code == 4, result.output
    assert result.stdout == ""
    assert result.stderr == f"Error: {action}: {why}\n"
    assert "Traceback" not in result.output
    del before["audit_event"], after["audit_event"]
    assert after == before
    actor_id = agenda.ids[STAFF_KEYS[actor]]
    assert [e[:3] for e in agenda.events(mark)] == [(actor_id, action, "denied")]


def test_scheduler_books_a_new_provider_but_cannot_share(cli, practice):
    booked = cli("appointment", "book", "--client", MAYA, "--provider", LEE, "--at",
                 at(MON, "09:30"), actor=SCHEDULER)
    assert booked.exit_code == 0, booked.output
    assert alert(practice.ids["maya"], "Lee Park") in booked.stderr
    shared = cli("client", "share", MAYA, "--from", SAM, "--to", ANA, actor=SCHEDULER)
    assert shared.exit_code == 4, shared.output
    assert shared.stderr == ("Error: client.share: requires one of the roles owner, manager, "
                             "records-custodian, provider\n")
    chart = cli("client", "share", MAYA, "--from", LEE, "--to", ANA, "--chart",
                actor=SCHEDULER)
    assert chart.exit_code == 4, chart.output
    assert practice.assignment(practice.ids["maya"], practice.ids["ana"]) is None


def test_provider_books_their_client_with_a_colleague(cli, practice):
    result = cli("appointment", "book", "--client", MAYA, "--provider", ANA, "--at",
                 at(MON, "09:00"), "-o", "json", actor=SAM)
    assert result.exit_code == 0, result.output
    assert result.json()["new_provider"] is True
    assert practice.assignment(practice.ids["maya"], practice.ids["ana"]) == (
        "new", "appointment")
    # Ana, now assigned, may book Maya with Lee; Lee, not assigned, may not book her with Ana.
    colleague = cli("appointment", "book", "--client", MAYA, "--provider", LEE, "--at",
                    at(MON, "10:30"), actor=ANA)
    assert colleague.exit_code == 0, colleague.output
    refused = cli("appointment", "book", "--client", OMAR, "--provider", ANA, "--at",
                  at(MON, "11:00"), actor=LEE)
    assert refused.exit_code == 4, refused.output


def test_a_custodian_sees_and_books_appointments_only_in_scope(cli, cast, open_session):
    """The custodian's scope limits the schedule as it limits exports: Ivy, scoped to Sam,
    sees Maya's appointment with Sam, not Omar's with Kim; expired, she sees none."""
    from clinicctl.people import staff
    from clinicctl.people.refs import resolve_staff

    with open_session() as s:
        staff.set_custodian_scope(s, resolve_staff(s, cast.owner), cast.scoped_custodian,
                                  provider_refs=[cast.provider_a], all_providers=False,
                                  expires_on=None)
    maya = cli("appointment", "book", "--client", cast.client, "--provider", cast.provider_a,
               "--at", "2031-05-05 10:00", "--outside-availability", "-o", "json")
    omar = cli("appointment", "book", "--client", cast.own_client, "--provider",
               cast.provider_own, "--at", "2031-05-05 11:00", "--outside-availability",
               "-o", "json")
    assert maya.exit_code == 0 and omar.exit_code == 0, (maya.output, omar.output)
    maya_id = maya.json()["appointments"][0]["id"]
    omar_id = omar.json()["appointments"][0]["id"]

    def listed(actor: str) -> list[int]:
        run = cli("appointment", "list", "-o", "json", actor=actor)
        assert run.exit_code == 0, run.output
        return [a["id"] for a in run.json()]

    assert listed(cast.custodian) == [maya_id, omar_id]
    assert listed(cast.scoped_custodian) == [maya_id]
    assert cli("appointment", "show", str(maya_id), actor=cast.scoped_custodian).exit_code == 0
    hidden = cli("appointment", "show", str(omar_id), actor=cast.scoped_custodian)
    assert hidden.exit_code == 4, hidden.output
    booked = cli("appointment", "book", "--client", cast.own_client, "--provider",
                 cast.provider_own, "--at", "2031-05-06 11:00", "--outside-availability",
                 actor=cast.scoped_custodian)
    assert booked.exit_code == 4, booked.output
    assert booked.stderr == ("Error: appointment.book: the client is outside your "
                             "records-custodian scope\n")
    expire_custodian_scope(open_session, cast.owner, cast.scoped_custodian, [cast.provider_a])
    assert listed(cast.scoped_custodian) == []
