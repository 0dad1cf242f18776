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
async def db(database_url: str):  # type: ignore[no-untyped-def]
    database = Database(database_url)
    await database.migrate()
    yield database
    await database.close()


@pytest.mark.sqlite_only
async def test_migrate_creates_folder_tables_and_pragmas(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'sub' / 'n.sqlite3'}")
    await db.migrate()
    async with db.engine.connect() as conn:
        tables = {r[0] for r in await conn.execute(text("SELECT name FROM sqlite_master"))}
        mode = (await conn.execute(text("PRAGMA journal_mode"))).scalar()
        fks = (await conn.execute(text("PRAGMA foreign_keys"))).scalar()
    assert {"users", "workspaces", "memberships", "notifications", "alembic_version"} <= tables
    await db.close()
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


async def test_a_new_empty_database_is_announced_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "fresh.sqlite3"
    database = Database(f"sqlite+aiosqlite:///{path}")
    try:
        with caplog.at_level("INFO", logger="bot.storage.db"):
            await database.migrate()
            await database.migrate()  # the second start finds the data: no announcement
        created = [r for r in caplog.records if "created a new empty database" in r.getMessage()]
        assert len(created) == 1
        assert created[0].levelname == "WARNING" and str(path.resolve()) in created[0].getMessage()
    finally:
        await database.close()


def lose(path: Path, how: str) -> None:
    """Delete the database file (with its WAL); "replaced" puts another file in its place."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    if how == "replaced":
        path.write_bytes(b"")


@pytest.mark.parametrize("how", ["deleted", "replaced"])
async def test_a_database_file_lost_while_running_is_noticed_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, how: str
) -> None:
    path = tmp_path / "n.sqlite3"
    database = Database(f"sqlite+aiosqlite:///{path}")
    await database.migrate()
    try:
        assert database.check_file() and not database.lost
        lose(path, how)
        with caplog.at_level("ERROR", logger="bot.storage.db"):
            assert not database.check_file()
            assert not database.check_file()
        assert database.lost is not None and how in database.lost
        errors = [r for r in caplog.records if r.levelname == "ERROR"]
        assert len(errors) == 1 and str(path.resolve()) in errors[0].getMessage()
    finally:
        await database.close()


async def test_other_databases_are_not_watched() -> None:
    database = Database("sqlite+aiosqlite:///:memory:")
    try:
        await database.migrate()
        assert database.check_file() and database.lost is None
    finally:
        await database.close()


async def test_migrations_build_exactly_the_models(database_url: str) -> None:
    """The schema the migrations make is the one the models describe (no forgotten column,
    index or nullability), so a fresh database and an upgraded one are the same; on PostgreSQL
    the column types too (instants as timestamptz, money as numeric)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from bot.storage.models import Base

    db = Database(database_url)
    await db.migrate()
    strict = not db.is_sqlite  # SQLite's reflected types are only affinities
    try:
        async with db.engine.connect() as conn:
            diff = await conn.run_sync(
                lambda c: compare_metadata(
                    MigrationContext.configure(c, opts={"compare_type": strict}), Base.metadata
                )
            )
    finally:
        await db.close()
    assert diff == []


@pytest.mark.postgresql_only
async def test_postgresql_columns_are_timestamptz_and_numeric(database_url: str) -> None:
    """Instants are stored with their zone and money as exact numeric on PostgreSQL."""
    db = Database(database_url)
    await db.migrate()
    try:
        async with db.engine.connect() as conn:
            found = dict(
                (
                    await conn.execute(
                        text(
                            "SELECT table_name || '.' || column_name, data_type "
                            "FROM information_schema.columns WHERE table_schema = 'public'"
                        )
                    )
                ).all()
            )
    finally:
        await db.close()
    assert found["reminders.due_at"] == "timestamp with time zone"
    assert found["invoices.amount"] == "numeric" and found["payments.amount"] == "numeric"
    assert "timestamp without time zone" not in found.values()
