"""The inline SQLite driver: statements run on the event loop's thread, with the same results
and errors as aiosqlite through SQLAlchemy."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from bot.storage.db import Database


async def test_statements_run_on_the_loop_thread_with_normal_results(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'x.sqlite3'}")
    threads: list[int] = []
    try:
        async with db.session() as session:
            conn = await session.connection()
            raw = await conn.get_raw_connection()
            await conn.run_sync(
                lambda _c: raw.driver_connection._conn.create_function(  # type: ignore[union-attr]
                    "where_am_i", 0, lambda: threads.append(threading.get_ident()) or 1
                )
            )
            await session.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT UNIQUE)"))
            inserted = await session.execute(text("INSERT INTO t (v) VALUES ('a'), ('b')"))
            assert inserted.rowcount == 2
            rows = (await session.execute(text("SELECT v, where_am_i() FROM t ORDER BY id"))).all()
            assert [r[0] for r in rows] == ["a", "b"]
        assert threads and set(threads) == {threading.get_ident()}
        with pytest.raises(IntegrityError):
            async with db.session() as session:
                await session.execute(text("INSERT INTO t (v) VALUES ('a')"))
        async with db.reader() as session:
            assert (await session.execute(text("SELECT count(*) FROM t"))).scalar() == 2
            journal = (await session.execute(text("PRAGMA journal_mode"))).scalar()
            assert journal == "wal"
    finally:
        await db.close()
