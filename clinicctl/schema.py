"""The Alembic revision the code expects, readable without importing Alembic.

Data commands compare it with the database's ``alembic_version`` so they never run on an old
schema; a test checks it equals the head of ``clinicctl/migrations/versions``.
"""

SCHEMA_HEAD = "0011"
# Every revision this code has migrations for, oldest first: a database at any other one was
# upgraded by a newer clinicctl.
KNOWN_REVISIONS = ("0001", "0002", "0003", "0004", "0005", "0006", "0007", "0008", "0009",
                   "0010", "0011")
