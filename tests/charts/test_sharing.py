"""Who may share a client, and what each sharing command writes: every path (share, chart
share, with private notes, unshare, unshare --remove) for every role; a provider who owns
their records alone shares their chart; nobody starts a chart share to themselves; losing the
right to a chart share ends it for good."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from clinicctl.models import ChartShare
from tests.fixtures.permissions import (
    assert_denied,
    expire_custodian_scope,
    ids_of,
    new_events,
    share,
    snapshot,
)

VARIANTS = {
    "share": (["client", "share"], []),
    "share-chart": (["client", "share"], ["--chart"]),
    "share-chart-private": (["client", "share"], ["--chart", "--private-notes"]),
    "unshare": (["client", "unshare"], []),
    "unshare-remove": (["client", "unshare"], ["--remove"]),
}


# (actor, from-provider, setup, allowed); the to-provider is always provider B.
# Setup "c-assigned": the client is also in provider C's list, and C is the scoped
# custodian's only provider; "expired": the all-providers custodian's grant has run out.
SHARERS = [
    pytest.param("owner", "provider_a", None, True, id="owner"),
    pytest.param("manager", "provider_a", None, True, id="manager"),
    pytest.param("custodian", "provider_a", None, True, id="custodian-all-providers"),
    pytest.param("scoped_custodian", "provider_c", "c-assigned", True,
                 id="custodian-scoped-in-scope"),
    pytest.param("scoped_custodian", "provider_a", None, False,
                 id="custodian-scoped-out-of-scope"),
    pytest.param("custodian", "provider_a", "expired", False, id="custodian-expired"),
    pytest.param("provider_a", "provider_a", None, True, id="provider-from-self-assigned"),
    pytest.param("provider_b", "provider_a", None, False, id="provider-from-someone-else"),
    pytest.param("provider_c", "provider_c", None, False, id="provider-from-self-not-assigned"),
    pytest.param("scheduler", "provider_a", None, False, id="scheduler"),
    pytest.param("biller", "provider_a", None, False, id="biller"),
]


# What an allowed command reports (assignment, chart_share) and the audit events it writes.
SHARE_RESULTS = {
    "share": ("created", "none"),
    "share-chart": ("created", "started"),
    "share-chart-private": ("created", "started"),
    "unshare": ("existing", "ended"),
    "unshare-remove": ("removed", "ended"),
}
SHARE_EVENTS = {
    "share": ["assignment.create", "client.share"],
    "share-chart": ["assignment.create", "chart_share.start", "client.share"],
    "share-chart-private": ["assignment.create", "chart_share.start", "client.share"],
    "unshare": ["chart_share.end", "client.unshare"],
    "unshare-remove": ["assignment.remove", "chart_share.end", "client.unshare"],
}


@pytest.mark.parametrize(("actor_key", "from_key", "setup", "allowed"), SHARERS)
@pytest.mark.parametrize("variant", list(VARIANTS))
def test_share_paths(cli, cast, open_session, variant, actor_key, from_key, setup, allowed):
    actor, source, target = (getattr(cast, k) for k in (actor_key, from_key, "provider_b"))
    if setup == "c-assigned":
        share(open_session, cast.owner, cast.client, cast.provider_a, cast.provider_c)
    if setup == "expired":
        expire_custodian_scope(open_session, cast.owner, cast.custodian, [])
    source_has_client = source == cast.provider_a or setup == "c-assigned"
    if variant.startswith("unshare") and source_has_client:
        # Something to end: an active chart share from the source to B.
        share(open_session, cast.owner, cast.client, source, target, chart=True)
    before = snapshot(open_session)
    ids = ids_of(before)
    command, flags = VARIANTS[variant]

    run = cli(*command, cast.client, "--from", source, "--to", target, *flags, "-o", "json",
              actor=actor)

    after = snapshot(open_session)
    if not allowed:
        assert_denied(run, before, after, ids[actor], f"client.{command[1]}")
        return
    assert run.exit_code == 0, run.output
    cid, from_id, to_id = cast.client_id, ids[source], ids[target]
    assignment, chart_share = SHARE_RESULTS[variant]
    assert run.json() == {"client_id": cid, "from_id": from_id, "to_id": to_id,
                          "assignment": assignment, "chart_share": chart_share,
                          "changed": True}
    b_assignment = (cid, to_id, "new", "", "share")
    active_to_b = [c for c in after["chart_shares"]
                   if c[1:4] == (cid, from_id, to_id) and c[5]]
    if variant.startswith("share"):
        assert after["assignments"] == sorted([*before["assignments"], b_assignment])
        if variant == "share":
            assert after["chart_shares"] == before["chart_shares"] == []
        else:
            assert [c[4] for c in active_to_b] == [variant == "share-chart-private"]
    else:
        assert active_to_b == []
        assert b_assignment in before["assignments"]
        assert (b_assignment in after["assignments"]) is (variant == "unshare")
    events = new_events(before, after)
    assert {(e[0], e[2]) for e in events} == {(ids[actor], "ok")}
    assert sorted(e[1] for e in events) == SHARE_EVENTS[variant]


def test_repeating_a_share_is_a_no_op(cli, cast, open_session):
    args = ("client", "share", cast.client, "--from", cast.provider_a, "--to",
            cast.provider_b, "--chart", "-o", "json")
    assert cli(*args).exit_code == 0
    before = snapshot(open_session)
    again = cli(*args)
    assert again.exit_code == 0, again.output
    assert (again.json()["assignment"], again.json()["chart_share"], again.json()["changed"]
            ) == ("existing", "active", False)
    assert snapshot(open_session) == before


RECORDS_OWNER_CASES = [
    # (actor, variant, allowed): demographics-only follows the table; --chart is theirs alone
    ("owner", "share", True),
    ("owner", "share-chart", False),
    ("owner", "share-chart-private", False),
    ("manager", "share", True),
    ("manager", "share-chart", False),
    ("manager", "share-chart-private", False),
    ("custodian", "share", True),
    ("custodian", "share-chart", False),
    ("provider_own", "share", True),
    ("provider_own", "share-chart", True),
    ("provider_own", "share-chart-private", True),
]


@pytest.mark.parametrize(("actor_key", "variant", "allowed"), RECORDS_OWNER_CASES,
                         ids=[f"{v}-{a}" for a, v, _ in RECORDS_OWNER_CASES])
def test_records_owner_provider_chart_shares(cli, cast, open_session, actor_key, variant,
                                             allowed):
    actor = getattr(cast, actor_key)
    before = snapshot(open_session)
    run = cli("client", "share", cast.own_client, "--from", cast.provider_own, "--to",
              cast.provider_b, *VARIANTS[variant][1], "-o", "json", actor=actor)
    after = snapshot(open_session)
    if not allowed:
        assert_denied(run, before, after, ids_of(before)[actor], "client.share")
        assert run.stderr == ("Error: client.share: Kim Novak owns their records; only they "
                              "may share their chart\n")
        return
    assert run.exit_code == 0, run.output
    assert (run.json()["assignment"], run.json()["chart_share"]) == SHARE_RESULTS[variant]


@pytest.mark.parametrize("actor_key", ["owner", "manager", "provider_own"])
def test_records_owner_provider_chart_share_can_be_ended(cli, cast, open_session, actor_key):
    """Ending a chart share only narrows access: the table's sharers may do it even when the
    provider owns their records (only starting one is reserved to that provider)."""
    share(open_session, cast.provider_own, cast.own_client, cast.provider_own, cast.provider_b,
          chart=True)
    run = cli("client", "unshare", cast.own_client, "--from", cast.provider_own, "--to",
              cast.provider_b, "-o", "json", actor=getattr(cast, actor_key))
    assert run.exit_code == 0, run.output
    assert (run.json()["assignment"], run.json()["chart_share"]) == ("existing", "ended")


@pytest.mark.parametrize("role_email", ["morgan@riverside.example", "dana@riverside.example",
                                        "rae@riverside.example"])
def test_nobody_starts_a_chart_share_to_themselves(cli, cast, open_session, role_email):
    added = cli("staff", "roles", role_email, "--add", "provider")
    assert added.exit_code == 0, added.output
    result = cli("client", "share", cast.client, "--from", cast.provider_a, "--to", role_email,
                 "--chart", "--private-notes", actor=role_email)
    assert result.exit_code == 4, result.output
    assert "you cannot start a chart share to yourself" in result.stderr
    with open_session(write=False) as s:
        assert s.scalars(select(ChartShare)).all() == []
    notes = cli("note", "show", str(cast.private_note_id), actor=role_email)
    assert notes.exit_code == 4, notes.output
    # A colleague may still share the chart with them, and the from-provider may too.
    granted = cli("client", "share", cast.client, "--from", cast.provider_a, "--to", role_email,
                  "--chart", actor=cast.provider_a)
    assert granted.exit_code == 0, granted.output


@pytest.mark.parametrize("how", ["deactivate", "remove-provider-role", "import-inactive"])
def test_losing_the_right_to_a_chart_share_ends_it_for_good(cli, cast, open_session, tmp_path,
                                                           how):
    """Deactivation and losing the provider role end every chart share from and to them
    (audited with the reason); coming back restores nothing."""
    import json as json_

    from sqlalchemy import select

    from clinicctl.models import AuditEvent, ChartShare

    assert cli("client", "share", cast.client, "--from", cast.provider_a, "--to",
               cast.provider_b, "--chart", "--private-notes").exit_code == 0
    assert cli("note", "show", str(cast.private_note_id), actor=cast.provider_b).exit_code == 0
    if how == "deactivate":
        gone = cli("staff", "deactivate", cast.provider_b)
        back = cli("staff", "roles", cast.provider_b, "--add", "scheduler")  # still inactive
        (tmp_path / "staff.csv").write_text(f"email,active\n{cast.provider_b},true\n")
        back = cli("import", "staff", str(tmp_path / "staff.csv"))
        reason = "deactivated"
    elif how == "remove-provider-role":
        assert cli("client", "status", cast.client, "--provider", cast.provider_b, "--set",
                   "discharged").exit_code == 0
        assert cli("staff", "roles", cast.provider_b, "--add", "scheduler").exit_code == 0
        gone = cli("staff", "roles", cast.provider_b, "--remove", "provider")
        back = cli("staff", "roles", cast.provider_b, "--add", "provider")
        reason = "provider role removed"
    else:
        (tmp_path / "off.csv").write_text(f"email,active\n{cast.provider_b},false\n")
        gone = cli("import", "staff", str(tmp_path / "off.csv"))
        (tmp_path / "on.csv").write_text(f"email,active\n{cast.provider_b},true\n")
        back = cli("import", "staff", str(tmp_path / "on.csv"))
        reason = "deactivated"
    assert gone.exit_code == 0, gone.output
    assert back.exit_code == 0, back.output
    assert "chart share" in gone.stderr and "Ana Ruiz" in gone.stderr  # said, not silent
    with open_session(write=False) as s:
        assert s.scalars(select(ChartShare).where(ChartShare.ended_at.is_(None))).all() == []
        ends = [json_.loads(e.details) for e in s.scalars(
            select(AuditEvent).where(AuditEvent.action == "chart_share.end"))]
    assert [e["reason"] for e in ends] == [reason]
    again = cli("note", "show", str(cast.private_note_id), actor=cast.provider_b)
    assert again.exit_code == 4, again.output
