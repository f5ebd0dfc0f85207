"""PostgreSQL: the database keeps the permission table for staff logins (SPEC section 8).

Every test here runs as real login roles, created with unique names through
`staff login --set LOGIN --create` and dropped afterwards. The differential matrix proves the
one rule has two enforcers that agree: what `note list` / `doc list` show a staff member
equals what raw SQL returns under the same login, for every role x note kind x sharing state.
The attacks go straight to the database as the login, as someone opening `psql` would.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.fixtures.backend import Backend
from tests.fixtures.cast import OWNER_EMAIL, populate_cast
from tests.fixtures.pg_logins import Logins, login_url, logins_for, refused, run_as, sql, staff_id
from tests.fixtures.practice_db import session_on

pytestmark = pytest.mark.skipif(
    "os.environ.get('CLINICCTL_TEST_DB', 'sqlite').strip() in ('', 'sqlite')",
    reason="database logins and row-level security are PostgreSQL's",
)


# --- the differential matrix ---------------------------------------------------------------

# The staff of the matrix, besides the standard cast (tests/fixtures/cast.py):
NIA = "nia@riverside.example"  # recipient of a chart share, then deactivated
PAT = "pat@riverside.example"  # recipient of a chart share, then loses the provider role
EVE = "eve@riverside.example"  # records custodian whose grant has expired
UMA = "uma@riverside.example"  # supervises Sam, co-signing his notes
VAL = "val@riverside.example"  # supervised Sam; it has ended
RAY = "ray@riverside.example"  # provider who opened emergency access to two clients
WES = "wes@riverside.example"  # supervises Sam; its last day has passed (never ended)
XAN = "xan@riverside.example"  # supervises Sam from a day still to come
YUL = "yul@riverside.example"  # supervises Sam; deactivated since

# Sharing states, each its own client in Sam's list with one note of every kind by Sam, a
# clinical and a non-clinical document.
STATES = ("none", "demographics", "chart", "chart_private", "ended", "to_deactivated",
          "to_former_provider", "two_providers", "merged", "group_session", "cosign_pending",
          "emergency", "emergency_expired", "restricted")
# "merged": Sam's client shares its chart with Ana, then a duplicate record of the same
# person in Lee's list, with Lee's notes and documents, is merged into it.
# "group_session": Sam's notes are tied to a group session of Sam's with this client and a
# partner whose chart Sam shares with Ana: Ana reads the partner's chart, never this one's.
# "cosign_pending": Sam's notes written while Uma supervises him with co-signature (they
# wait for her); every other state's were written before. "emergency": Ray opened emergency
# access to this client; "emergency_expired": he did, more than four hours ago.
# "restricted": the client is restricted to their care team (Sam, the owner, custodians in
# scope); nobody else finds them, so their chart and documents list nothing.


@dataclass
class Matrix:
    url: str
    logins: Logins
    viewers: dict[str, str]  # name -> email
    clients: dict[str, int]  # state -> client id
    notes: dict[tuple[str, str, str], int]  # (state, author key, kind) -> note id
    documents: dict[tuple[str, str, bool], int]  # (state, author key, clinical) -> id


def build_matrix(backend: Backend, logins: Logins, url: str) -> Matrix:
    import datetime as dt

    from sqlalchemy import text

    from clinicctl.charts import emergency, records, sharing, supervision
    from clinicctl.people import clients, merge, restriction, staff
    from clinicctl.people.refs import resolve_staff
    from clinicctl.scheduling import booking

    def opener():
        return session_on(url)

    cast = populate_cast(opener)
    ids: dict[str, int] = {}
    notes: dict[tuple[str, str, str], int] = {}
    documents: dict[tuple[str, str, bool], int] = {}
    with opener() as s:
        owner = resolve_staff(s, OWNER_EMAIL)
        staff.create_staff(s, name="Nia Brooks", email=NIA, roles=["provider"],
                           created_by=owner)
        staff.create_staff(s, name="Pat Moreno", email=PAT, roles=["provider", "scheduler"],
                           created_by=owner)
        staff.create_staff(s, name="Eve Hart", email=EVE, roles=["records-custodian"],
                           created_by=owner)
        for name, email in (("Uma Sol", UMA), ("Val Roy", VAL), ("Ray Fox", RAY),
                            ("Wes Lin", WES), ("Xan Ito", XAN), ("Yul Orr", YUL)):
            staff.create_staff(s, name=name, email=email, roles=["provider"],
                               created_by=owner)
        staff.set_custodian_scope(s, owner, EVE, provider_refs=[cast.provider_c],
                                  all_providers=False, expires_on=None)
        for state in STATES:
            first = f"State{state.replace('_', '').title()}"
            ids[state] = clients.add_client(s, owner, first_name=first, last_name="Case",
                                            dob="1988-02-03",
                                            provider_ref=cast.provider_a).client.id
        # Lee has the last client too, and writes on it (custodian Ivy covers Lee only).
        sharing.share(s, owner, f"#{ids['two_providers']}", cast.provider_a, cast.provider_c)
        partner = clients.add_client(s, owner, first_name="GroupPartner", last_name="Case",
                                     dob="1987-02-03", provider_ref=cast.provider_a).client.id
        sharing.share(s, owner, f"#{partner}", cast.provider_a, cast.provider_b, chart=True)
        yesterday = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
        group_session = booking.book(
            s, owner, client_ref=[f"#{ids['group_session']}", f"#{partner}"],
            provider_ref=cast.provider_a, at=f"{yesterday.isoformat()} 12:00",
            outside_availability=True, force=True).appointments[0].id
    authors = {"sam": cast.provider_a, "lee": cast.provider_c}

    def write(s: Any, state: str, key: str) -> None:
        author = resolve_staff(s, authors[key])
        tied = group_session if state == "group_session" else None
        for kind in ("progress", "intake", "private"):
            notes[(state, key, kind)] = records.add_note(
                s, author, f"#{ids[state]}", body=f"{key}'s {kind} note", kind=kind,
                appointment_id=tied).id
        for clinical in (True, False):
            documents[(state, key, clinical)] = records.add_document(
                s, author, f"#{ids[state]}", title=f"{key} {clinical}", content=b"x",
                clinical=clinical).id

    with opener() as s:
        for state in ids:
            if state == "cosign_pending":
                continue
            for key in ("sam", "lee") if state == "two_providers" else ("sam",):
                write(s, state, key)
    with opener() as s:
        owner = resolve_staff(s, OWNER_EMAIL)
        supervision.supervise(s, owner, cast.provider_a, UMA, cosign=True)
        supervision.supervise(s, owner, cast.provider_a, VAL)
        supervision.end_supervision(s, owner, cast.provider_a, VAL)
        supervision.supervise(s, owner, cast.provider_a, WES)
        supervision.supervise(s, owner, cast.provider_a, XAN,
                              starts_on=dt.date.today() + dt.timedelta(days=30))
        supervision.supervise(s, owner, cast.provider_a, YUL)
        # supervise refuses a period already over: age it here.
        s.execute(text("UPDATE supervision SET starts_on = current_date - 30, "
                       "ends_on = current_date - 2 WHERE supervisor_id = "
                       "(SELECT id FROM staff WHERE email = :e)"), {"e": WES})
        ray = resolve_staff(s, RAY)
        for state in ("emergency", "emergency_expired", "restricted"):
            emergency.open_emergency_access(s, ray, f"#{ids[state]}", "matrix")
        # Opened five hours ago: emergency access holds four.
        s.execute(text("UPDATE emergency_access SET started_at = now() - interval '5 hours', "
                       "expires_at = now() - interval '1 hour' WHERE client_id = :c"),
                  {"c": ids["emergency_expired"]})
    with opener() as s:
        write(s, "cosign_pending", "sam")
    with opener() as s:
        lee = resolve_staff(s, cast.provider_c)
        owner = resolve_staff(s, OWNER_EMAIL)
        duplicate = clients.add_client(s, owner, first_name="StateMerged", last_name="Case",
                                       dob="1988-02-03", provider_ref=cast.provider_c,
                                       new_person=True).client.id
        for kind in ("progress", "intake", "private"):
            notes[("merged", "lee", kind)] = records.add_note(
                s, lee, f"#{duplicate}", body=f"lee's {kind} note", kind=kind).id
        for clinical in (True, False):
            documents[("merged", "lee", clinical)] = records.add_document(
                s, lee, f"#{duplicate}", title=f"lee {clinical}", content=b"x",
                clinical=clinical).id
    with opener() as s:
        owner = resolve_staff(s, OWNER_EMAIL)
        ana, sam = cast.provider_b, cast.provider_a

        def share(state: str, to: str, private: bool) -> None:
            sharing.share(s, owner, f"#{ids[state]}", sam, to, chart=True, private_notes=private)

        sharing.share(s, owner, f"#{ids['demographics']}", sam, ana)
        share("chart", ana, False)
        share("chart_private", ana, True)
        share("ended", ana, True)
        sharing.unshare(s, owner, f"#{ids['ended']}", sam, ana)
        share("to_deactivated", NIA, True)
        share("to_former_provider", PAT, True)
        share("two_providers", ana, False)
        share("merged", ana, False)
    with opener() as s:
        merge.merge_clients(s, resolve_staff(s, OWNER_EMAIL), f"#{ids['merged']}",
                            f"#{duplicate}")
    with opener() as s:
        owner = resolve_staff(s, OWNER_EMAIL)
        clients.set_status(s, owner, f"#{ids['to_former_provider']}", PAT, "discharged")
        restriction.restrict(s, owner, f"#{ids['restricted']}")
        staff.change_roles(s, owner, PAT, add=[], remove=["provider"])
        staff.deactivate(s, owner, NIA)
        staff.deactivate(s, owner, YUL)
        # An expired grant: set_custodian_scope refuses dates in the past, so age it here.
        s.execute(text("UPDATE custodian_grant SET expires_on = current_date - 2 "
                       "WHERE custodian_id = (SELECT id FROM staff WHERE email = :e)"),
                  {"e": EVE})
    viewers = {"owner": OWNER_EMAIL, "manager": cast.manager, "author": cast.provider_a,
               "recipient": cast.provider_b, "bystander": cast.provider_own,
               "author_lee": cast.provider_c, "custodian": cast.custodian,
               "custodian_scoped": cast.scoped_custodian, "custodian_expired": EVE,
               "scheduler": cast.scheduler, "biller": cast.biller, "deactivated": NIA,
               "former_provider": PAT, "supervisor": UMA, "supervisor_ended": VAL,
               "supervisor_lapsed": WES, "supervisor_future": XAN,
               "supervisor_deactivated": YUL, "emergency": RAY}
    for email in viewers.values():
        logins.bind(email)
    return Matrix(url, logins, viewers, ids, notes, documents)


@pytest.fixture(scope="module")
def matrix(backend: Backend) -> Iterator[Matrix]:
    if not backend.is_postgres:
        pytest.skip("PostgreSQL only")
    url = backend.initialised()
    with logins_for(url) as logins:
        yield build_matrix(backend, logins, url)


def cli_ids(matrix: Matrix, email: str, *args: str, hidden: int | None = None) -> set[int]:
    """What clinicctl shows a login; a refusal (exit 4) shows nothing, and so does the
    restricted client ``hidden``, whom a login outside the care team does not find."""
    result = run_as(matrix.logins.url_of(email), *args, "-o", "json")
    if result.exit_code == 4:
        return set()
    if hidden is not None and result.exit_code == 3:
        assert result.stderr == f"Error: no client with id {hidden}\n", result.output
        return set()
    assert result.exit_code == 0, result.output
    return {row["id"] for row in result.json()}


# What the database offers a login that opens psql: the tables are not readable, the
# functions return the rows the rule allows.
READERS = {"chart_note": "clinicctl_chart_notes", "document": "clinicctl_documents"}


def sql_ids(matrix: Matrix, email: str, table: str, client_id: int) -> set[int]:
    rows = sql(matrix.logins.url_of(email), f"SELECT id FROM {READERS[table]}(%s)",
               (client_id,))
    return {row[0] for row in rows}


@pytest.mark.parametrize("state", STATES)
def test_cli_and_raw_sql_show_the_same_notes_and_documents(matrix, state):
    client = f"#{matrix.clients[state]}"
    hidden = matrix.clients[state] if state == "restricted" else None
    for viewer, email in matrix.viewers.items():
        notes_cli = cli_ids(matrix, email, "note", "list", client, hidden=hidden)
        notes_sql = sql_ids(matrix, email, "chart_note", matrix.clients[state])
        assert notes_cli == notes_sql, (viewer, "notes")
        docs_cli = cli_ids(matrix, email, "doc", "list", client, hidden=hidden)
        docs_sql = sql_ids(matrix, email, "document", matrix.clients[state])
        assert docs_cli == docs_sql, (viewer, "documents")


def kinds_seen(matrix: Matrix, viewer: str, state: str, author: str = "sam") -> set[str]:
    seen = sql_ids(matrix, matrix.viewers[viewer], "chart_note", matrix.clients[state])
    return {kind for (s, a, kind), note in matrix.notes.items()
            if s == state and a == author and note in seen}


ALL_KINDS = {"progress", "intake", "private"}
NOT_PRIVATE = {"progress", "intake"}


@pytest.mark.parametrize("viewer, state, author, kinds", [
    ("author", "none", "sam", ALL_KINDS),
    ("recipient", "none", "sam", set()),
    ("recipient", "demographics", "sam", set()),
    ("recipient", "chart", "sam", NOT_PRIVATE),
    ("recipient", "chart_private", "sam", ALL_KINDS),
    ("recipient", "ended", "sam", set()),
    ("recipient", "two_providers", "lee", set()),
    ("deactivated", "to_deactivated", "sam", set()),
    ("former_provider", "to_former_provider", "sam", set()),
    ("owner", "chart_private", "sam", NOT_PRIVATE),
    ("custodian", "none", "sam", NOT_PRIVATE),
    ("custodian_scoped", "none", "sam", set()),
    ("custodian_scoped", "two_providers", "lee", NOT_PRIVATE),
    ("custodian_scoped", "two_providers", "sam", set()),
    ("custodian_expired", "two_providers", "lee", set()),
    ("manager", "chart_private", "sam", set()),
    ("scheduler", "none", "sam", set()),
    ("biller", "none", "sam", set()),
    ("bystander", "chart_private", "sam", set()),
    ("author_lee", "two_providers", "lee", ALL_KINDS),
    # A merge gives nobody a note the shares did not: Ana reads Sam's shared notes, not Lee's
    # that came with the duplicate; Lee reads his own, not Sam's.
    ("recipient", "merged", "sam", NOT_PRIVATE),
    ("recipient", "merged", "lee", set()),
    ("author_lee", "merged", "lee", ALL_KINDS),
    ("author_lee", "merged", "sam", set()),
    ("author", "merged", "lee", set()),
    ("owner", "merged", "lee", NOT_PRIVATE),
    ("custodian_scoped", "merged", "lee", NOT_PRIVATE),
    ("custodian_scoped", "merged", "sam", set()),
    ("manager", "merged", "lee", set()),
    # A group session's notes stay in each client's chart: Ana, who reads the partner's
    # chart, reads nothing of the other member's; Sam, who wrote them, reads them all.
    ("recipient", "group_session", "sam", set()),
    ("author", "group_session", "sam", ALL_KINDS),
    ("custodian", "group_session", "sam", NOT_PRIVATE),
    ("scheduler", "group_session", "sam", set()),
    # Supervision: Uma reads Sam's non-private notes of every client of his, pending or
    # signed or written before; never another author's; Val, whose supervision ended,
    # reads none.
    ("supervisor", "none", "sam", NOT_PRIVATE),
    ("supervisor", "cosign_pending", "sam", NOT_PRIVATE),
    ("supervisor", "chart_private", "sam", NOT_PRIVATE),
    ("supervisor", "group_session", "sam", NOT_PRIVATE),
    ("supervisor", "two_providers", "lee", set()),
    ("supervisor", "merged", "lee", set()),
    ("supervisor_ended", "none", "sam", set()),
    ("supervisor_ended", "cosign_pending", "sam", set()),
    ("supervisor_lapsed", "none", "sam", set()),
    ("supervisor_future", "none", "sam", set()),
    ("supervisor_deactivated", "none", "sam", set()),
    ("author", "cosign_pending", "sam", ALL_KINDS),
    ("recipient", "cosign_pending", "sam", set()),
    ("owner", "cosign_pending", "sam", NOT_PRIVATE),
    # Emergency access: Ray reads the non-private notes of the one client, until it expires.
    ("emergency", "emergency", "sam", NOT_PRIVATE),
    ("emergency", "emergency_expired", "sam", set()),
    ("emergency", "none", "sam", set()),
    ("bystander", "emergency", "sam", set()),
    # A restricted client's chart stays the care team's, as every chart is.
    ("author", "restricted", "sam", ALL_KINDS),
    ("owner", "restricted", "sam", NOT_PRIVATE),
    ("custodian", "restricted", "sam", NOT_PRIVATE),
    ("custodian_scoped", "restricted", "sam", set()),
    ("manager", "restricted", "sam", set()),
    ("scheduler", "restricted", "sam", set()),
    ("biller", "restricted", "sam", set()),
    ("recipient", "restricted", "sam", set()),
    # Supervision and emergency access stop at a restricted client's care team (Ray's was
    # opened before the client was restricted).
    ("supervisor", "restricted", "sam", set()),
    ("emergency", "restricted", "sam", set()),
])
def test_the_database_shows_what_the_permission_table_says(matrix, viewer, state, author,
                                                           kinds):
    assert kinds_seen(matrix, viewer, state, author) == kinds


def test_clinical_documents_follow_the_chart_and_the_rest_the_profile(matrix):
    def seen(viewer: str, state: str) -> set[bool]:
        visible = sql_ids(matrix, matrix.viewers[viewer], "document", matrix.clients[state])
        return {clinical for (s, _, clinical), doc in matrix.documents.items()
                if s == state and doc in visible}

    assert seen("recipient", "chart") == {True, False}
    assert seen("recipient", "demographics") == {False}
    assert seen("recipient", "none") == set()  # not in her list: no profile either
    assert seen("scheduler", "none") == {False}
    assert seen("biller", "none") == {False}
    assert seen("custodian_scoped", "none") == set()
    assert seen("deactivated", "to_deactivated") == set()
    # Supervision opens the clinical documents, not the profile; emergency access the
    # profile (and its documents), not the clinical ones.
    assert seen("supervisor", "none") == {True}
    assert seen("supervisor_ended", "none") == set()
    assert seen("emergency", "emergency") == {False}
    assert seen("emergency", "emergency_expired") == set()
    # A restricted client's non-clinical documents are their care team's only.
    for viewer in ("scheduler", "biller", "manager", "recipient", "custodian_scoped",
                   "bystander"):
        assert seen(viewer, "restricted") == set(), viewer
    for viewer in ("owner", "custodian", "author"):
        assert seen(viewer, "restricted") == {True, False}, viewer
    assert seen("supervisor", "restricted") == set()
    assert seen("emergency", "restricted") == set()


def test_pending_notes_are_listed_and_signed_as_clinicctl_does(matrix):
    """`note list --unsigned` and `note sign` through Uma's login, against the database's
    own answer; only the co-signing supervisor signs, as themselves."""
    pending = {matrix.notes[("cosign_pending", "sam", kind)] for kind in NOT_PRIVATE}
    uma = matrix.logins.url_of(UMA)
    assert {row[0] for row in sql(uma, "SELECT id FROM clinicctl_unsigned_notes()")} == pending
    assert cli_ids(matrix, UMA, "note", "list", "--unsigned") == pending
    assert cli_ids(matrix, matrix.viewers["author"], "note", "list", "--unsigned") == pending
    assert cli_ids(matrix, matrix.viewers["recipient"], "note", "list", "--unsigned") == set()
    note = matrix.notes[("cosign_pending", "sam", "progress")]
    [[supervision]] = sql(matrix.url, "SELECT id FROM supervision WHERE cosign AND "
                                      "ended_at IS NULL")
    # Whoever does not co-sign Sam's notes signs nothing, whatever supervision they name.
    for who in (matrix.viewers["author"], VAL, matrix.viewers["owner"], RAY):
        error = refused(matrix.logins.url_of(who), "SELECT clinicctl_sign_note(%s, %s)",
                        (note, supervision))
        assert "co-signs" in error, who
    signed = run_as(uma, "note", "sign", str(note), "-o", "json")
    assert signed.exit_code == 0, signed.output
    assert signed.json()["cosigned_by"] == "Uma Sol"
    assert note not in {row[0] for row in sql(uma, "SELECT id FROM clinicctl_unsigned_notes()")}


# --- attacks as the login --------------------------------------------------------------------

@pytest.fixture
def practice(db_url, open_session):
    """The standard cast with logins for Ana (provider), Morgan (manager), Bo (biller) and
    Dana (owner)."""
    if not db_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only")
    cast = populate_cast(open_session)
    with logins_for(db_url) as logins:
        for email in (cast.provider_b, cast.manager, cast.biller, OWNER_EMAIL,
                      cast.provider_a):
            logins.bind(email)
        yield cast, logins


def test_a_login_reads_no_notes_it_may_not(practice, db_url):
    cast, logins = practice
    for email in (cast.provider_b, cast.manager, cast.biller):
        url = logins.url_of(email)
        assert sql(url, "SELECT id, body FROM clinicctl_chart_notes(%s)", (cast.client_id,)
                   ) == [], email
        assert sql(url, "SELECT id FROM clinicctl_documents(%s) WHERE clinical",
                   (cast.client_id,)) == [], email
        assert sql(url, "SELECT id FROM clinicctl_chart_note(%s)",
                   (cast.private_note_id,)) == [], email
    assert len(sql(logins.url_of(cast.provider_a), "SELECT id FROM clinicctl_chart_notes(%s)",
                   (cast.client_id,))) == 2


@pytest.mark.parametrize("statement", [
    "SELECT body FROM chart_note",
    "SELECT count(*) FROM chart_note WHERE body >= 'A'",
    "SELECT count(*) FROM chart_note WHERE kind = 'private'",
    "SELECT count(*) FROM document WHERE content = 'x'::bytea",
    "SELECT count(*) FROM document WHERE title >= 'A'",
    "SELECT count(*) FROM audit_event",
    "SELECT clinicctl_audit_head()",
])
def test_hidden_rows_cannot_be_probed_one_guess_at_a_time(practice, statement):
    """A policy's checks run only for the rows a query's cheap conditions select, so a login
    that could name a note's columns could learn its text by watching whether they ran
    (statistics counters, EXPLAIN BUFFERS). No staff login may name those columns, and only
    those who read every event may see the chain's head hash."""
    cast, logins = practice
    for email in (cast.biller, cast.provider_b):
        error = refused(logins.url_of(email), statement)
        assert "permission denied" in error or "only the owner and managers" in error, email


