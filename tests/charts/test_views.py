"""Privacy is the product: who then sees what.

A provider never sees another provider's chart notes or clinical documents except through an
active chart share from that provider (SPEC sections 1, 4 and 5). These tests take the sharing
paths, then look at the client through each viewer's eyes with the read commands: ``client
show``, ``note list``, ``note show``, ``doc list`` and ``doc get``. (Who may share is in
``test_sharing.py``.)
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import pytest

from tests.fixtures.cast import PRACTICE_TZ
from tests.fixtures.permissions import (
    as_staff,
    data_of,
    expire_custodian_scope,
    ids_of,
    new_events,
    share,
    snapshot,
)

NOTE_BODIES = {"progress": "A's progress note", "private": "A's private note"}
_outputs = itertools.count()


@dataclass
class Expected:
    """One viewer's view of one client. ``notes`` / ``docs`` map every note and document id
    of the client to whether this viewer may read it."""

    profile: bool  # client show, and the non-clinical documents
    chart: bool  # may list the chart at all (note list exits 0 rather than 4)
    notes: dict[int, bool] = field(default_factory=dict)
    docs: dict[int, bool] = field(default_factory=dict)


@dataclass(frozen=True)
class View:
    """A viewer's access to provider A's records in the cast."""

    profile: bool
    chart: bool
    notes: tuple[str, ...] = ()  # which of A's notes: "progress", "private"
    clinical: bool = False  # A's clinical document

    def expected(self, cast) -> Expected:
        return Expected(
            self.profile, self.chart,
            notes={cast.progress_note_id: "progress" in self.notes,
                   cast.private_note_id: "private" in self.notes},
            docs={cast.clinical_doc_id: self.clinical, cast.plain_doc_id: self.profile})


NOTHING = View(profile=False, chart=False)
DEMOGRAPHICS_ONLY = View(profile=True, chart=True)
PROFILE_ONLY = View(profile=True, chart=False)
CHART = View(profile=True, chart=True, notes=("progress",), clinical=True)
CHART_WITH_PRIVATE = View(profile=True, chart=True, notes=("progress", "private"),
                          clinical=True)


def assert_view(cli, open_session, tmp_path, actor: str, client: str,
                want: Expected, *, denied_action: str | None = None) -> None:
    """Run every read command as ``actor`` and compare with ``want``. Refusals exit 4 with
    one error line that leaks no note text; reads change no data; each refusal adds one
    ``denied`` audit event (``denied_action`` when every refusal has the same action)."""
    before = snapshot(open_session)
    refused: list[str] = []

    def check(run, allowed: bool, action: str) -> None:
        if allowed:
            assert run.exit_code == 0, run.output
            return
        assert run.exit_code == 4, run.output
        assert run.stdout == ""
        assert run.stderr.startswith("Error: ") and run.stderr.count("\n") == 1, run.stderr
        assert not any(body in run.stderr for body in NOTE_BODIES.values())
        refused.append(denied_action or action)

    shown = cli("client", "show", client, "-o", "json", actor=actor)
    check(shown, want.profile, "client.show")

    listed = cli("note", "list", client, "-o", "json", actor=actor)
    check(listed, want.chart, "note.list")
    if want.chart:
        assert [n["id"] for n in listed.json()] == sorted(i for i, ok in want.notes.items()
                                                           if ok)
    for note_id, readable in want.notes.items():
        note = cli("note", "show", str(note_id), "-o", "json", actor=actor)
        check(note, readable, "note.read")
        if readable:
            assert note.json()["id"] == note_id

    docs = cli("doc", "list", client, "-o", "json", actor=actor)
    check(docs, want.profile, "doc.list")
    if want.profile:
        assert [d["id"] for d in docs.json()] == sorted(i for i, ok in want.docs.items() if ok)
    for doc_id, readable in want.docs.items():
        out = tmp_path / f"doc-{next(_outputs)}.bin"
        got = cli("doc", "get", str(doc_id), "--output", str(out), actor=actor)
        check(got, readable, "doc.read")
        assert out.exists() is readable

    after = snapshot(open_session)
    assert data_of(after) == data_of(before), "reading changed data"
    actor_id = ids_of(before)[actor]
    denied = [e[:2] for e in new_events(before, after) if e[2] == "denied"]
    assert denied == [(actor_id, action) for action in refused]


def cli_ok(cli, *args: str, actor: str) -> None:
    run = cli(*args, actor=actor)
    assert run.exit_code == 0, run.output


# The sharing commands run as provider A (sharing from themselves), each step in turn.
SHARE = ["share"]
SHARE_CHART = ["share", "--chart"]
SHARE_PRIVATE = ["share", "--chart", "--private-notes"]
UNSHARE = ["unshare"]
UNSHARE_REMOVE = ["unshare", "--remove"]
B_PATHS = [
    pytest.param([], NOTHING, id="no-share"),
    pytest.param([SHARE], DEMOGRAPHICS_ONLY, id="demographics-only"),
    pytest.param([SHARE_CHART], CHART, id="chart"),
    pytest.param([SHARE_PRIVATE], CHART_WITH_PRIVATE, id="chart-private-notes"),
    pytest.param([SHARE_CHART, UNSHARE], DEMOGRAPHICS_ONLY, id="chart-then-unshare"),
    pytest.param([SHARE_PRIVATE, UNSHARE], DEMOGRAPHICS_ONLY,
                 id="chart-private-notes-then-unshare"),
    pytest.param([SHARE_CHART, UNSHARE_REMOVE], NOTHING, id="chart-then-unshare-remove"),
    # "A demographics-only share never ends an active chart share; use unshare for that."
    pytest.param([SHARE_PRIVATE, SHARE], CHART_WITH_PRIVATE,
                 id="chart-private-notes-then-demographics-share"),
    # Sharing the chart again without a private-notes choice keeps the grant as it is;
    # narrowing it needs --no-private-notes, widening --private-notes.
    pytest.param([SHARE_PRIVATE, SHARE_CHART], CHART_WITH_PRIVATE,
                 id="chart-private-notes-then-chart"),
    pytest.param([SHARE_PRIVATE, SHARE_CHART + ["--no-private-notes"]], CHART,
                 id="chart-private-notes-then-narrowed"),
    pytest.param([SHARE_CHART, SHARE_PRIVATE], CHART_WITH_PRIVATE,
                 id="chart-then-widened-to-private-notes"),
    pytest.param([SHARE_CHART + ["--dry-run"]], NOTHING, id="chart-dry-run"),
]


@pytest.mark.parametrize(("steps", "view"), B_PATHS)
def test_provider_b_sees_after_path(cli, cast, open_session, tmp_path, steps, view):
    for verb, *flags in steps:
        cli_ok(cli, "client", verb, cast.client, "--from", cast.provider_a, "--to",
               cast.provider_b, *flags, actor=cast.provider_a)
    assert_view(cli, open_session, tmp_path, cast.provider_b, cast.client, view.expected(cast))


# With an active A -> B chart share that includes private notes, nobody else gains anything.
ROLE_VIEWS = [
    pytest.param("owner", CHART, id="owner-all-but-private"),
    pytest.param("manager", PROFILE_ONLY, id="manager"),
    pytest.param("scheduler", PROFILE_ONLY, id="scheduler"),
    pytest.param("biller", PROFILE_ONLY, id="biller"),
    pytest.param("custodian", CHART, id="custodian-all-providers"),
    pytest.param("scoped_custodian", NOTHING, id="custodian-scoped-out-of-scope"),
    pytest.param("provider_c", NOTHING, id="provider-not-assigned"),
    pytest.param("provider_own", NOTHING, id="provider-other-client"),
    pytest.param("provider_a", CHART_WITH_PRIVATE, id="provider-author"),
]


@pytest.mark.parametrize(("viewer", "view"), ROLE_VIEWS)
def test_role_sees(cli, cast, open_session, tmp_path, viewer, view):
    share(open_session, cast.provider_a, cast.client, cast.provider_a, cast.provider_b,
          chart=True, private_notes=True)
    assert_view(cli, open_session, tmp_path, getattr(cast, viewer), cast.client,
                view.expected(cast))


def test_demographics_only_notes_are_neither_listed_nor_counted(cli, cast, open_session):
    cli_ok(cli, "client", "share", cast.client, "--from", cast.provider_a, "--to",
           cast.provider_b, actor=cast.provider_a)
    b = ids_of(snapshot(open_session))[cast.provider_b]

    shown = cli("client", "show", cast.client, "-o", "json", actor=cast.provider_b)
    assert shown.exit_code == 0, shown.output
    assert [p["provider_id"] for p in shown.json()["providers"]] == [
        ids_of(snapshot(open_session))[cast.provider_a], b]

    as_csv = cli("note", "list", cast.client, "-o", "csv", actor=cast.provider_b)
    assert as_csv.exit_code == 0, as_csv.output
    # The header row and nothing else (the runner's stdout normalises CRLF).
    assert as_csv.stdout.splitlines() == [
        "id,client_id,author_id,kind,date,addendum_to,body,author,appointment_id,"
        "cosign_status,cosigned_by_id,cosigned_by,cosigned_at"]
    assert as_csv.stderr == f"No chart notes of {cast.client} that you may read.\n"
    table = cli("note", "list", cast.client, actor=cast.provider_b)
    assert table.exit_code == 0, table.output
    assert not any(body in table.output for body in NOTE_BODIES.values())

    from sqlalchemy import select

    from clinicctl.models import AuditEvent

    with open_session(write=False) as s:
        reads = s.scalars(select(AuditEvent).where(AuditEvent.actor_id == b,
                                                   AuditEvent.action == "note.list")).all()
        assert [(e.outcome, e.details) for e in reads] == [("ok", '{"note_ids":[]}')] * 2


def test_chart_share_shows_exact_records_and_audits_each_read(cli, cast, open_session,
                                                             tmp_path):
    cli_ok(cli, "client", "share", cast.client, "--from", cast.provider_a, "--to",
           cast.provider_b, "--chart", actor=cast.provider_a)
    ids = ids_of(snapshot(open_session))
    today = dt.datetime.now(ZoneInfo(PRACTICE_TZ)).date().isoformat()

    notes = cli("note", "list", cast.client, "-o", "json", actor=cast.provider_b)
    assert notes.exit_code == 0, notes.output
    assert notes.json() == [{"id": cast.progress_note_id, "client_id": cast.client_id,
                             "author_id": ids[cast.provider_a], "kind": "progress",
                             "date": today, "addendum_to": None,
                             "body": "A's progress note", "author": "Sam Okafor",
                             "appointment_id": None, "cosign_status": None,
                             "cosigned_by_id": None, "cosigned_by": None,
                             "cosigned_at": None}]
    docs = cli("doc", "list", cast.client, "-o", "json", actor=cast.provider_b)
    assert docs.exit_code == 0, docs.output
    assert docs.json() == [
        {"id": cast.clinical_doc_id, "client_id": cast.client_id, "title": "Assessment",
         "clinical": True, "size": len(b"clinical"),
         "sha256": hashlib.sha256(b"clinical").hexdigest()},
        {"id": cast.plain_doc_id, "client_id": cast.client_id, "title": "Consent",
         "clinical": False, "size": len(b"consent"),
         "sha256": hashlib.sha256(b"consent").hexdigest()},
    ]

    before = snapshot(open_session)
    shown = cli("note", "show", str(cast.progress_note_id), "-o", "json",
                actor=cast.provider_b)
    assert shown.exit_code == 0, shown.output
    assert shown.json()["body"] == "A's progress note"
    out = tmp_path / "assessment.bin"
    got = cli("doc", "get", str(cast.clinical_doc_id), "--output", str(out),
              actor=cast.provider_b)
    assert got.exit_code == 0, got.output
    assert out.read_bytes() == b"clinical"
    assert out.stat().st_mode & 0o777 == 0o600
    b = ids[cast.provider_b]
    assert new_events(before, snapshot(open_session)) == [
        (b, "note.read", "ok", cast.client_id), (b, "doc.read", "ok", cast.client_id)]


def _add_records(open_session, provider: str, client: str, tag: str) -> dict[str, int]:
    """A progress note, a private note and a clinical document by ``provider``."""
    from clinicctl.charts import records

    def write(s, me):
        return {
            "progress": records.add_note(s, me, client, body=f"{tag} progress").id,
            "private": records.add_note(s, me, client, body=f"{tag} private",
                                        kind="private").id,
            "clinical": records.add_document(s, me, client, title=f"{tag} scan",
                                             content=tag.encode(), clinical=True).id,
        }

    return as_staff(open_session, provider, write)


def test_chart_shares_are_one_way(cli, cast, open_session, tmp_path):
    """A -> B lets B read A's chart; it gives A nothing of B's. The owner reads both
    providers' non-private records."""
    cli_ok(cli, "client", "share", cast.client, "--from", cast.provider_a, "--to",
           cast.provider_b, "--chart", actor=cast.provider_a)
    b = _add_records(open_session, cast.provider_b, cast.client, "B's")
    a_notes = {cast.progress_note_id: True, cast.private_note_id: True}

    assert_view(cli, open_session, tmp_path, cast.provider_a, cast.client, Expected(
        True, True,
        notes={**a_notes, b["progress"]: False, b["private"]: False},
        docs={cast.clinical_doc_id: True, cast.plain_doc_id: True, b["clinical"]: False}))
    assert_view(cli, open_session, tmp_path, cast.provider_b, cast.client, Expected(
        True, True,
        notes={cast.progress_note_id: True, cast.private_note_id: False,
               b["progress"]: True, b["private"]: True},
        docs={cast.clinical_doc_id: True, cast.plain_doc_id: True, b["clinical"]: True}))
    assert_view(cli, open_session, tmp_path, cast.owner, cast.client, Expected(
        True, True,
        notes={cast.progress_note_id: True, cast.private_note_id: False,
               b["progress"]: True, b["private"]: False},
        docs={cast.clinical_doc_id: True, cast.plain_doc_id: True, b["clinical"]: True}))


