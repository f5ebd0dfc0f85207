"""The permission table (SPEC section 5), row by row, role by role.

Sharing and what each role then sees are in ``test_privacy.py``; this file holds the other
rows and the helpers both files use. Every case is one test id: ``test_staff_add[manager-
grants-owner]`` and so on. Allowed
cases check the exact JSON result and the rows that changed; denied cases check the whole
contract of a refusal: exit 4, one ``Error: ...`` line on stderr, nothing on stdout, no data
changed, and exactly one new audit event, ``denied``, for that actor and action.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

# --- helpers ------------------------------------------------------------------------------


def snapshot(open_session) -> dict[str, Any]:
    """Every row a permission decision could change, plus the audit trail, in one read."""
    from sqlalchemy import select

    from clinicctl.models import (
        Assignment,
        AuditEvent,
        ChartNote,
        ChartShare,
        Client,
        CustodianGrant,
        Document,
        Staff,
    )

    with open_session(write=False) as s:
        return {
            "assignments": sorted(
                (a.client_id, a.provider_id, a.status, a.diagnosis, a.origin)
                for a in s.scalars(select(Assignment))),
            "chart_shares": sorted(
                (c.id, c.client_id, c.from_provider_id, c.to_provider_id,
                 c.include_private_notes, c.ended_at is None)
                for c in s.scalars(select(ChartShare))),
            "staff": sorted((m.id, m.email, tuple(m.roles), m.active, m.records_owner)
                            for m in s.scalars(select(Staff))),
            "grants": sorted(((g.custodian_id, g.provider_id, g.expires_on)
                              for g in s.scalars(select(CustodianGrant))), key=repr),
            "clients": sorted((c.id, c.first_name, c.last_name, c.dob, c.email, c.phone,
                               c.external_id) for c in s.scalars(select(Client))),
            "notes": sorted(n.id for n in s.scalars(select(ChartNote))),
            "documents": sorted(d.id for d in s.scalars(select(Document))),
            "audit": [(e.actor_id, e.action, e.outcome, e.client_id)
                      for e in s.scalars(select(AuditEvent).order_by(AuditEvent.id))],
        }


def data_of(snap: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in snap.items() if k != "audit"}


def new_events(before: dict[str, Any], after: dict[str, Any]) -> list[tuple]:
    assert after["audit"][:len(before["audit"])] == before["audit"], "audit trail rewritten"
    return after["audit"][len(before["audit"]):]


def assert_denied(run, before: dict[str, Any], after: dict[str, Any],
                  actor_id: int, action: str) -> None:
    assert run.exit_code == 4, run.output
    assert run.stdout == ""
    assert run.stderr.startswith("Error: ") and run.stderr.count("\n") == 1, run.stderr
    assert "Traceback" not in run.stderr
    assert data_of(after) == data_of(before)
    assert [e[:3] for e in new_events(before, after)] == [(actor_id, action, "denied")]


def ids_of(snap: dict[str, Any]) -> dict[str, int]:
    """Staff ids by email, from a snapshot."""
    return {m[1]: m[0] for m in snap["staff"]}


def as_staff(open_session, email: str, fn) -> Any:
    """Run a service call as ``email`` in its own committed transaction."""
    from clinicctl.people.refs import resolve_staff

    with open_session() as s:
        return fn(s, resolve_staff(s, email))


def share(open_session, actor: str, client: str, from_: str, to: str,
          *, chart: bool = False, private_notes: bool = False) -> None:
    from clinicctl.charts import sharing

    as_staff(open_session, actor, lambda s, me: sharing.share(
        s, me, client, from_, to, chart=chart, private_notes=private_notes))


def expire_custodian_scope(open_session, owner: str, custodian: str,
                           providers: list[str]) -> None:
    """Grant a scope that expires today (the service refuses a past date), then move the
    expiry to yesterday as if the grant had run out."""
    from sqlalchemy import select

    from clinicctl import days
    from clinicctl.models import CustodianGrant
    from clinicctl.people import staff
    from clinicctl.people.refs import resolve_staff

    with open_session(write=False) as s:
        today = days.practice_today(s)
    as_staff(open_session, owner, lambda s, me: staff.set_custodian_scope(
        s, me, custodian, provider_refs=providers, all_providers=not providers,
        expires_on=today))
    with open_session() as s:
        who = resolve_staff(s, custodian)
        grants = s.scalars(select(CustodianGrant)
                           .where(CustodianGrant.custodian_id == who.id)).all()
        assert grants
        for grant in grants:
            grant.expires_on = today - dt.timedelta(days=1)


# --- staff add / roles / deactivate; staff custodian ------------------------------------------

STAFF_ADD = [
    # (actor, roles, exit code)
    ("owner", ["provider"], 0),
    ("owner", ["records-custodian"], 0),
    ("owner", ["owner"], 5),  # exactly one owner: a conflict, not a permission question
    ("manager", ["provider"], 0),
    ("manager", ["scheduler", "biller"], 0),
    ("manager", ["records-custodian"], 4),
    ("manager", ["owner"], 4),
    ("manager", ["provider", "records-custodian"], 4),
    ("custodian", ["provider"], 4),
    ("provider_a", ["provider"], 4),
    ("scheduler", ["scheduler"], 4),
    ("biller", ["biller"], 4),
]


@pytest.mark.parametrize(("actor_key", "roles", "code"), STAFF_ADD,
                         ids=[f"{a}-grants-{'+'.join(r)}" for a, r, _ in STAFF_ADD])
def test_staff_add(cli, cast, open_session, actor_key, roles, code):
    actor = getattr(cast, actor_key)
    before = snapshot(open_session)
    ids = ids_of(before)
    role_args = [arg for r in roles for arg in ("--role", r)]
    run = cli("staff", "add", "Pat Lane", "--email", "pat@riverside.example", *role_args,
              "-o", "json", actor=actor)
    after = snapshot(open_session)
    if code == 4:
        assert_denied(run, before, after, ids[actor], "staff.add")
        return
    assert run.exit_code == code, run.output
    if code == 0:
        data = run.json()
        assert (data["email"], data["roles"], data["active"]) == (
            "pat@riverside.example", roles, True)
        assert len(after["staff"]) == len(before["staff"]) + 1
    else:
        assert data_of(after) == data_of(before)


STAFF_ROLES = [
    ("owner", "records-custodian", 0),
    ("owner", "scheduler", 0),
    ("manager", "scheduler", 0),
    ("manager", "records-custodian", 4),
    ("manager", "owner", 4),
    ("custodian", "scheduler", 4),
    ("provider_a", "scheduler", 4),
    ("scheduler", "scheduler", 4),
    ("biller", "scheduler", 4),
]


@pytest.mark.parametrize(("actor_key", "role", "code"), STAFF_ROLES,
                         ids=[f"{a}-adds-{r}" for a, r, _ in STAFF_ROLES])
def test_staff_roles(cli, cast, open_session, actor_key, role, code):
    actor = getattr(cast, actor_key)
    before = snapshot(open_session)
    ids = ids_of(before)
    run = cli("staff", "roles", cast.provider_c, "--add", role, "-o", "json", actor=actor)
    after = snapshot(open_session)
    if code == 4:
        assert_denied(run, before, after, ids[actor], "staff.roles")
        return
    assert run.exit_code == 0, run.output
    assert run.json()["roles"] == ["provider", role]


STAFF_ADMIN_ROLES = [("owner", 0), ("manager", 0), ("custodian", 4), ("provider_a", 4),
                     ("scheduler", 4), ("biller", 4)]


@pytest.mark.parametrize(("actor_key", "code"), STAFF_ADMIN_ROLES,
                         ids=[a for a, _ in STAFF_ADMIN_ROLES])
def test_staff_deactivate(cli, cast, open_session, actor_key, code):
    actor = getattr(cast, actor_key)
    before = snapshot(open_session)
    ids = ids_of(before)
    run = cli("staff", "deactivate", cast.provider_c, "-o", "json", actor=actor)
    after = snapshot(open_session)
    if code == 4:
        assert_denied(run, before, after, ids[actor], "staff.deactivate")
        return
    assert run.exit_code == 0, run.output
    assert run.json()["active"] is False
    assert [m[3] for m in after["staff"] if m[1] == cast.provider_c] == [False]


STAFF_CUSTODIAN = [("owner", 0), ("manager", 4), ("custodian", 4), ("scoped_custodian", 4),
                   ("provider_a", 4), ("scheduler", 4), ("biller", 4)]


@pytest.mark.parametrize(("actor_key", "code"), STAFF_CUSTODIAN,
                         ids=[a for a, _ in STAFF_CUSTODIAN])
def test_staff_custodian_is_owner_only(cli, cast, open_session, actor_key, code):
    actor = getattr(cast, actor_key)
    before = snapshot(open_session)
    ids = ids_of(before)
    # The scoped custodian widening their own scope is the interesting refusal.
    run = cli("staff", "custodian", cast.scoped_custodian, "--provider", cast.provider_a,
              "-o", "json", actor=actor)
    after = snapshot(open_session)
    if code == 4:
        assert_denied(run, before, after, ids[actor], "staff.custodian")
        return
    assert run.exit_code == 0, run.output
    assert run.json()["provider_ids"] == [ids[cast.provider_a]]
    assert run.json()["all_providers"] is False
    ivy = ids[cast.scoped_custodian]
    assert [g for g in after["grants"] if g[0] == ivy] == [(ivy, ids[cast.provider_a], None)]


# --- clients: add / edit demographics, status, diagnosis ---------------------------------------

CLIENT_ADD = [
    # (test id, actor, extra options, exit code)
    ("owner", "owner", [], 0),
    ("manager-into-a-list", "manager", ["--provider", "provider_a"], 0),
    ("scheduler", "scheduler", [], 0),
    ("provider-own-list", "provider_a", [], 0),
    ("provider-into-own-list", "provider_a", ["--provider", "provider_a"], 0),
    ("provider-into-other-list", "provider_a", ["--provider", "provider_b"], 4),
    ("custodian", "custodian", [], 4),
    ("biller", "biller", [], 4),
]


@pytest.mark.parametrize(("actor_key", "extra", "code"), [c[1:] for c in CLIENT_ADD],
                         ids=[c[0] for c in CLIENT_ADD])
def test_client_add(cli, cast, open_session, actor_key, extra, code):
    actor = getattr(cast, actor_key)
    extra = [getattr(cast, x) if x.startswith("provider_") else x for x in extra]
    before = snapshot(open_session)
    ids = ids_of(before)
    run = cli("client", "add", "Nia", "Brooks", "--dob", "1992-02-03", *extra, "-o", "json",
              actor=actor)
    after = snapshot(open_session)
    if code == 4:
        assert_denied(run, before, after, ids[actor], "client.add")
        return
    assert run.exit_code == 0, run.output
    data = run.json()
    assert data == {"id": data["id"], "first_name": "Nia", "last_name": "Brooks",
                    "name": "Nia Brooks", "dob": "1992-02-03", "external_id": None}
    new_assignments = sorted(set(after["assignments"]) - set(before["assignments"]))
    # A provider's new client lands in their own list, or they could not see it.
    into = extra[1] if extra else (actor if actor_key == "provider_a" else None)
    expected = [(data["id"], ids[into], "new", "", "intake")] if into else []
    assert new_assignments == expected


CLIENT_EDIT = [("owner", 0), ("manager", 0), ("scheduler", 0), ("provider_a", 0),
               ("provider_c", 4), ("custodian", 4), ("biller", 4)]


@pytest.mark.parametrize(("actor_key", "code"), CLIENT_EDIT,
                         ids=["owner", "manager", "scheduler", "provider-own-client",
                              "provider-not-their-client", "custodian", "biller"])
def test_client_edit_demographics(cli, cast, open_session, actor_key, code):
    actor = getattr(cast, actor_key)
    before = snapshot(open_session)
    ids = ids_of(before)
    run = cli("client", "edit", cast.client, "--phone", "555-0100", "-o", "json", actor=actor)
    after = snapshot(open_session)
    if code == 4:
        assert_denied(run, before, after, ids[actor], "client.edit")
        return
    assert run.exit_code == 0, run.output
    assert run.json()["phone"] == "555-0100"
    assert [c[5] for c in after["clients"] if c[0] == cast.client_id] == ["555-0100"]


# Status is an administrative per-provider setting (the "client edit" row: schedulers too);
# diagnosis is clinical (owner, manager, and the provider for their own entry).
ASSIGNMENT_EDITS = [
    # (test id, command, actor, whose setting, exit code)
    ("status-owner", "status", "owner", "provider_a", 0),
    ("status-manager", "status", "manager", "provider_a", 0),
    ("status-scheduler", "status", "scheduler", "provider_a", 0),
    ("status-provider-own-setting", "status", "provider_a", "provider_a", 0),
    ("status-shared-provider-own-setting", "status", "provider_b", "provider_b", 0),
    ("status-provider-other-providers-setting", "status", "provider_b", "provider_a", 4),
    ("status-custodian", "status", "custodian", "provider_a", 4),
    ("status-biller", "status", "biller", "provider_a", 4),
    ("diagnosis-owner", "diagnosis", "owner", "provider_a", 0),
    ("diagnosis-manager", "diagnosis", "manager", "provider_a", 0),
    ("diagnosis-provider-own-setting", "diagnosis", "provider_a", "provider_a", 0),
    ("diagnosis-shared-provider-own-setting", "diagnosis", "provider_b", "provider_b", 0),
    ("diagnosis-provider-other-providers-setting", "diagnosis", "provider_b", "provider_a", 4),
    ("diagnosis-scheduler", "diagnosis", "scheduler", "provider_a", 4),
    ("diagnosis-custodian", "diagnosis", "custodian", "provider_a", 4),
    ("diagnosis-biller", "diagnosis", "biller", "provider_a", 4),
]


@pytest.mark.parametrize(("command", "actor_key", "whose", "code"),
                         [c[1:] for c in ASSIGNMENT_EDITS], ids=[c[0] for c in ASSIGNMENT_EDITS])
def test_client_status_and_diagnosis(cli, cast, open_session, command, actor_key, whose, code):
    # B has the client demographics-only, so B is assigned but A's settings stay A's.
    share(open_session, cast.owner, cast.client, cast.provider_a, cast.provider_b)
    actor, provider = getattr(cast, actor_key), getattr(cast, whose)
    value = {"status": "active", "diagnosis": "F33.1"}[command]
    before = snapshot(open_session)
    ids = ids_of(before)
    run = cli("client", command, cast.client, "--provider", provider, "--set", value,
              "-o", "json", actor=actor)
    after = snapshot(open_session)
    if code == 4:
        assert_denied(run, before, after, ids[actor], f"client.{command}")
        return
    assert run.exit_code == 0, run.output
    data = run.json()
    assert (data["client_id"], data["provider_id"], data["changed"]) == (
        cast.client_id, ids[provider], True)
    if command == "status":
        assert data["status"] == "active"
    else:
        assert data["diagnosis"] == ["F33.1"]


# --- writing chart notes and clinical documents ----------------------------------------------

NOTE_WRITERS = [
    ("provider-assigned-author", "provider_a", 0),
    ("provider-assigned-by-share", "provider_b", 0),
    ("provider-not-assigned", "provider_c", 4),
    ("owner", "owner", 4),
    ("manager", "manager", 4),
    ("custodian", "custodian", 4),
    ("scheduler", "scheduler", 4),
    ("biller", "biller", 4),
]


@pytest.mark.parametrize(("actor_key", "code"), [c[1:] for c in NOTE_WRITERS],
                         ids=[c[0] for c in NOTE_WRITERS])
@pytest.mark.parametrize("what", ["note", "clinical-doc"])
def test_write_chart_records(cli, cast, open_session, tmp_path, what, actor_key, code):
    share(open_session, cast.owner, cast.client, cast.provider_a, cast.provider_b)
    actor = getattr(cast, actor_key)
    before = snapshot(open_session)
    ids = ids_of(before)
    if what == "note":
        run = cli("note", "add", cast.client, "--body", "Session 2", "-o", "json", actor=actor)
    else:
        scan = tmp_path / "scan.txt"
        scan.write_bytes(b"scan")
        run = cli("doc", "add", cast.client, str(scan), "--title", "Scan", "--clinical",
                  "-o", "json", actor=actor)
    after = snapshot(open_session)
    action = {"note": "note.add", "clinical-doc": "doc.add"}[what]
    if code == 4:
        assert_denied(run, before, after, ids[actor], action)
        return
    assert run.exit_code == 0, run.output
    if what == "note":
        assert (run.json()["author_id"], run.json()["kind"]) == (ids[actor], "progress")
        assert len(after["notes"]) == len(before["notes"]) + 1
    else:
        assert run.json()["clinical"] is True
        assert len(after["documents"]) == len(before["documents"]) + 1


def test_addendum_to_an_unreadable_note_is_denied(cli, cast, open_session):
    """B may write notes once the client is in their list, but not amend (and so confirm)
    a note of A's they cannot read."""
    share(open_session, cast.owner, cast.client, cast.provider_a, cast.provider_b)
    before = snapshot(open_session)
    ids = ids_of(before)
    run = cli("note", "add", cast.client, "--body", "addendum", "--addendum-to",
              str(cast.progress_note_id), actor=cast.provider_b)
    assert_denied(run, before, snapshot(open_session), ids[cast.provider_b], "note.add")