def test_a_login_cannot_start_a_chart_share_to_itself(practice, db_url):
    cast, logins = practice
    ana, sam = staff_id(db_url, cast.provider_b), staff_id(db_url, cast.provider_a)
    insert = ("INSERT INTO chart_share (client_id, from_provider_id, to_provider_id, "
              "include_private_notes, started_at, started_by_id) "
              "VALUES (%s, %s, %s, true, now(), %s)")
    error = refused(logins.url_of(cast.provider_b), insert, (cast.client_id, sam, ana, ana))
    assert "row-level security" in error
    # Nor can a manager who gives themselves the provider role on the side.
    manager = staff_id(db_url, cast.manager)
    error = refused(logins.url_of(cast.manager), insert, (cast.client_id, sam, manager, manager))
    assert "row-level security" in error
    # Nor widen an existing share: only the columns that end a share may change.
    sql(db_url, insert.replace("true", "false"), (cast.client_id, sam, ana, sam))
    error = refused(logins.url_of(cast.provider_b),
                    "UPDATE chart_share SET include_private_notes = true")
    assert "permission denied" in error
    assert sql(logins.url_of(cast.provider_b), "SELECT count(*) FROM clinicctl_chart_notes(%s)",
               (cast.client_id,)) == [(1,)]


def test_a_login_cannot_grant_itself_a_role_or_a_login(practice, db_url):
    cast, logins = practice
    ana, manager = staff_id(db_url, cast.provider_b), staff_id(db_url, cast.manager)
    for role in ("owner", "manager", "records-custodian"):
        assert "row-level security" in refused(
            logins.url_of(cast.provider_b), "INSERT INTO staff_role VALUES (%s, %s)",
            (ana, role))
    for role in ("owner", "records-custodian", "provider"):
        assert "row-level security" in refused(
            logins.url_of(cast.manager), "INSERT INTO staff_role VALUES (%s, %s)",
            (manager, role))
    # A manager binds no logins and does not change who owns a provider's records.
    assert "only the owner binds database logins" in refused(
        logins.url_of(cast.manager), "UPDATE staff SET db_login = 'x' WHERE id = %s", (ana,))
    assert "records" in refused(
        logins.url_of(cast.manager), "UPDATE staff SET records_owner = 'provider' "
        "WHERE id = %s", (ana,))
    assert "only the owner changes the owner" in refused(
        logins.url_of(cast.manager), "UPDATE staff SET email = 'me@x.example' WHERE id = 1")
    # A provider changes no staff row at all (the policy hides them from UPDATE).
    sql(logins.url_of(cast.provider_b), "UPDATE staff SET active = false")
    assert sql(db_url, "SELECT count(*) FROM staff WHERE NOT active") == [(0,)]


