"""``client list --search chloe`` finds "Chloé", and names match as references without their
accents, on SQLite and PostgreSQL alike: a stored search key (migration 0005) compared
plainly, filled for every row a database had before."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest

from clinicctl.schema import SCHEMA_HEAD
from tests.fixtures.cast import OWNER_EMAIL, PRACTICE_TZ
from tests.fixtures.listings_db import CHLOE
from tests.fixtures.schedule_db import LEE


def names(result) -> list[str]:
    assert result.exit_code == 0, result.output
    return [c["name"] for c in result.json()]


# --- search ------------------------------------------------------------------------------------

@pytest.mark.parametrize("typed", ["chloe", "Chloé", "CHLOE", "chloë", "loe mar", "  chloe  ",
                                   "MARTIN"])
def test_search_matches_accents_and_case_loosely(cli, listings, typed):
    assert names(cli("client", "list", "--search", typed, "-o", "json")) == [CHLOE]


def test_search_still_finds_an_external_id_exactly(cli, listings_copy):
    assert cli("client", "edit", CHLOE, "--external-id", "MRN-77").exit_code == 0
    assert names(cli("client", "list", "--search", "MRN-77", "-o", "json")) == [CHLOE]
    assert names(cli("client", "list", "--search", "mrn-77", "-o", "json")) == []


@pytest.mark.parametrize("typed", ["%", "_", "a%n", "\\"])
def test_search_text_is_not_a_pattern(cli, listings, typed):
    """LIKE's wildcards in what was typed are plain characters: "%" is no "everyone"."""
    result = cli("client", "list", "--search", typed, "-o", "json")
    assert names(result) == []
    assert result.stderr == f"No clients match {typed!r}.\n"


def test_search_with_a_provider_and_a_status(cli, listings):
    result = cli("client", "list", "--provider", LEE, "--search", "CHLOE", "-o", "json")
    assert [(c["name"], c["status"]) for c in result.json()] == [(CHLOE, "new")]


def test_imported_and_edited_names_are_searchable(cli, listings_copy, tmp_path):
    path = tmp_path / "clients.csv"
    path.write_text("first_name,last_name,dob,external_id\nSøren,Kierkegaard,1983-05-05,K-1\n"
                    "Zoë,Ångström,1990-01-01,K-2\n", encoding="utf-8")
    imported = cli("import", "clients", str(path))
    assert imported.exit_code == 0, imported.output
    assert names(cli("client", "list", "--search", "soren", "-o", "json")) == [
        "Søren Kierkegaard"]
    assert names(cli("client", "list", "--search", "zoe angstrom", "-o", "json")) == [
        "Zoë Ångström"]
    # An import that changes the name changes what finds it.
    path.write_text("first_name,last_name,dob,external_id\nSœren,Kierkegaard,1983-05-05,K-1\n",
                    encoding="utf-8")
    assert cli("import", "clients", str(path)).exit_code == 0
    assert names(cli("client", "list", "--search", "soeren", "-o", "json")) == [
        "Sœren Kierkegaard"]
    edited = cli("client", "edit", "Zoë Ångström", "--first-name", "Chloé")
    assert edited.exit_code == 0, edited.output
    assert names(cli("client", "list", "--search", "zoe", "-o", "json")) == []
    assert sorted(names(cli("client", "list", "--search", "chloe", "-o", "json"))) == [
        CHLOE, "Chloé Ångström"]


# --- references --------------------------------------------------------------------------------

def test_a_client_reference_without_accents(cli, listings):
    ids = listings.ids
    for typed in ("Chloe Martin", "CHLOE  MARTIN", "chloé martin"):
        shown = cli("client", "show", typed, "-o", "json")
        assert shown.exit_code == 0, shown.output
        assert shown.json()["id"] == ids["chloe"]
    listed = cli("appointment", "list", "--client", "Chloe Martin", "-o", "json")
    assert [a["id"] for a in listed.json()] == [ids["a3"]]


