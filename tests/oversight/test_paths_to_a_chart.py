"""PostgreSQL: supervision and emergency access through staff logins, as someone opening
psql would try them (migration 0010). The differential matrix of ``test_row_security.py``
covers who reads what; these are the writes and the record."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.fixtures.cast import OWNER_EMAIL, populate_cast
from tests.fixtures.pg_logins import logins_for, refused, run_as, sql, staff_id

pytestmark = pytest.mark.skipif(
    "os.environ.get('CLINICCTL_TEST_DB', 'sqlite').strip() in ('', 'sqlite')",
    reason="database logins and row-level security are PostgreSQL's",
)


@pytest.fixture
def practice(db_url: str, open_session: Any) -> Iterator[tuple[Any, Any]]:
    if not db_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only")
    cast = populate_cast(open_session)
    with logins_for(db_url) as logins:
        for email in (OWNER_EMAIL, cast.manager, cast.provider_a, cast.provider_b,
                      cast.provider_c, cast.scheduler, cast.custodian):
            logins.bind(email)
        yield cast, logins


def events(url: str, action: str) -> list[tuple[Any, ...]]:
    return sql(url, "SELECT actor_id, object_type, object_id, client_id, details "
                    "FROM audit_event WHERE action = %s ORDER BY id", (action,))


def test_emergency_access_is_never_opened_off_the_record(practice, db_url):
    """A login opens one only through the database's function, for itself, for the
    database's four hours, and its event is appended in the same statement, as the login;
    the table itself is no login's to read or write (nothing about who opened which chart
    can be probed), and only the owner and custodians covering the client read the reason."""
    cast, logins = practice
    lee = staff_id(db_url, cast.provider_c)
    url = logins.url_of(cast.provider_c)
    [(access_id, _, _)] = sql(url, "SELECT * FROM clinicctl_open_emergency_access(%s, %s)",
                              (cast.client_id, "psql"))
    [(actor, object_type, object_id, client_id, details)] = events(db_url, "client.emergency")
    assert (actor, object_type, object_id, client_id) == (lee, "emergency_access", access_id,
                                                          cast.client_id)
    assert "psql" not in details
    [[hours]] = sql(db_url, "SELECT extract(epoch FROM expires_at - started_at) / 3600 "
                            "FROM emergency_access WHERE id = %s", (access_id,))
    assert float(hours) == 4.0
    verified = run_as(logins.url_of(OWNER_EMAIL), "audit", "verify", "-o", "json")
    assert verified.json()["ok"] is True, verified.output

    for statement in ("SELECT count(*) FROM emergency_access WHERE client_id = 1",
                      "INSERT INTO emergency_access (staff_id, client_id, reason, reason_salt, "
                      "started_at, expires_at) VALUES (1, 1, 'x', 'x', now(), now() + "
                      "interval '1 year')",
                      "UPDATE emergency_access SET expires_at = now() + interval '1 year'"):
        assert "permission denied" in refused(url, statement), statement
    scheduler = refused(logins.url_of(cast.scheduler),
                        "SELECT * FROM clinicctl_open_emergency_access(%s, 'x')",
                        (cast.client_id,))
    assert "clinical access" in scheduler
    reason = "SELECT clinicctl_emergency_reason(%s)"
    assert sql(logins.url_of(OWNER_EMAIL), reason, (access_id,)) == [("psql",)]
    assert sql(logins.url_of(cast.custodian), reason, (access_id,)) == [("psql",)]
    assert sql(logins.url_of(cast.manager), reason, (access_id,)) == [(None,)]
    assert sql(url, reason, (access_id,)) == [(None,)]
    # Whose access is in force: one's own, or anyone's for who reads the client's audit.
    in_force = "SELECT id FROM clinicctl_emergency_access_in_force(%s, %s)"
    assert sql(url, in_force, (lee, cast.client_id)) == [(access_id,)]
    assert sql(logins.url_of(cast.manager), in_force, (lee, cast.client_id)) == [(access_id,)]
    assert sql(logins.url_of(cast.scheduler), in_force, (lee, cast.client_id)) == []
    assert sql(logins.url_of(cast.provider_b), in_force, (lee, cast.client_id)) == []


def test_emergency_access_through_clinicctl_writes_one_event(practice, db_url):
    cast, logins = practice
    opened = run_as(logins.url_of(cast.provider_c), "client", "access", cast.client,
                    "--emergency", "--reason", "Crisis call", "-o", "json")
    assert opened.exit_code == 0, opened.output
    assert len(events(db_url, "client.emergency")) == 1
    listed = run_as(logins.url_of(OWNER_EMAIL), "audit", "list", "--emergency", "-o", "json")
    assert [(r["reason"], r["object_id"]) for r in listed.json()] == [
        ("Crisis call", opened.json()["id"])]
    hidden = run_as(logins.url_of(cast.manager), "audit", "list", "--emergency", "-o", "json")
    assert [(r["reason"], r["reason_hidden"]) for r in hidden.json()] == [(None, True)]
    notes = run_as(logins.url_of(cast.provider_c), "note", "list", cast.client, "-o", "json")
    assert [n["id"] for n in notes.json()] == [cast.progress_note_id]


def test_supervision_is_set_up_only_by_the_owner_and_managers(practice, db_url):
    cast, logins = practice
    sam, lee = staff_id(db_url, cast.provider_a), staff_id(db_url, cast.provider_c)
    insert = ("INSERT INTO supervision (supervisee_id, supervisor_id, starts_on, cosign, "
              "created_by_id, created_at) VALUES (%s, %s, current_date, true, %s, now())")
    for email in (cast.provider_c, cast.scheduler, cast.custodian):
        error = refused(logins.url_of(email), insert, (sam, lee, staff_id(db_url, email)))
        assert "row-level security" in error, email
    # A supervisor must be an active provider.
    rae = staff_id(db_url, cast.custodian)
    manager = staff_id(db_url, cast.manager)
    assert "row-level security" in refused(logins.url_of(cast.manager), insert,
                                           (sam, rae, manager))
    # A manager who is also a provider does not make themselves anyone's supervisor.
    done = run_as(logins.url_of(OWNER_EMAIL), "staff", "roles", cast.manager, "--add",
                  "provider")
    assert done.exit_code == 0, done.output
    assert "row-level security" in refused(logins.url_of(cast.manager), insert,
                                           (sam, manager, manager))
    done = run_as(logins.url_of(cast.manager), "staff", "supervise", cast.provider_a, "--by",
                  cast.provider_c, "--cosign")
    assert done.exit_code == 0, done.output
    # Nobody but the owner and managers changes or ends it.
    assert sql(logins.url_of(cast.provider_c), "UPDATE supervision SET ends_on = NULL, "
               "cosign = false RETURNING id") == []


def test_a_note_is_signed_only_through_the_database_and_never_skips_its_co_signature(
        practice, db_url):
    """The database decides whether a new note waits, whatever the login writes; a login
    signs only through clinicctl_sign_note, one note it reads at a time, with the event."""
    cast, logins = practice
    done = run_as(logins.url_of(OWNER_EMAIL), "staff", "supervise", cast.provider_a, "--by",
                  cast.provider_c, "--cosign")
    assert done.exit_code == 0, done.output
    sam, lee = staff_id(db_url, cast.provider_a), staff_id(db_url, cast.provider_c)
    [[note]] = sql(logins.url_of(cast.provider_a),
                   "INSERT INTO chart_note (client_id, author_id, date_of_service, kind, body, "
                   "created_at, cosign_status, cosigned_by_id, cosigned_at) VALUES "
                   "(%s, %s, current_date, 'progress', 'psql', now(), 'signed', %s, now()) "
                   "RETURNING id", (cast.client_id, sam, sam))
    [[status, signer]] = sql(db_url, "SELECT cosign_status, cosigned_by_id FROM chart_note "
                                     "WHERE id = %s", (note,))
    assert (status, signer) == ("pending", None)
    for email in (cast.provider_a, cast.provider_c):
        blind = refused(logins.url_of(email), "UPDATE chart_note SET cosign_status = "
                        "'signed', cosigned_by_id = %s", (staff_id(db_url, email),))
        assert "permission denied" in blind, email
    [[supervision]] = sql(db_url, "SELECT id FROM supervision")
    sign = "SELECT clinicctl_sign_note(%s, %s)"
    assert "co-signs" in refused(logins.url_of(cast.provider_a), sign, (note, supervision))
    assert "co-signs" in refused(logins.url_of(cast.provider_b), sign, (note, supervision))
    signed = run_as(logins.url_of(cast.provider_c), "note", "sign", str(note), "-o", "json")
    assert signed.exit_code == 0, signed.output
    [[status, signer]] = sql(db_url, "SELECT cosign_status, cosigned_by_id FROM chart_note "
                                     "WHERE id = %s", (note,))
    assert (status, signer) == ("signed", lee)
    assert [(e[0], e[2], e[4]) for e in events(db_url, "note.sign")] == [
        (lee, note, f'{{"author_id":{sam},"supervision_id":{supervision}}}')]
    assert "waits for no co-signature" in refused(logins.url_of(cast.provider_c), sign,
                                                  (note, supervision))
    again = run_as(logins.url_of(cast.provider_c), "note", "sign", str(note))
    assert again.exit_code == 0, again.output
    assert len(events(db_url, "note.sign")) == 1
    verified = run_as(logins.url_of(OWNER_EMAIL), "audit", "verify", "-o", "json")
    assert verified.json()["ok"] is True, verified.output