def test_the_audit_trail_is_appended_only_by_the_database(practice, db_url):
    cast, logins = practice
    ana_url = logins.url_of(cast.provider_b)
    for statement in ("UPDATE audit_event SET outcome = 'ok'", "DELETE FROM audit_event",
                      "TRUNCATE audit_event",
                      "INSERT INTO audit_event (at, actor_id, action, object_type, outcome, "
                      "details, prev_hash, hash) VALUES (now(), 1, 'x', 'staff', 'ok', '{}', "
                      "'a', 'b')"):
        assert "permission denied" in refused(ana_url, statement), statement
    # The append function takes the actor from the login: claiming to be the owner fails.
    sql(ana_url, "SELECT clinicctl_audit_append(ARRAY[1], ARRAY['staff.add'], "
        "ARRAY['staff'], ARRAY[NULL::integer], ARRAY[NULL::integer], ARRAY['ok'], "
        "ARRAY['{}'])")
    last = sql(db_url, "SELECT actor_id, action FROM audit_event ORDER BY id DESC LIMIT 1")
    assert last == [(staff_id(db_url, cast.provider_b), "staff.add")]
    verified = run_as(db_url, "audit", "verify", "-o", "json", actor=OWNER_EMAIL)
    assert verified.exit_code == 0, verified.output
    # Ana may not list the trail either: as in clinicctl, a provider reads no audit events.
    assert sql(ana_url, "SELECT count(*) FROM clinicctl_audit_events(NULL, NULL, NULL, NULL, "
               "NULL, NULL, NULL)") == [(0,)]
    assert "permission denied" in refused(ana_url, "SELECT count(*) FROM audit_event")
    assert "only the owner, managers and records custodians" in refused(
        ana_url, "SELECT * FROM clinicctl_audit_verify()")