def test_a_staff_reference_without_accents(cli, listings_copy):
    added = cli("staff", "add", "José Núñez", "--email", "jose@riverside.example", "--role",
                "provider", "-o", "json")
    assert added.exit_code == 0, added.output
    shown = cli("staff", "show", "Jose Nunez", "-o", "json")
    assert shown.exit_code == 0, shown.output
    assert shown.json()["id"] == added.json()["id"]
    acting = cli("client", "list", "-o", "json", actor="jose nunez")
    assert acting.exit_code == 0, acting.output
    listed = cli("availability", "list", "JOSE NUNEZ")
    assert (listed.exit_code, listed.stderr) == (0, "No availability blocks for JOSE NUNEZ.\n")


def test_an_exact_name_wins_over_a_loose_one(cli, listings_copy):
    added = cli("client", "add", "Chloe", "Martin", "--dob", "1999-09-09", "-o", "json")
    assert added.exit_code == 0, added.output
    plain = cli("client", "show", "chloe martin", "-o", "json")
    assert plain.json()["id"] == added.json()["id"]
    accented = cli("client", "show", "Chloé Martin", "-o", "json")
    assert accented.json()["id"] == listings_copy.ids["chloe"]
    # Both are found by a search.
    assert sorted(names(cli("client", "list", "--search", "chloe", "-o", "json"))) == [
        "Chloe Martin", CHLOE]


def test_two_loose_matches_are_ambiguous(cli, listings_copy):
    added = cli("client", "add", "Chloë", "Martin", "--dob", "1999-09-09", "-o", "json")
    assert added.exit_code == 0, added.output
    result = cli("client", "show", "Chloe Martin")
    assert result.exit_code == 3, result.output
    assert result.stderr == (
        "Error: 2 clients are named 'Chloe Martin'; use #ID or the external id\n"
        f"  #{listings_copy.ids['chloe']} Chloé Martin born 1991-02-03\n"
        f"  #{added.json()['id']} Chloë Martin born 1999-09-09\n")


def test_an_unknown_name_is_still_not_found(cli, listings):
    result = cli("client", "show", "Chloe Martinez")
    assert result.exit_code == 3
    assert result.stderr == ("Error: no client matches 'Chloe Martinez' (did you mean: "
                             "Chloé Martin?)\n")


# --- the stored key and its migration ----------------------------------------------------------

SAMPLES = ["Chloé Martin", "  ZOË   Ångström ", "Søren Łukasz", "Straße", "Æsa Œdipe",
           "Nguyễn Thị Minh", "İlkay Þór", "ﬁona", "Maya Chen", "O'Brien-Smith"]


def test_the_migration_computes_the_key_the_code_does():
    from clinicctl.people.refs import search_key

    migration = importlib.import_module("clinicctl.migrations.versions.0005_search_keys")
    for name in SAMPLES:
        assert migration.search_key(name) == search_key(name), name
    assert search_key("Chloé Martin") == "chloe martin"
    assert search_key("Straße") == "strasse"
    assert search_key("x" * 500) == "x" * 400  # the column's length


def _differences(url: str) -> list[object]:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from clinicctl.db import make_engine
    from clinicctl.models import Base

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return list(compare_metadata(
                MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata))
    finally:
        engine.dispose()


def _rows(engine, table: str) -> list[tuple[object, ...]]:
    from sqlalchemy import inspect, text

    with engine.connect() as conn:
        # The columns later revisions add: 0005's key, 0011's restriction.
        columns = [c["name"] for c in inspect(conn).get_columns(table)
                   if c["name"] not in ("search_key", "restricted")]
        listed = ", ".join(f'"{c}"' for c in columns)
        return sorted(tuple(str(v) for v in row)
                      for row in conn.execute(text(f'SELECT {listed} FROM "{table}"')))


