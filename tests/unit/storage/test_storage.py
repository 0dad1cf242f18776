"""Storage: migrations on a fresh and a newer database, repositories, SQLite pragmas."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.storage.db import Database, SchemaTooNewError
from bot.storage.repositories import Repos

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


@pytest.fixture
async def db(tmp_path: Path):  # type: ignore[no-untyped-def]
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'sub' / 'n.sqlite3'}")
    await database.migrate()
    yield database
    await database.close()


async def test_migrate_creates_folder_tables_and_pragmas(db: Database) -> None:
    async with db.engine.connect() as conn:
        tables = {r[0] for r in await conn.execute(text("SELECT name FROM sqlite_master"))}
        mode = (await conn.execute(text("PRAGMA journal_mode"))).scalar()
        fks = (await conn.execute(text("PRAGMA foreign_keys"))).scalar()
    assert {"users", "workspaces", "memberships", "notifications", "alembic_version"} <= tables
    assert mode == "wal" and fks == 1


async def test_migrate_twice_is_harmless(db: Database) -> None:
    await db.migrate()


async def test_newer_database_is_refused_untouched(db: Database) -> None:
    async with db.session() as s:
        await s.execute(text("UPDATE alembic_version SET version_num='9999_future'"))
    with pytest.raises(SchemaTooNewError):
        await db.migrate()
    async with db.engine.connect() as conn:
        version = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar()
    assert version == "9999_future"


async def test_users_and_workspaces_round_trip(db: Database) -> None:
    async with db.session() as s:
        repos = Repos(s)
        user, created = await repos.users.seen(
            7, first_name="Анна", username="anna", tg_language="ru", now=NOW
        )
        assert created and user.timezone is None and user.weekend_reminders
        ws = await repos.workspaces.create("Анна", 7, NOW)
        await repos.users.update(7, NOW, timezone="Asia/Vladivostok", current_workspace_id=ws.id)
    async with db.session() as s:
        repos = Repos(s)
        user = await repos.users.get(7)
        assert user is not None and user.timezone == "Asia/Vladivostok"
        assert (await repos.workspaces.membership(ws.id, 7)).role == "owner"  # type: ignore[union-attr]
        _, again = await repos.users.seen(
            7, first_name="Анна", username="anna", tg_language="ru", now=NOW
        )
        assert not again


async def test_rollback_stores_nothing(db: Database) -> None:
    with pytest.raises(RuntimeError):
        async with db.session() as s:
            await Repos(s).users.seen(8, first_name="X", username=None, tg_language=None, now=NOW)
            raise RuntimeError("handler failed")
    async with db.session() as s:
        assert await Repos(s).users.get(8) is None


async def test_outbox_orders_and_postpones(db: Database) -> None:
    async with db.session() as s:
        out = Repos(s).outbox
        await out.add(1, {"text": "a"}, kind="t", now=NOW)
        await out.add(1, {"text": "b"}, kind="t", now=NOW)
        await out.add(2, {"text": "c"}, kind="t", now=NOW, not_before=NOW + timedelta(hours=1))
    async with db.session() as s:
        out = Repos(s).outbox
        assert [n.payload_dict()["text"] for n in await out.due(NOW, 10)] == ["a", "b"]
        await out.postpone_chat(1, NOW + timedelta(seconds=30))
        assert await out.due(NOW, 10) == []
        count, oldest = await out.stats()
        assert count == 3 and oldest == NOW
