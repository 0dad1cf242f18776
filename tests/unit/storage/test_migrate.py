"""Migrations on PostgreSQL under concurrency: one process upgrades, the others wait for it."""

from __future__ import annotations

import asyncio

import asyncpg
from sqlalchemy import text

from bot.storage.coordination import libpq_url
from bot.storage.db import MIGRATION_LOCK_KEY, SCHEMA_HEAD, Database
from tests import pgserver


async def _versions(url: str) -> list[str]:
    """Every row of alembic_version."""
    db = Database(url)
    try:
        async with db.engine.connect() as conn:
            return list(
                (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalars()
            )
    finally:
        await db.close()


async def test_processes_starting_at_once_migrate_an_empty_database_once(
    postgres_server: pgserver.Server,
) -> None:
    async with pgserver.database(postgres_server, migrated=False) as url:
        first, second = Database(url), Database(url)
        try:
            revisions = await asyncio.gather(first.migrate(), second.migrate())
        finally:
            await first.close()
            await second.close()
        assert revisions == [SCHEMA_HEAD, SCHEMA_HEAD]
        assert await _versions(url) == [SCHEMA_HEAD]


async def test_migrate_waits_while_another_process_holds_the_lock(
    postgres_server: pgserver.Server,
) -> None:
    async with pgserver.database(postgres_server, migrated=False) as url:
        other = await asyncpg.connect(libpq_url(url))
        db = Database(url)
        try:
            await other.execute(f"SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})")
            migrating = asyncio.create_task(db.migrate())
            await asyncio.sleep(0.5)
            assert not migrating.done()  # waiting for the lock, not upgrading alongside
            await other.execute(f"SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})")
            assert await asyncio.wait_for(migrating, 30) == SCHEMA_HEAD
            # Released afterwards: another process can take it at once.
            assert await other.fetchval(f"SELECT pg_try_advisory_lock({MIGRATION_LOCK_KEY})")
        finally:
            await other.close()
            await db.close()