def test_upgrade_fills_the_key_of_every_existing_row(cli, empty_db_url):
    """A database built by revision 0004 with accented names, more clients than one page of
    the back-fill: `db upgrade` keeps every row as it was and gives each its key."""
    from alembic import command
    from sqlalchemy import text

    from clinicctl import migrate
    from clinicctl.db import make_engine

    engine = make_engine(empty_db_url, create=True)
    try:
        migrate.upgrade(engine, "0004")
        now = dt.datetime(2026, 11, 30, 15, 0, tzinfo=dt.UTC)
        with engine.begin() as conn:
            stamp = now.replace(tzinfo=None) if conn.dialect.name == "sqlite" else now
            conn.execute(text("INSERT INTO practice (id, name, timezone, created_at) VALUES "
                              "(1, 'Riverside Counseling', :tz, :at)"), {"tz": PRACTICE_TZ,
                                                                        "at": stamp})
            staff = [(1, "Dana Reyes", OWNER_EMAIL, "owner"),
                     (2, "José Núñez", "jose@riverside.example", "provider")]
            for staff_id, name, email, role in staff:
                conn.execute(text(
                    "INSERT INTO staff (id, name, name_key, email, active, records_owner, "
                    "created_at) VALUES (:id, :name, :key, :email, :active, 'group', :at)"),
                    {"id": staff_id, "name": name, "key": name.casefold(), "email": email,
                     "active": True, "at": stamp})
                conn.execute(text("INSERT INTO staff_role (staff_id, role) VALUES (:id, :r)"),
                             {"id": staff_id, "r": role})
            clients = [{"id": 1, "first": "Chloé", "last": "Martin"},
                       {"id": 2, "first": "Søren", "last": "Kierkegaard"}]
            clients += [{"id": i, "first": "Pat", "last": f"Number{i}"}
                        for i in range(3, 5006)]
            conn.execute(text(
                "INSERT INTO client (id, first_name, last_name, name_key, dob, created_at) "
                "VALUES (:id, :first, :last, :key, :dob, :at)"),
                [{**c, "key": f"{c['first']} {c['last']}".casefold(),
                  "dob": dt.date(1990, 1, 1), "at": stamp} for c in clients])
            if conn.dialect.name == "postgresql":
                for table in ("staff", "client", "practice"):
                    conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', "
                                      f"'id'), (SELECT max(id) FROM {table}))"))
        before = {table: _rows(engine, table) for table in ("client", "staff")}
    finally:
        engine.dispose()

    upgraded = cli("db", "upgrade", actor=None)
    assert upgraded.exit_code == 0, upgraded.output
    assert upgraded.stderr == f"Schema upgraded from 0004 to {SCHEMA_HEAD}.\n"
    assert _differences(empty_db_url) == []
    engine = make_engine(empty_db_url)
    try:
        assert {table: _rows(engine, table) for table in ("client", "staff")} == before
        with engine.connect() as conn:
            keys = {row[0]: row[1] for row in
                    conn.execute(text("SELECT id, search_key FROM client"))}
            staff_keys = {row[0]: row[1] for row in
                          conn.execute(text("SELECT id, search_key FROM staff"))}
        assert len(keys) == 5005 and keys[1] == "chloe martin" and keys[2] == (
            "soren kierkegaard") and keys[5005] == "pat number5005"
        assert staff_keys == {1: "dana reyes", 2: "jose nunez"}
    finally:
        engine.dispose()
    assert names(cli("client", "list", "--search", "chloe", "-o", "json")) == [CHLOE]
    assert cli("staff", "show", "Jose Nunez").exit_code == 0

    # And back: 0004 without the keys, every row still there, and up again.
    engine = make_engine(empty_db_url)
    try:
        command.downgrade(migrate.alembic_config(engine), "0004")
        assert migrate.current_revision(engine) == "0004"
        assert {table: _rows(engine, table) for table in ("client", "staff")} == before
        migrate.upgrade(engine)
    finally:
        engine.dispose()
    assert _differences(empty_db_url) == []
    assert names(cli("client", "list", "--search", "soren", "-o", "json")) == [
        "Søren Kierkegaard"]


def test_a_staff_login_changes_a_name_and_its_key(db_url, open_session, tmp_path):
    """PostgreSQL: a login that may change a name may change its search key too (the
    column grant of 0005), through `client edit` and `import staff`."""
    if not db_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only")
    from tests.fixtures.cast import populate_cast
    from tests.fixtures.pg_logins import logins_for, run_as

    cast = populate_cast(open_session)
    with logins_for(db_url) as logins:
        logins.bind(cast.manager)
        url = logins.url_of(cast.manager)
        edited = run_as(url, "client", "edit", cast.client, "--first-name", "Míra")
        assert edited.exit_code == 0, edited.output
        found = run_as(url, "client", "list", "--search", "mira chen", "-o", "json")
        assert [c["name"] for c in found.json()] == ["Míra Chen"]
        path = tmp_path / "staff.csv"
        path.write_text(f"email,name\n{cast.provider_b},Ánna Ruíz\n", encoding="utf-8")
        imported = run_as(url, "import", "staff", str(path))
        assert imported.exit_code == 0, imported.output
        shown = run_as(url, "staff", "show", "anna ruiz", "-o", "json")
        assert shown.exit_code == 0, shown.output
        assert shown.json()["name"] == "Ánna Ruíz"