def test_a_bound_login_acts_only_as_its_staff_member_whatever_the_settings(
        practice, db_url, tmp_path, monkeypatch):
    cast, logins = practice
    ana_url = logins.url_of(cast.provider_b)
    config = tmp_path / "old.toml"
    config.write_text("bind_actor_to_login = false\n")
    monkeypatch.setenv("CLINICCTL_BIND_ACTOR_TO_LOGIN", "false")
    result = run_as(ana_url, "--config", str(config), "note", "list", cast.client,
                    actor=cast.provider_a)
    assert result.exit_code == 4, result.output
    assert result.stdout == ""
    assert ("Error: database login " in result.stderr
            and f"is {cast.provider_b}; it cannot act as {cast.provider_a}" in result.stderr)
    assert "bind_actor_to_login is no longer read" in result.stderr
    denied = run_as(db_url, "audit", "list", "--outcome", "denied", "-o", "json",
                    actor=OWNER_EMAIL).json()
    assert [(e["action"], e["actor_id"], e["object_id"]) for e in denied] == [
        ("actor.check", staff_id(db_url, cast.provider_b), staff_id(db_url, cast.provider_a))]
    # Naming herself is fine, and so is leaving --as out.
    assert run_as(ana_url, "staff", "show", cast.provider_b, actor=cast.provider_b
                  ).exit_code == 0
    me = run_as(ana_url, "staff", "list", "-o", "json")
    assert me.exit_code == 0, me.output