def test_chart_shares_are_not_transitive(cli, cast, open_session, tmp_path):
    """A -> B (with private notes) and B -> C: C reads B's chart, never A's through B."""
    cli_ok(cli, "client", "share", cast.client, "--from", cast.provider_a, "--to",
           cast.provider_b, "--chart", "--private-notes", actor=cast.provider_a)
    cli_ok(cli, "client", "share", cast.client, "--from", cast.provider_b, "--to",
           cast.provider_c, "--chart", "--private-notes", actor=cast.provider_b)
    b = _add_records(open_session, cast.provider_b, cast.client, "B's")
    assert_view(cli, open_session, tmp_path, cast.provider_c, cast.client, Expected(
        True, True,
        notes={cast.progress_note_id: False, cast.private_note_id: False,
               b["progress"]: True, b["private"]: True},
        docs={cast.clinical_doc_id: False, cast.plain_doc_id: True, b["clinical"]: True}))


def test_unshare_remove_ends_every_chart_share_into_that_list(cli, cast, open_session,
                                                            tmp_path):
    """Taking the client off B's list leaves B nothing, even from a third provider's share."""
    cli_ok(cli, "client", "share", cast.client, "--from", cast.provider_a, "--to",
           cast.provider_c, actor=cast.provider_a)
    c = _add_records(open_session, cast.provider_c, cast.client, "C's")
    for source in (cast.provider_a, cast.provider_c):
        cli_ok(cli, "client", "share", cast.client, "--from", source, "--to", cast.provider_b,
               "--chart", actor=source)
    cli_ok(cli, "client", "unshare", cast.client, "--from", cast.provider_a, "--to",
           cast.provider_b, "--remove", actor=cast.provider_a)
    assert [s for s in snapshot(open_session)["chart_shares"] if s[5]] == []
    want = NOTHING.expected(cast)
    want.notes.update({c["progress"]: False, c["private"]: False})
    want.docs[c["clinical"]] = False
    assert_view(cli, open_session, tmp_path, cast.provider_b, cast.client, want)


