"""The Alembic revision the code expects, readable without importing Alembic.

Data commands compare it with the database's ``alembic_version`` so they never run on an old
schema; a test checks it equals the head of ``clinicctl/migrations/versions``.
"""

SCHEMA_HEAD = "0004"
