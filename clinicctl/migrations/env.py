"""Alembic environment: the engine comes from clinicctl, never from an ini file."""

from alembic import context

from clinicctl.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    engine = config.attributes["engine"]
    # BEGIN IMMEDIATE on SQLite comes from the engine's begin event, so a migration
    # never races a writer.
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("clinicctl migrations run online only")
run_migrations_online()