# --- audit list / verify ----------------------------------------------------------------------

AUDIT_READERS = [("owner", 0), ("manager", 0), ("custodian", 0), ("scoped_custodian", 0),
                 ("provider_a", 4), ("scheduler", 4), ("biller", 4)]


@pytest.mark.parametrize(("actor_key", "code"), AUDIT_READERS, ids=[a for a, _ in AUDIT_READERS])
@pytest.mark.parametrize("command", ["list", "verify"])
def test_audit_read(cli, cast, open_session, command, actor_key, code):
    actor = getattr(cast, actor_key)
    before = snapshot(open_session)
    ids = ids_of(before)
    run = cli("audit", command, "-o", "json", actor=actor)
    after = snapshot(open_session)
    if code == 4:
        assert_denied(run, before, after, ids[actor], f"audit.{command}")
        return
    assert run.exit_code == 0, run.output
    if command == "verify":
        assert run.json() == {"events": len(before["audit"]), "ok": True, "broken_at": None,
                              "reason": None, "anchors": []}
    elif actor_key == "scoped_custodian":
        assert run.json() == [], "provider C, the scope, has no clients in the cast"
    else:
        assert {e["client_id"] for e in run.json()} >= {cast.client_id}


def test_scoped_custodian_audit_list_shows_only_clients_in_scope(cli, cast, open_session):
    from clinicctl.people import clients

    nia = as_staff(open_session, cast.owner, lambda s, me: clients.add_client(
        s, me, first_name="Nia", last_name="Brooks", dob="1992-02-03",
        provider_ref=cast.provider_c).client.id)

    scoped = cli("audit", "list", "-o", "json", actor=cast.scoped_custodian)
    assert scoped.exit_code == 0, scoped.output
    events = scoped.json()
    assert {e["client_id"] for e in events} == {nia}
    assert {"client.add", "assignment.create"} <= {e["action"] for e in events}

    # The same trail read by the all-providers custodian includes Maya Chen's events.
    everyone = cli("audit", "list", "-o", "json", actor=cast.custodian)
    assert everyone.exit_code == 0, everyone.output
    assert {cast.client_id, nia} <= {e["client_id"] for e in everyone.json()}


def test_expired_custodian_audit_list_is_empty(cli, cast, open_session):
    expire_custodian_scope(open_session, cast.owner, cast.custodian, [])
    run = cli("audit", "list", "-o", "json", actor=cast.custodian)
    assert run.exit_code == 0, run.output
    assert run.json() == []


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
