"""Alembic environment: runs on the connection the bot hands over, or opens its own."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from bot.storage.models import Base

config = context.config
target_metadata = Base.metadata


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    """Configure the context on a connection and migrate."""
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    # Offline tooling (`alembic revision --autogenerate`) uses a sync driver.
    url = config.get_main_option("sqlalchemy.url").replace("+aiosqlite", "")
    with create_engine(url).connect() as conn:
        _run(conn)
        conn.commit()
