"""The permission table (SPEC section 5), row by row, role by role.

Sharing is in ``tests/charts/test_sharing.py`` and what each role then sees in
``tests/charts/test_views.py``; scheduling in ``tests/scheduling/test_permissions.py``,
import and export in ``tests/exchange/test_permissions.py``; the helpers are in
``tests/fixtures/permissions.py``. Every case is one test id: ``test_staff_add[manager-
grants-owner]`` and so on. Allowed cases check the exact JSON result and the rows that
changed; denied cases check the whole contract of a refusal: exit 4, one ``Error: ...`` line
on stderr, nothing on stdout, no data changed, and exactly one new audit event, ``denied``, for
that actor and action.
"""

from __future__ import annotations

import pytest

from tests.fixtures.permissions import (
    as_staff,
    assert_denied,
    data_of,
    expire_custodian_scope,
    ids_of,
    share,
    snapshot,
)

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


# Supervision is set up by those who administer staff (SPEC section 9).
STAFF_SUPERVISE = [("owner", 0), ("manager", 0), ("custodian", 4), ("provider_a", 4),
                   ("provider_c", 4), ("scheduler", 4), ("biller", 4)]


@pytest.mark.parametrize(("actor_key", "code"), STAFF_SUPERVISE,
                         ids=[a for a, _ in STAFF_SUPERVISE])
def test_staff_supervise(cli, cast, open_session, actor_key, code):
    actor = getattr(cast, actor_key)
    before = snapshot(open_session)
    ids = ids_of(before)
    # The would-be supervisor setting up their own supervision is the interesting refusal.
    run = cli("staff", "supervise", cast.provider_a, "--by", cast.provider_c, "--cosign",
              "-o", "json", actor=actor)
    after = snapshot(open_session)
    if code == 4:
        assert_denied(run, before, after, ids[actor], "staff.supervise")
        return
    assert run.exit_code == 0, run.output
    assert [v[1:4] for v in after["supervisions"]] == [
        (ids[cast.provider_a], ids[cast.provider_c], True)]
    assert data_of(after) == data_of(before) | {"supervisions": after["supervisions"]}


# Emergency access: the roles with some clinical access of their own (the table's chart-notes
# row); managers, schedulers and billers read no chart, so they open none.
EMERGENCY = [("owner", 0), ("custodian", 0), ("scoped_custodian", 0), ("provider_b", 0),
             ("provider_c", 0), ("manager", 4), ("scheduler", 4), ("biller", 4)]


@pytest.mark.parametrize(("actor_key", "code"), EMERGENCY, ids=[a for a, _ in EMERGENCY])
def test_client_access_emergency(cli, cast, open_session, actor_key, code):
    actor = getattr(cast, actor_key)
    before = snapshot(open_session)
    ids = ids_of(before)
    run = cli("client", "access", cast.client, "--emergency", "--reason", "crisis", "-o",
              "json", actor=actor)
    after = snapshot(open_session)
    if code == 4:
        assert_denied(run, before, after, ids[actor], "client.emergency")
        return
    assert run.exit_code == 0, run.output
    assert [e[1:] for e in after["emergency_accesses"]] == [(ids[actor], cast.client_id)]
    assert data_of(after) == data_of(before) | {"emergency_accesses":
                                                after["emergency_accesses"]}
    assert [e[1:3] for e in after["audit"][len(before["audit"]):]] == [
        ("client.emergency", "ok")]


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


# Restricted clients (SPEC section 9): the owner restricts, and a records custodian whose
# scope covers the client; nobody else, the client's own provider included.
CLIENT_RESTRICT = [("owner", 0), ("custodian", 0), ("scoped_custodian", 4), ("manager", 4),
                   ("provider_a", 4), ("provider_b", 4), ("scheduler", 4), ("biller", 4)]


@pytest.mark.parametrize(("actor_key", "code"), CLIENT_RESTRICT,
                         ids=[a for a, _ in CLIENT_RESTRICT])
def test_client_restrict(cli, cast, open_session, actor_key, code):
    actor = getattr(cast, actor_key)
    before = snapshot(open_session)
    ids = ids_of(before)
    run = cli("client", "restrict", cast.client, "-o", "json", actor=actor)
    after = snapshot(open_session)
    if code == 4:
        assert_denied(run, before, after, ids[actor], "client.restrict")
        return
    assert run.exit_code == 0, run.output
    assert run.json() == {"client_id": cast.client_id, "restricted": True, "changed": True}
    assert [c[7] for c in after["clients"] if c[0] == cast.client_id] == [True]


# A restricted client's profile and non-clinical documents: their care team only (the
# owner, the provider who has them, a custodian in scope); the roles that see every other
# client's profile find no such client (exit 3, as for one that does not exist).
RESTRICTED_PROFILE = [("owner", 0), ("provider_a", 0), ("custodian", 0),
                      ("scoped_custodian", 3), ("manager", 3), ("scheduler", 3),
                      ("biller", 3), ("provider_b", 3), ("provider_c", 3)]


@pytest.mark.parametrize(("actor_key", "code"), RESTRICTED_PROFILE,
                         ids=[a for a, _ in RESTRICTED_PROFILE])
def test_a_restricted_clients_profile_is_the_care_teams(cli, cast, open_session, actor_key,
                                                        code):
    assert cli("client", "restrict", cast.client).exit_code == 0
    actor = getattr(cast, actor_key)
    before = snapshot(open_session)
    for command in (("client", "show"), ("doc", "list"), ("client", "sharing")):
        run = cli(*command, cast.client, "-o", "json", actor=actor)
        assert run.exit_code == code, (command, run.output)
        if code == 3:
            assert run.stderr == "Error: no client matches 'Maya Chen'\n"
    assert data_of(snapshot(open_session)) == data_of(before)


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


def test_who_a_restriction_hides_is_the_care_team_rule_for_every_client(cli, cast,
                                                                         open_session):
    """``access.hidden_clients`` (every restricted client at once, what each command leaves
    out) and ``access.care_team_grant`` (one client, what the profile rule asks) agree for
    every role, with a client in two lists and a custodian scope that covers one of them."""
    from sqlalchemy import select

    from clinicctl import access
    from clinicctl.models import Client
    from clinicctl.people.refs import resolve_staff

    share(open_session, cast.owner, cast.own_client, cast.provider_own, cast.provider_c)
    for client in (cast.client, cast.own_client):
        assert cli("client", "restrict", client).exit_code == 0
    seen: dict[str, int] = {}
    with open_session(write=False) as s:
        clients = list(s.scalars(select(Client)))
        for key in ("owner", "manager", "provider_a", "provider_b", "provider_c",
                    "provider_own", "custodian", "scoped_custodian", "scheduler", "biller"):
            actor = resolve_staff(s, getattr(cast, key))
            outside = {c.id for c in clients
                       if c.restricted and access.care_team_grant(s, actor, c.id) is None}
            assert access.hidden_clients(s, actor) == outside, key
            seen[key] = len(clients) - len(outside)
    # The owner and Rae see both; Sam, Kim, Lee and Ivy (Lee's custodian) one; the rest none.
    assert seen == {"owner": 2, "custodian": 2, "provider_a": 1, "provider_own": 1,
                    "provider_c": 1, "scoped_custodian": 1, "manager": 0, "provider_b": 0,
                    "scheduler": 0, "biller": 0}
