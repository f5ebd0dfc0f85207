"""Client groups under row-level security (PostgreSQL): what each role's login is shown by
`group list` and `group show` is exactly what the database lets the same login select, and
raw SQL cannot write a colleague's group."""

from __future__ import annotations

import pytest

from tests.fixtures.cast import OWNER_EMAIL
from tests.fixtures.pg_logins import logins_for, refused, run_as, sql, staff_id

pytestmark = pytest.mark.skipif(
    "os.environ.get('CLINICCTL_TEST_DB', 'sqlite').strip() in ('', 'sqlite')",
    reason="database logins and row-level security are PostgreSQL's",
)

ROLES = ("owner", "manager", "scheduler", "biller", "custodian", "scoped_custodian",
         "provider_a", "provider_b", "provider_c", "provider_own")


@pytest.fixture
def practice(cli, cast, db_url):
    for args in [("client", "add", "Tia", "Ross", "--dob", "2008-02-03", "--provider",
                  cast.provider_c),
                 ("group", "add", "Anxiety", "--provider", cast.provider_a, "--client",
                  f"#{cast.client_id}"),
                 ("group", "add", "Teens", "--provider", cast.provider_c, "--client",
                  "Tia Ross", "--client", f"#{cast.client_id}"),
                 ("group", "add", "Grief", "--provider", cast.provider_b),
                 ("group", "members", "Teens", "--remove", f"#{cast.client_id}"),
                 ("group", "archive", "Grief")]:
        done = cli(*args)
        assert done.exit_code == 0, done.output
    with logins_for(db_url) as logins:
        for role in ROLES:
            logins.bind(getattr(cast, role))
        yield cast, logins


@pytest.mark.parametrize("role", ROLES)
def test_cli_and_raw_sql_show_the_same_groups(practice, role):
    cast, logins = practice
    url = logins.url_of(getattr(cast, role))
    listed = run_as(url, "group", "list", "--archived", "-o", "json")
    assert listed.exit_code == 0, listed.output
    groups = sql(url, "SELECT id, name, provider_id FROM client_group ORDER BY id")
    assert sorted((g["id"], g["name"], g["provider_id"]) for g in listed.json()) == groups
    members = set()
    for group_id, _, _ in groups:
        shown = run_as(url, "group", "show", f"#{group_id}", "-o", "json")
        assert shown.exit_code == 0, shown.output
        members |= {(group_id, m["client_id"]) for m in shown.json()["members"]}
    assert members == set(sql(url, "SELECT group_id, client_id FROM client_group_member "
                                   "WHERE left_at IS NULL"))
    # Every stretch the login sees, past ones included, belongs to a group it sees.
    assert {r[0] for r in sql(url, "SELECT group_id FROM client_group_member")} <= \
        {g[0] for g in groups}
    expected = {"owner": 3, "manager": 3, "scheduler": 3, "biller": 3, "custodian": 3,
                "scoped_custodian": 1, "provider_a": 1, "provider_b": 1, "provider_c": 1,
                "provider_own": 0}
    assert len(groups) == expected[role]


def test_a_bystander_provider_sees_no_row(practice):
    cast, logins = practice
    url = logins.url_of(cast.provider_own)
    assert sql(url, "SELECT count(*) FROM client_group") == [(0,)]
    assert sql(url, "SELECT count(*) FROM client_group_member") == [(0,)]
    shown = run_as(url, "group", "show", "Anxiety")
    assert shown.exit_code == 3, shown.output


def test_a_provider_cannot_write_a_colleagues_group_in_raw_sql(practice, db_url):
    cast, logins = practice
    ana = logins.url_of(cast.provider_b)
    sam, ana_id = staff_id(db_url, cast.provider_a), staff_id(db_url, cast.provider_b)
    assert "row-level security" in refused(
        ana, "INSERT INTO client_group (name, name_key, provider_id, service_code, "
        "created_by_id, created_at) VALUES ('Sam''s', 'sam''s', %s, '90853', %s, now())",
        (sam, ana_id))
    anxiety = sql(db_url, "SELECT id FROM client_group WHERE name = 'Anxiety'")[0][0]
    assert "row-level security" in refused(
        ana, "INSERT INTO client_group_member (group_id, client_id, joined_at, added_by_id) "
        "VALUES (%s, %s, now(), %s)", (anxiety, cast.client_id, ana_id))
    # Her own group's provider cannot be changed to a colleague, nor a member deleted.
    assert "permission denied" in refused(
        ana, "UPDATE client_group SET provider_id = %s", (sam,))
    assert "permission denied" in refused(ana, "DELETE FROM client_group_member")
    # Her archived group takes no members, even in raw SQL.
    grief = sql(db_url, "SELECT id FROM client_group WHERE name = 'Grief'")[0][0]
    assert "row-level security" in refused(
        ana, "INSERT INTO client_group_member (group_id, client_id, joined_at, added_by_id) "
        "VALUES (%s, %s, now(), %s)", (grief, cast.client_id, ana_id))


def test_a_provider_login_manages_their_own_group(practice):
    cast, logins = practice
    sam = logins.url_of(cast.provider_a)
    made = run_as(sam, "group", "add", "Evening", "--provider", cast.provider_a,
                  "--client", f"#{cast.client_id}")
    assert made.exit_code == 0, made.output
    removed = run_as(sam, "group", "members", "Evening", "--remove", f"#{cast.client_id}")
    assert removed.exit_code == 0, removed.output
    archived = run_as(sam, "group", "archive", "Evening")
    assert archived.exit_code == 0, archived.output
    taken = run_as(sam, "group", "add", "teens", "--provider", cast.provider_a)
    assert taken.exit_code == 5, taken.output
    assert taken.stderr == "Error: a client group with this name already exists\n"
    owner = run_as(logins.url_of(OWNER_EMAIL), "group", "show", "Evening", "-o", "json")
    assert owner.json()["archived"] is True