def _client_with_c(cli, cast, open_session) -> dict[str, int]:
    """Maya Chen also in provider C's list, with C's own records."""
    cli_ok(cli, "client", "share", cast.client, "--from", cast.provider_a, "--to",
           cast.provider_c, actor=cast.provider_a)
    return _add_records(open_session, cast.provider_c, cast.client, "C's")


def test_scoped_custodian_in_scope_reads_only_non_private_records_of_providers_in_scope(
        cli, cast, open_session, tmp_path):
    """The scope names providers: C is in scope, A is not, although both have the client."""
    c = _client_with_c(cli, cast, open_session)
    assert_view(cli, open_session, tmp_path, cast.scoped_custodian, cast.client, Expected(
        True, True,
        notes={cast.progress_note_id: False, cast.private_note_id: False,
               c["progress"]: True, c["private"]: False},
        docs={cast.clinical_doc_id: False, cast.plain_doc_id: True, c["clinical"]: True}))


EXPIRY_CASES = [
    # (custodian, scope providers (none: all), expiry, sees)
    pytest.param("scoped_custodian", ["provider_c"], "today", True,
                 id="scoped-expires-today-still-holds"),
    pytest.param("scoped_custodian", ["provider_c"], "yesterday", False, id="scoped-expired"),
    pytest.param("custodian", [], "today", True, id="all-providers-expires-today-still-holds"),
    pytest.param("custodian", [], "yesterday", False, id="all-providers-expired"),
]