def test_an_unbound_login_is_refused(practice, db_url):
    cast, logins = practice
    login = f"ct_{uuid.uuid4().hex[:10]}"
    logins.created.append(login)
    sql(db_url, f'CREATE ROLE "{login}" LOGIN')
    url = login_url(db_url, login)
    result = run_as(url, "client", "list", actor=OWNER_EMAIL)
    assert result.exit_code == 4, result.output
    assert result.stderr.startswith(f"Error: database login '{login}' is not bound to a staff "
                                    "member")
    # Only logins bound here may connect at all.
    assert "permission denied for database" in refused(url, "SELECT 1")
    # Let in by hand, a member of the group that is bound to nobody still sees no row.
    database = db_url.rsplit("/", 1)[1]
    sql(db_url, f'GRANT CONNECT ON DATABASE "{database}" TO "{login}"')
    assert "permission denied" in refused(url, "SELECT * FROM client")
    sql(db_url, f'GRANT clinicctl_staff TO "{login}"')
    assert sql(url, "SELECT count(*) FROM client") == [(0,)]
    assert sql(url, "SELECT count(*) FROM staff") == [(0,)]
    refused_again = run_as(url, "client", "list", actor=OWNER_EMAIL)
    assert refused_again.exit_code == 4, refused_again.output


def test_a_login_bound_in_another_practice_sees_nothing_here(practice, backend, db_url):
    cast, logins = practice
    other = backend.initialised()
    ana_here = login_url(other, logins.by_email[cast.provider_b])
    assert "permission denied for database" in refused(ana_here, "SELECT count(*) FROM client")
    result = run_as(ana_here, "client", "list", actor=cast.provider_b)
    assert result.exit_code == 4, result.output
    assert "is not bound to a staff member of this practice" in result.stderr


def test_assignment_settings_change_only_as_the_permission_table_says(practice, db_url):
    cast, logins = practice
    run_as(db_url, "client", "share", cast.client, "--from", cast.provider_a, "--to",
           cast.provider_b, actor=OWNER_EMAIL)
    sam = staff_id(db_url, cast.provider_a)
    update = "UPDATE assignment SET {} WHERE client_id = %s AND provider_id = %s"
    # Ana may change neither Sam's diagnosis nor his status; Morgan may.
    assert "diagnosis" in refused(logins.url_of(cast.provider_b),
                                  update.format("diagnosis = 'F20.0'"), (cast.client_id, sam))
    assert "own settings" in refused(logins.url_of(cast.provider_b),
                                     update.format("status = 'discharged'"),
                                     (cast.client_id, sam))
    assert "permission denied" in refused(logins.url_of(cast.provider_b),
                                          update.format("origin = 'intake'"),
                                          (cast.client_id, sam))
    sql(logins.url_of(cast.manager), update.format("diagnosis = 'F43.1'"),
        (cast.client_id, sam))
    assert sql(db_url, "SELECT diagnosis FROM assignment WHERE provider_id = %s",
               (sam,)) == [("F43.1",)]
    # Billers write no assignment at all.
    assert "row-level security" in refused(
        logins.url_of(cast.biller),
        "INSERT INTO assignment (client_id, provider_id, status, diagnosis, origin, "
        "created_by_id, created_at) VALUES (%s, %s, 'new', '', 'intake', %s, now())",
        (cast.client_id, staff_id(db_url, cast.provider_c), staff_id(db_url, cast.biller)))


def test_a_provider_writes_notes_only_as_themselves(practice, db_url):
    cast, logins = practice
    sam = staff_id(db_url, cast.provider_a)
    assert "row-level security" in refused(
        logins.url_of(cast.provider_b),
        "INSERT INTO chart_note (client_id, author_id, date_of_service, kind, body, "
        "created_at) VALUES (%s, %s, current_date, 'progress', 'x', now())",
        (cast.client_id, sam))


def test_an_ended_share_cannot_be_reopened(practice, db_url):
    cast, logins = practice
    shared = run_as(logins.url_of(cast.provider_a), "client", "share", cast.client, "--from",
                    cast.provider_a, "--to", cast.provider_b, "--chart")
    assert shared.exit_code == 0, shared.output
    ended = run_as(logins.url_of(cast.provider_a), "client", "unshare", cast.client, "--from",
                   cast.provider_a, "--to", cast.provider_b)
    assert ended.exit_code == 0, ended.output
    sql(logins.url_of(cast.provider_a), "UPDATE chart_share SET ended_at = NULL, "
        "ended_by_id = NULL")
    assert sql(db_url, "SELECT count(*) FROM chart_share WHERE ended_at IS NULL") == [(0,)]


def test_db_status_reports_row_security_and_bound_logins(practice, db_url):
    cast, logins = practice
    result = run_as(db_url, "db", "status", "-o", "json")
    assert result.exit_code == 0, result.output
    data = result.json()
    assert data["row_level_security"] is True
    assert {b["login"]: b["staff_id"] for b in data["bound_logins"]} == {
        logins.by_email[email]: staff_id(db_url, email) for email in logins.by_email}


@pytest.mark.parametrize("viewer", ["owner", "manager", "custodian", "custodian_scoped",
                                    "custodian_expired"])
def test_cli_and_raw_sql_show_the_same_audit_events(matrix, viewer):
    email = matrix.viewers[viewer]
    seen_sql = {row[0] for row in sql(
        matrix.logins.url_of(email),
        "SELECT id FROM clinicctl_audit_events(NULL, NULL, NULL, NULL, NULL, NULL, NULL)")}
    seen_cli = cli_ids(matrix, email, "audit", "list")
    assert seen_cli == seen_sql
    if viewer in ("owner", "custodian", "custodian_scoped"):
        assert seen_sql, viewer


# --- the name keys are the names' (migration 0005) -------------------------------------------

