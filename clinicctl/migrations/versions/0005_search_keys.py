"""search keys: names without accents, for loose search and references

Revision ID: 0005
Revises: 0004

``client list --search chloe`` finds "Chloé", and "Chloe Martin" names her as a reference:
``client.search_key`` and ``staff.search_key`` hold the name key without accents
(``clinicctl.people.refs.search_key``), so the comparison is a plain one on SQLite and
PostgreSQL alike (PostgreSQL's ``unaccent`` is an extension a practice's server may lack).
Every existing row gets its key here; no other value changes.

The key is computed by this revision's own copy of the rule, as it stood when the revision
was written: a later change to the rule comes with its own migration, and this one still
means what it did (tests/cli/test_loose_search.py checks the two agree today).
"""

import re
import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STAFF_ROLE = "clinicctl_staff"  # migration 0004
PAGE = 5000
LENGTH = 400
PLAIN_LETTERS = str.maketrans({"ø": "o", "ł": "l", "đ": "d", "ħ": "h", "ı": "i", "æ": "ae",
                               "œ": "oe", "þ": "th", "ð": "d"})


def search_key(*parts: str) -> str:
    """The name key (lower-cased, whitespace collapsed) without accents."""
    key = re.sub(r"\s+", " ", " ".join(parts)).strip().casefold()
    plain = "".join(c for c in unicodedata.normalize("NFKD", key)
                    if not unicodedata.combining(c))
    return plain.translate(PLAIN_LETTERS).casefold()[:LENGTH]


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in ("client", "staff"):
        # A plain ADD COLUMN (never a batch copy of the table, which on SQLite drops and
        # recreates a table others reference); the default only fills the rows until they
        # get their key below.
        op.add_column(table, sa.Column("search_key", sa.String(400), nullable=False,
                                       server_default=""))
    _fill("client", ("first_name", "last_name"))
    _fill("staff", ("name",))
    for table in ("client", "staff"):
        op.create_index(f"ix_{table}_search_key", table, ["search_key"])
        if postgres:
            op.alter_column(table, "search_key", server_default=None)
            # Logins that may change a name change its key with it (the policies of 0004).
            op.execute(f"GRANT UPDATE (search_key) ON {table} TO {STAFF_ROLE}")


def _fill(table: str, names: tuple[str, ...]) -> None:
    """Every row's key, a page of rows at a time (one UPDATE statement a page)."""
    bind = op.get_bind()
    rows = sa.table(table, sa.column("id"), sa.column("search_key"),
                    *(sa.column(name) for name in names))
    last = 0
    while True:
        page = bind.execute(sa.select(rows.c.id, *(rows.c[name] for name in names))
                            .where(rows.c.id > last).order_by(rows.c.id).limit(PAGE)).all()
        if not page:
            return
        bind.execute(rows.update().where(rows.c.id == sa.bindparam("row_id"))
                     .values(search_key=sa.bindparam("key")),
                     [{"row_id": row[0], "key": search_key(*row[1:])} for row in page])
        last = page[-1][0]


def downgrade() -> None:
    for table in ("staff", "client"):
        op.drop_index(f"ix_{table}_search_key", table_name=table)
        op.drop_column(table, "search_key")