# --- the database computes the keys the code does (PostgreSQL) ---------------------------------

NAMES = SAMPLES + [
    "Chloé Martin", "chloe martin", "CHLOÉ  MARTIN", "Chlo\u0065\u0301 Martin", "Zoë", "Noël",
    "François Ça", "Đặng Văn Lâm", "Trần Hưng Đạo", "Phạm Thị Hồng Nhung", "Ngô Bảo Châu",
    "ǅemal Ǉubić", "Dvořák", "Łódź Wałęsa", "Øystein Ærø", "Þórður Guðmundsdóttir",
    "Œuvre Cœur", "Straße ẞ", "ﬀolk ﬃ ﬆ", "Ĳsbrand", "Ħal Ġarġ", "İzmir ıĞ", "Ångström",
    "Ῥόδος ᾼ ᾳ ΐ", "Σίσυφος ΣΟΦΟΣ", "Ἀθηνᾶ", "Дми́трий Ёлкин", "ЙОГУРТ", "Ґанна Їжак",
    "שָׁלוֹם כהן", "مُحَمَّد عَلِيّ", "김민준 한", "山田 太郎", "ｔａｎａｋａ　ﾀﾛｳ", "李 小龍",
    "😀 Smile", "👩\u200d⚕️ Doc", "x\u0301\u0323\u0302y", "a\u0345b", "\u0345",
    "tab\tname", "new\nline", "nbsp\u00a0name", "\u2003em\u2002en\u3000ideo\u205f",
    "\u1680ogham\u180e", "zero\u200bwidth", " \u00a0 lead trail \u2029 ", "x\u00a8y \u00b4",
    "ǰ ŉ ẖ", "ᏸ ꭰ Ᏸ", "ǈ ǋ ǲ", "ℌ ℍ K Å ™ ½ ²", "𝔄𝔟𝔠 𝐀", "𐐀𐐨", "\u1e9e\u00df", "x" * 450,
    "é" * 450, "ﬃ" * 150, "",
]


@pytest.fixture
def pg_url(db_url):
    if not db_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only")
    return db_url


def test_the_database_computes_the_name_keys_the_code_does(pg_url):
    """`clinicctl_name_key` and `clinicctl_search_key` (0005) give `refs.name_key` and
    `refs.search_key` for names in many scripts and spacings."""
    from clinicctl.people.refs import name_key, search_key
    from tests.fixtures.pg_logins import sql

    rows = sql(pg_url, "SELECT n, clinicctl_name_key(n), clinicctl_search_key(n) "
                       "FROM unnest(%s::text[]) AS n", (NAMES,))
    assert [(n, name_key(n), search_key(n)) for n in NAMES] == rows
    assert {n: k for n, _, k in rows}["Straße ẞ"] == "strasse ss"


def test_the_database_keys_every_character_as_the_code_does(pg_url):
    """The keys are built letter by letter (whitespace aside), so agreeing on every assigned
    character, alone and inside a name, is agreeing on every name."""
    import unicodedata

    from clinicctl.people.refs import name_key, search_key
    from tests.fixtures.pg_logins import sql

    characters = [chr(code) for code in range(1, 0x110000)
                  if unicodedata.category(chr(code)) not in ("Cn", "Cs", "Co")]
    texts = characters + [f"A{c}b" for c in characters[::7]]
    rows = sql(pg_url, "SELECT clinicctl_name_key(n), clinicctl_search_key(n) "
                       "FROM unnest(%s::text[]) AS n", (texts,))
    wrong = [(t, row) for t, row in zip(texts, rows, strict=True)
             if row != (name_key(t), search_key(t))]
    assert wrong == []