def test_a_login_cannot_give_a_client_another_name_s_keys(practice, db_url):
    """The keys are what a typed name resolves by: a login that may edit a client cannot make
    "Chloe Martin" name Maya Chen's chart, by search_key or name_key, nor insert a client
    whose keys name someone else; the keys of its own edits still go through."""
    cast, logins = practice
    logins.bind(cast.scheduler)
    maya = cast.client_id
    for email in (cast.scheduler, cast.manager, OWNER_EMAIL, cast.provider_a):
        url = logins.url_of(email)
        for column in ("search_key", "name_key"):
            error = refused(url, f"UPDATE client SET {column} = 'chloe martin' WHERE id = %s",
                            (maya,))
            assert f"client.{column} must be the key of the name" in error, (email, error)
        # Renaming without the keys is refused too; renaming with them goes through.
        assert "client.name_key" in refused(
            url, "UPDATE client SET first_name = 'Chloé', last_name = 'Martin' WHERE id = %s",
            (maya,))
    assert sql(db_url, "SELECT name_key, search_key FROM client WHERE id = %s", (maya,)) == [
        ("maya chen", "maya chen")]
    sql(logins.url_of(cast.scheduler), "UPDATE client SET first_name = 'Máya', "
        "name_key = 'máya chen', search_key = 'maya chen' WHERE id = %s", (maya,))
    assert sql(db_url, "SELECT first_name FROM client WHERE id = %s", (maya,)) == [("Máya",)]

    insert = ("INSERT INTO client (first_name, last_name, name_key, search_key, dob, created_at)"
              " VALUES ('Eve', 'Intruder', %s, %s, '1990-01-01', now())")
    url = logins.url_of(cast.scheduler)
    assert "client.search_key" in refused(url, insert, ("eve intruder", "chloe martin"))
    assert "client.name_key" in refused(url, insert, ("chloe martin", "eve intruder"))
    sql(url, insert, ("eve intruder", "eve intruder"))
    assert sql(db_url, "SELECT count(*) FROM client WHERE name_key = 'eve intruder'") == [(1,)]
    assert run_as(url, "client", "show", "Chloe Martin").exit_code == 3


def test_a_manager_cannot_rename_a_records_custodian_by_key(practice, db_url, tmp_path):
    """Only the owner changes a records custodian; the keys follow the name, so a manager
    cannot give a custodian's row the owner's keys either (or any other staff row)."""
    cast, logins = practice
    rae, ana = staff_id(db_url, cast.custodian), staff_id(db_url, cast.provider_b)
    manager = logins.url_of(cast.manager)
    for column in ("search_key", "name_key"):
        for target in (rae, ana):
            error = refused(manager, f"UPDATE staff SET {column} = 'dana reyes' WHERE id = %s",
                            (target,))
            assert f"staff.{column} must be the key of the name" in error or (
                target == rae and "only the owner changes a records custodian" in error), error
    assert "only the owner changes a records custodian" in refused(
        manager, "UPDATE staff SET name = 'Dana Reyes', name_key = 'dana reyes', "
        "search_key = 'dana reyes' WHERE id = %s", (rae,))
    assert sql(db_url, "SELECT name, name_key, search_key FROM staff WHERE id = %s", (rae,)
               ) == [("Rae Quinn", "rae quinn", "rae quinn")]
    # Through clinicctl (import staff) the manager renames a provider, the owner a custodian.
    for actor, email, name in ((cast.manager, cast.provider_b, "Ána Ruiz"),
                               (OWNER_EMAIL, cast.custodian, "Raé Quinn")):
        path = tmp_path / "staff.csv"
        path.write_text(f"email,name\n{email},{name}\n", encoding="utf-8")
        renamed = run_as(logins.url_of(actor), "import", "staff", str(path))
        assert renamed.exit_code == 0, renamed.output
    assert dict(sql(db_url, "SELECT id, search_key FROM staff WHERE id IN (%s, %s)",
                    (ana, rae))) == {ana: "ana ruiz", rae: "rae quinn"}


def test_a_login_changes_a_sessions_clients_only_as_booking_allows(practice, db_url,
                                                                  open_session):
    """The places of a session (migration 0009): a provider adds a client to their own
    session, never to a colleague's for a client outside their list; the database sets a
    place's times and refuses an attendance written with the place; only attendance may be
    updated; the first client moves only to another client of the session."""
    import datetime as dt

    from clinicctl.people.refs import resolve_client, resolve_staff
    from clinicctl.scheduling import booking

    cast, logins = practice
    with open_session() as s:
        omar = resolve_client(s, cast.own_client).id
        session_id = booking.book(
            s, resolve_staff(s, OWNER_EMAIL), client_ref=f"#{cast.client_id}",
            provider_ref=cast.provider_a, at=dt.datetime(2031, 3, 3, 15, tzinfo=dt.UTC),
            outside_availability=True).appointments[0].id
    sam, ana = logins.url_of(cast.provider_a), logins.url_of(cast.provider_b)
    insert = ("INSERT INTO appointment_participant (appointment_id, client_id, attendance, "
              "start_at, end_at, active) VALUES (%s, %s, %s, now(), now(), false)")
    assert "row-level security" in refused(ana, insert, (session_id, omar, None))
    assert "row-level security" in refused(sam, insert, (session_id, omar, "attended"))
    sql(sam, insert, (session_id, omar, None))
    assert sql(db_url, "SELECT p.start_at = a.start_at AND p.end_at = a.end_at AND p.active "
               "FROM appointment_participant p JOIN appointment a ON a.id = p.appointment_id "
               "WHERE p.appointment_id = %s AND p.client_id = %s", (session_id, omar)
               ) == [(True,)]
    assert "permission denied" in refused(
        sam, "UPDATE appointment_participant SET client_id = %s WHERE appointment_id = %s",
        (cast.client_id, session_id))
    sql(ana, "DELETE FROM appointment_participant WHERE appointment_id = %s", (session_id,))
    assert len(sql(db_url, "SELECT 1 FROM appointment_participant WHERE appointment_id = %s",
                   (session_id,))) == 2
    bystander = sql(db_url, "SELECT id FROM client WHERE id NOT IN (%s, %s) LIMIT 1",
                    (cast.client_id, omar))
    if bystander:
        assert "permission denied" in refused(
            sam, "UPDATE appointment SET client_id = %s WHERE id = %s",
            (bystander[0][0], session_id))
    sql(sam, "UPDATE appointment SET client_id = %s WHERE id = %s", (omar, session_id))
    # Ana may not reschedule or cancel Sam's session: she may book neither client with Sam.
    sql(ana, "UPDATE appointment SET status = 'cancelled' WHERE id = %s", (session_id,))
    assert sql(db_url, "SELECT status FROM appointment WHERE id = %s", (session_id,)
               ) == [("scheduled",)]