@pytest.mark.parametrize(("custodian", "providers", "expiry", "sees"), EXPIRY_CASES)
def test_custodian_scope_expiry(cli, cast, open_session, tmp_path, custodian, providers,
                                expiry, sees):
    from clinicctl import days
    from clinicctl.people import staff

    c = _client_with_c(cli, cast, open_session)
    who, scope = getattr(cast, custodian), [getattr(cast, p) for p in providers]
    if expiry == "today":
        as_staff(open_session, cast.owner, lambda s, me: staff.set_custodian_scope(
            s, me, who, provider_refs=scope, all_providers=not scope,
            expires_on=days.practice_today(s)))
    else:
        expire_custodian_scope(open_session, cast.owner, who, scope)
    a_visible = sees and not scope  # A is only ever in the all-providers scope
    assert_view(cli, open_session, tmp_path, who, cast.client, Expected(
        sees, sees,
        notes={cast.progress_note_id: a_visible, cast.private_note_id: False,
               c["progress"]: sees, c["private"]: False},
        docs={cast.clinical_doc_id: a_visible, cast.plain_doc_id: sees,
              c["clinical"]: sees}))


def test_deactivated_provider_is_refused_everything(cli, cast, open_session, tmp_path):
    cli_ok(cli, "client", "share", cast.client, "--from", cast.provider_a, "--to",
           cast.provider_b, "--chart", "--private-notes", actor=cast.provider_a)
    cli_ok(cli, "staff", "deactivate", cast.provider_b, actor=cast.manager)

    run = cli("note", "list", cast.client, actor=cast.provider_b)
    assert run.exit_code == 4, run.output
    assert run.stderr == f"Error: {cast.provider_b} is deactivated\n"
    assert_view(cli, open_session, tmp_path, cast.provider_b, cast.client,
                NOTHING.expected(cast), denied_action="actor.check")


