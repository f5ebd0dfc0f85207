"""PostgreSQL: every role does its everyday work through its own database login (the grants
are enough, and no ``--as`` is needed); every event names the login's own staff member."""

from __future__ import annotations

import pytest

from tests.fixtures.cast import OWNER_EMAIL, populate_cast
from tests.fixtures.pg_logins import logins_for, run_as, sql
from tests.fixtures.runner import Run

pytestmark = pytest.mark.skipif(
    "os.environ.get('CLINICCTL_TEST_DB', 'sqlite').strip() in ('', 'sqlite')",
    reason="database logins and row-level security are PostgreSQL's",
)


def test_every_role_does_its_everyday_work_through_its_own_login(db_url, open_session,
                                                                 tmp_path):
    """The grants are enough for what each role does in clinicctl (and no --as is needed)."""
    if not db_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only")
    cast = populate_cast(open_session)
    with logins_for(db_url) as logins:
        for email in (OWNER_EMAIL, cast.manager, cast.provider_a, cast.provider_b,
                      cast.scheduler, cast.biller, cast.custodian, cast.provider_c):
            logins.bind(email)

        def ok(email: str, *args: str) -> Run:
            result = run_as(logins.url_of(email), *args)
            assert result.exit_code == 0, (email, args, result.output)
            return result

        ok(cast.manager, "staff", "add", "Tess Ward", "--email", "tess@riverside.example",
           "--role", "provider")
        ok(cast.manager, "staff", "roles", "tess@riverside.example", "--add", "scheduler")
        ok(cast.manager, "location", "add", "Main office", "--pos", "11")
        ok(cast.provider_a, "availability", "add", cast.provider_a, "--days", "mon,tue,wed,thu,fri",
           "--start", "09:00", "--end", "17:00")
        ok(cast.provider_a, "client", "add", "Ruth", "Lane", "--dob", "1970-05-06")
        ok(cast.provider_a, "note", "add", "Ruth Lane", "--body", "first session")
        first = ok(cast.provider_a, "note", "list", "Ruth Lane", "-o", "json").json()[0]["id"]
        ok(cast.provider_a, "note", "add", "Ruth Lane", "--body", "addendum",
           "--addendum-to", str(first))
        (tmp_path / "scan.pdf").write_bytes(b"%PDF")
        ok(cast.provider_a, "doc", "add", "Ruth Lane", str(tmp_path / "scan.pdf"), "--title",
           "Scan", "--clinical")
        ok(cast.provider_a, "client", "share", "Ruth Lane", "--from", cast.provider_a, "--to",
           cast.provider_b, "--chart")
        read = ok(cast.provider_b, "note", "list", "Ruth Lane", "-o", "json").json()
        assert [n["body"] for n in read] == ["first session", "addendum"]
        ok(cast.provider_b, "client", "status", "Ruth Lane", "--provider", cast.provider_b,
           "--set", "active")
        ok(cast.provider_a, "client", "unshare", "Ruth Lane", "--from", cast.provider_a,
           "--to", cast.provider_b)
        assert ok(cast.provider_b, "note", "list", "Ruth Lane", "-o", "json").json() == []
        booked = ok(cast.scheduler, "appointment", "book", "--client", "Ruth Lane",
                    "--provider", cast.provider_c, "--at", "2031-03-04 10:00",
                    "--outside-availability", "-o", "json").json()
        assert booked["new_provider"] is True
        slot = ok(cast.provider_a, "availability", "find", "--client", "Ruth Lane",
                  "--therapist", cast.provider_a, "--from", "2031-03-03", "--book-first")
        assert "Booked" in slot.stderr
        ok(cast.scheduler, "appointment", "cancel",
           str(booked["appointments"][0]["id"]), "--reason", "moved")
        ok(cast.biller, "export", "appointments", "-o", "json")
        ok(cast.scheduler, "export", "calendar", "--provider", cast.provider_c, "--output",
           str(tmp_path / "lee.ics"))
        ok(cast.custodian, "export", "clients")
        ok(cast.custodian, "export", "audit", "-o", "json")
        access = ok(cast.provider_a, "client", "access", "Ruth Lane", "-o", "json").json()
        assert {row["staff"] for row in access} >= {"Sam Okafor", "Lee Park"}
        docs = ok(cast.provider_a, "doc", "list", "Ruth Lane", "-o", "json").json()
        ok(cast.provider_a, "doc", "get", str(docs[0]["id"]), "--output", str(tmp_path / "s"))
        ok(cast.custodian, "audit", "list", "--client", "Ruth Lane")
        (tmp_path / "clients.csv").write_text("first_name,last_name,dob,external_id\n"
                                              "Noor,Aziz,1992-08-09,EXT-9\n")
        ok(cast.manager, "import", "clients", str(tmp_path / "clients.csv"))
        (tmp_path / "shares.csv").write_text(f"client,from,to\nRuth Lane,{cast.provider_a},"
                                             f"{cast.provider_c}\n")
        ok(cast.manager, "client", "share", "--csv", str(tmp_path / "shares.csv"))
        ok(cast.provider_a, "client", "unshare", "Ruth Lane", "--from", cast.provider_a,
           "--to", cast.provider_b, "--remove")
        ok(cast.manager, "staff", "deactivate", "tess@riverside.example")
        ok(OWNER_EMAIL, "staff", "custodian", cast.custodian, "--provider", cast.provider_a)
        verified = ok(cast.manager, "audit", "verify", "-o", "json").json()
        assert verified["ok"] is True
        anchored = ok(cast.manager, "audit", "anchor").json()
        assert anchored["count"] == verified["events"]
        # Every event of the work above names the login's own staff member.
        actors = {row[0] for row in sql(db_url, "SELECT DISTINCT actor_id FROM audit_event")}
        bound = {row[0] for row in sql(db_url, "SELECT id FROM staff")}
        assert actors <= bound