def test_a_login_sees_only_the_places_clinicctl_shows_it(practice, db_url, open_session):
    """Who is in a session with whom (migration 0009): Sam sees Ana's couple session through
    his client Maya, never Omar in it, neither in psql nor through clinicctl; his booking
    checks still see when Omar is busy (times only); the biller sees the schedule whole."""
    import datetime as dt

    from clinicctl.people.refs import resolve_client, resolve_staff
    from clinicctl.scheduling import booking

    cast, logins = practice
    start = dt.datetime(2031, 3, 4, 15, tzinfo=dt.UTC)
    with open_session() as s:
        omar = resolve_client(s, cast.own_client).id
        session_id = booking.book(
            s, resolve_staff(s, OWNER_EMAIL), client_ref=[f"#{cast.client_id}", f"#{omar}"],
            provider_ref=cast.provider_b, at=start, outside_availability=True
        ).appointments[0].id
    sam, biller = logins.url_of(cast.provider_a), logins.url_of(cast.biller)
    query = "SELECT client_id FROM appointment_participant WHERE appointment_id = %s"
    assert sql(sam, query, (session_id,)) == [(cast.client_id,)]
    assert sorted(sql(biller, query, (session_id,))) == sorted([(cast.client_id,), (omar,)])
    assert sql(sam, "SELECT appointment_id FROM clinicctl_busy_places(%s, %s, %s, NULL)",
               ([omar], start, start + dt.timedelta(hours=1))) == [(session_id,)]
    shown = run_as(sam, "appointment", "show", str(session_id), "-o", "json")
    assert shown.exit_code == 0, shown.output
    assert (shown.json()["client_id"], shown.json()["clients"]) == (
        cast.client_id, [{"client_id": cast.client_id, "attendance": None}])
    probed = run_as(sam, "appointment", "list", "--client", f"#{omar}", "-o", "json")
    assert probed.exit_code == 0 and probed.json() == [], probed.output
    # Sam may not cancel the whole session: Omar is not his to book.
    refused = run_as(sam, "appointment", "cancel", str(session_id))
    assert refused.exit_code == 4, refused.output
    # He may take Maya out of it; the session passes to Omar, which Sam could not do by
    # hand.
    left = run_as(sam, "appointment", "clients", str(session_id), "--remove",
                  f"#{cast.client_id}")
    assert left.exit_code == 0, left.output
    assert sql(db_url, "SELECT client_id FROM appointment WHERE id = %s", (session_id,)
               ) == [(omar,)]


# --- restricted clients (migration 0011) -----------------------------------------------------

@pytest.fixture
def restricted(practice, db_url, open_session):
    """Maya restricted, with an appointment with Sam (her provider) and a place in Sam's
    group; logins for the scheduler and both custodians too."""
    import datetime as dt

    from clinicctl.people import restriction
    from clinicctl.people.refs import resolve_staff
    from clinicctl.scheduling import booking, groups

    cast, logins = practice
    for email in (cast.scheduler, cast.custodian, cast.scoped_custodian):
        logins.bind(email)
    with open_session() as s:
        owner = resolve_staff(s, OWNER_EMAIL)
        appointment = booking.book(s, owner, client_ref=cast.client, provider_ref=cast.provider_a,
                                   at=dt.datetime(2031, 3, 5, 15, tzinfo=dt.UTC),
                                   outside_availability=True).appointments[0].id
        groups.add_group(s, owner, "Tuesday DBT", provider_ref=cast.provider_a,
                         client_refs=[cast.client, cast.own_client])
        restriction.restrict(s, owner, cast.client)
    return cast, logins, appointment


def test_a_login_outside_the_care_team_reads_nothing_of_a_restricted_client(restricted,
                                                                            db_url):
    """Raw SQL as each login outside Maya's care team: no client row (names, search keys,
    demographics), no assignment (who has her, status, diagnosis), no group place, no
    document; her appointment's slot and client id stay, as scheduling shows them. Her
    care team reads her as before."""
    cast, logins, appointment = restricted
    maya = cast.client_id
    for email in (cast.scheduler, cast.manager, cast.biller, cast.provider_b,
                  cast.scoped_custodian):
        url = logins.url_of(email)
        assert maya not in {row[0] for row in sql(url, "SELECT * FROM client")}, email
        assert sql(url, "SELECT count(*) FROM client WHERE search_key LIKE '%%chen%%' "
                   "OR name_key = 'maya chen'") == [(0,)], email
        assert sql(url, "SELECT * FROM assignment WHERE client_id = %s", (maya,)) == [], email
        assert sql(url, "SELECT * FROM client_group_member WHERE client_id = %s",
                   (maya,)) == [], email
        assert sql(url, "SELECT id FROM clinicctl_documents(%s)", (maya,)) == [], email
        assert sql(url, "SELECT clinicctl_has_profile_access(%s), clinicctl_in_care_team(%s)",
                   (maya, maya)) == [(False, False)], email
    for email in (cast.scheduler, cast.manager, cast.biller):
        assert sql(logins.url_of(email), "SELECT client_id FROM appointment WHERE id = %s",
                   (appointment,)) == [(maya,)], email
    for email in (OWNER_EMAIL, cast.provider_a, cast.custodian):
        url = logins.url_of(email)
        assert sql(url, "SELECT first_name FROM client WHERE id = %s", (maya,)) == [
            ("Maya",)], email
        assert len(sql(url, "SELECT * FROM assignment WHERE client_id = %s", (maya,))) == 1
        assert len(sql(url, "SELECT id FROM clinicctl_documents(%s)", (maya,))) == 2, email


def test_a_login_outside_the_care_team_changes_nothing_of_a_restricted_client(restricted,
                                                                              db_url):
    """Not her details (even by an UPDATE without WHERE), not the flag (only through
    clinicctl_restrict_client, for the owner and custodians in scope), not her care team
    (an assignment of a restricted client is written from inside the team)."""
    cast, logins, _ = restricted
    maya, lee = cast.client_id, staff_id(db_url, cast.provider_c)
    scheduler = logins.url_of(cast.scheduler)
    sql(scheduler, "UPDATE client SET phone = '555-0000'")
    sql(scheduler, "UPDATE client SET phone = '555-0000' WHERE id = %s", (maya,))
    assert sql(db_url, "SELECT phone FROM client WHERE id = %s", (maya,)) == [(None,)]
    for email in (cast.scheduler, cast.manager, OWNER_EMAIL):
        assert "permission denied" in refused(logins.url_of(email),
                                              "UPDATE client SET restricted = false")
    for email in (cast.manager, cast.scheduler, cast.provider_a, cast.scoped_custodian):
        assert "only the owner and records custodians" in refused(
            logins.url_of(email), "SELECT clinicctl_restrict_client(%s, false)", (maya,))
    assert "row-level security" in refused(
        scheduler, "INSERT INTO assignment (client_id, provider_id, status, diagnosis, origin, "
        "created_by_id, created_at) VALUES (%s, %s, 'new', '', 'appointment', %s, now())",
        (maya, lee, staff_id(db_url, cast.scheduler)))
    assert sql(db_url, "SELECT restricted FROM client WHERE id = %s", (maya,)) == [(True,)]