def test_deactivated_provider_is_refused_by_the_services_too(cast, open_session):
    """The CLI refuses a deactivated actor up front; the services refuse on their own, so a
    batch or demo entry point cannot bypass it."""
    from clinicctl import access
    from clinicctl.charts import records
    from clinicctl.errors import Denied
    from clinicctl.people import staff
    from clinicctl.people.refs import resolve_staff

    share(open_session, cast.provider_a, cast.client, cast.provider_a, cast.provider_b,
          chart=True)
    as_staff(open_session, cast.owner, lambda s, me: staff.deactivate(s, me, cast.provider_b))
    with open_session(write=False) as s:
        b = resolve_staff(s, cast.provider_b)
        assert access.chart_access(s, b, cast.client_id).authors == {}
    for read in (lambda s, me: records.list_notes(s, me, cast.client),
                 lambda s, me: records.show_note(s, me, cast.progress_note_id),
                 lambda s, me: records.get_document(s, me, cast.clinical_doc_id),
                 lambda s, me: records.list_documents(s, me, cast.client)):
        before = snapshot(open_session)
        with pytest.raises(Denied):
            as_staff(open_session, cast.provider_b, read)
        denied = new_events(before, snapshot(open_session))
        assert [(e[0], e[2]) for e in denied] == [(ids_of(before)[cast.provider_b], "denied")]


@pytest.mark.parametrize("command", [("note", "show"), ("doc", "get")])
def test_a_missing_record_is_answered_like_an_unreadable_one(cli, cast, tmp_path, command):
    """Record ids cannot be probed: `note show` / `doc get` of an id that does not exist and
    of one the actor may not read give the same refusal (exit 4)."""
    hidden = cast.private_note_id if command[0] == "note" else cast.clinical_doc_id
    extra = ("--output", str(tmp_path / "out.bin")) if command[0] == "doc" else ()
    unreadable = cli(*command, str(hidden), *extra, actor=cast.provider_b)
    missing = cli(*command, "99999", *extra, actor=cast.provider_b)
    assert (unreadable.exit_code, missing.exit_code) == (4, 4), (unreadable.output,
                                                                 missing.output)
    assert unreadable.stderr == missing.stderr
    assert unreadable.stderr.startswith(f"Error: {command[0]}.read: no access to this ")
    assert not (tmp_path / "out.bin").exists()