def test_a_login_outside_the_care_team_writes_nothing_about_a_restricted_client(restricted,
                                                                              db_url):
    """Her care team, her sessions' places, her group places, her chart shares and her
    record are no outsider's to write in psql, however the statement is put (no WHERE
    clause included); the slot itself stays theirs to cancel."""
    cast, logins, appointment = restricted
    maya = cast.client_id
    sam, ana = staff_id(db_url, cast.provider_a), staff_id(db_url, cast.provider_b)
    manager, scheduler = logins.url_of(cast.manager), logins.url_of(cast.scheduler)
    before = sql(db_url, "SELECT provider_id, status FROM assignment WHERE client_id = %s",
                 (maya,))
    sql(manager, "UPDATE assignment SET status = 'inactive'")
    sql(manager, "DELETE FROM assignment")
    sql(scheduler, "UPDATE appointment_participant SET attendance = 'no-show'")
    sql(scheduler, "DELETE FROM appointment_participant WHERE client_id = %s", (maya,))
    sql(scheduler, "UPDATE client_group_member SET left_at = now(), removed_by_id = "
                   "clinicctl_me()")
    assert sql(db_url, "SELECT provider_id, status FROM assignment WHERE client_id = %s",
               (maya,)) == before
    assert sql(db_url, "SELECT attendance FROM appointment_participant WHERE client_id = %s",
               (maya,)) == [(None,)]
    assert sql(db_url, "SELECT count(*) FROM client_group_member WHERE client_id = %s "
                       "AND left_at IS NULL", (maya,)) == [(1,)]
    for url, statement, params in (
            (scheduler, "INSERT INTO appointment (client_id, provider_id, start_at, end_at, "
             "service_code, pos_code, status, outside_availability, created_by_id, created_at) "
             "VALUES (%s, %s, '2031-04-01 15:00+00', '2031-04-01 15:50+00', '90834', '11', "
             "'scheduled', true, clinicctl_me(), now())", (maya, ana)),
            (manager, "INSERT INTO chart_share (client_id, from_provider_id, to_provider_id, "
             "include_private_notes, started_at, started_by_id) VALUES (%s, %s, %s, true, "
             "now(), clinicctl_me())", (maya, sam, ana)),
            (scheduler, "INSERT INTO client (first_name, last_name, name_key, search_key, dob, "
             "restricted, created_at) VALUES ('X', 'Y', 'x y', 'x y', '1990-01-01', true, "
             "now())", ()),
            (scheduler, "UPDATE appointment SET provider_id = %s WHERE id = %s",
             (ana, appointment))):
        error = refused(url, statement, params)
        assert "row-level security" in error or "restricted" in error, statement
    merged = refused(manager, "SELECT * FROM clinicctl_merge_clients(%s, %s, 0)",
                     (cast_other_client(db_url, maya), maya))
    assert "restricted client is merged only by their care team" in merged
    cancelled = run_as(scheduler, "appointment", "cancel", str(appointment), "--reason",
                       "provider ill")
    assert cancelled.exit_code == 0, cancelled.output


def cast_other_client(db_url: str, client_id: int) -> int:
    [[other]] = sql(db_url, "SELECT min(id) FROM client WHERE id <> %s", (client_id,))
    return int(other)


def test_a_restriction_changes_only_on_the_record(restricted, db_url):
    cast, logins, _ = restricted
    owner = logins.url_of(OWNER_EMAIL)
    assert sql(owner, "SELECT clinicctl_restrict_client(%s, false)", (cast.client_id,)) == [
        (True,)]
    [(actor, details)] = sql(db_url, "SELECT actor_id, details FROM audit_event WHERE action "
                                     "= 'client.restrict' AND actor_id = %s",
                             (staff_id(db_url, OWNER_EMAIL),))[-1:]
    assert details == '{"restricted":false}'
    assert "permission denied" in refused(logins.url_of(cast.scheduler),
                                          "SELECT clinicctl_is_restricted(1)")
    verified = run_as(owner, "audit", "verify", "-o", "json")
    assert verified.json()["ok"] is True, verified.output


def test_clinicctl_under_a_login_outside_the_team_shows_the_slot_only(restricted, db_url):
    """The scheduler's own login: Maya is not found, her appointment shows as "restricted
    client" and may still be moved and cancelled by its id; a session for the group she is
    in is refused."""
    cast, logins, appointment = restricted
    scheduler = logins.url_of(cast.scheduler)
    hidden = run_as(scheduler, "client", "show", f"#{cast.client_id}")
    assert hidden.exit_code == 3, hidden.output
    assert hidden.stderr == f"Error: no client with id {cast.client_id}\n"
    shown = run_as(scheduler, "appointment", "show", str(appointment), "-o", "json")
    assert shown.exit_code == 0, shown.output
    assert (shown.json()["client_id"], shown.json()["client"]) == (cast.client_id,
                                                                    "restricted client")
    moved = run_as(scheduler, "appointment", "reschedule", str(appointment), "--at",
                   "2031-03-05 11:00", "--outside-availability", "-o", "json")
    assert moved.exit_code == 0, moved.output
    assert moved.json()["client"] == "restricted client"
    group = run_as(scheduler, "group", "show", "Tuesday DBT", "-o", "json")
    assert group.exit_code == 0, group.output
    assert cast.client_id not in [m["client_id"] for m in group.json()["members"]]
    booked = run_as(scheduler, "appointment", "book", "--group", "Tuesday DBT", "--at",
                    "2031-03-06 10:00", "--outside-availability")
    assert booked.exit_code == 4, booked.output
    assert "has restricted members outside your care team" in booked.stderr
    cancelled = run_as(scheduler, "appointment", "cancel", str(appointment))
    assert cancelled.exit_code == 0, cancelled.output
    assert sql(db_url, "SELECT status FROM appointment WHERE id = %s", (appointment,)) == [
        ("cancelled",)]


def test_the_owner_and_a_custodian_in_scope_restrict_through_their_logins(restricted,
                                                                          db_url):
    cast, logins, _ = restricted
    for email in (cast.custodian, OWNER_EMAIL):
        url = logins.url_of(email)
        lifted = run_as(url, "client", "restrict", cast.client, "--off", "-o", "json")
        assert lifted.exit_code == 0, lifted.output
        assert lifted.json() == {"client_id": cast.client_id, "restricted": False,
                                 "changed": True}
        again = run_as(url, "client", "restrict", cast.client, "-o", "json")
        assert again.exit_code == 0, again.output
        assert again.json()["changed"] is True
    refused_run = run_as(logins.url_of(cast.scoped_custodian), "client", "restrict",
                         f"#{cast.client_id}", "--off")
    assert refused_run.exit_code == 3, refused_run.output
    events = run_as(db_url, "audit", "list", "--action", "client.restrict", "-o", "json",
                    actor=OWNER_EMAIL).json()
    assert [(e["actor_id"], e["details"]) for e in events] == [
        (staff_id(db_url, OWNER_EMAIL), {"restricted": True}),
        (staff_id(db_url, cast.custodian), {"restricted": False}),
        (staff_id(db_url, cast.custodian), {"restricted": True}),
        (staff_id(db_url, OWNER_EMAIL), {"restricted": False}),
        (staff_id(db_url, OWNER_EMAIL), {"restricted": True})]
