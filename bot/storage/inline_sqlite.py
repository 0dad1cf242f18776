"""A SQLite connection for SQLAlchemy's aiosqlite dialect that runs each call on the event loop.

aiosqlite runs every call (cursor, execute, fetch, close) on a worker thread and wakes the event
loop for each result: about four thread hand-offs per statement, which cost more than the
statement itself (a local WAL SQLite file answers a keyed read or write in microseconds). The
bench showed the hand-offs and loop wake-ups as the largest single cost of a command. Here the
same calls run inline; the dialect, its SQL and its error classes stay aiosqlite's.

Safe because nothing in this process waits on SQLite's lock while holding the loop:
`Database.session()` queues this process's writers on an asyncio lock before BEGIN IMMEDIATE,
and reads run in WAL and never wait for a writer. Only another process writing the same file
(which "one bot per token" rules out; `bot backup` only reads) can make a statement wait, for
at most busy_timeout (2 s, db.py), and the callers retry with a back-off that yields.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from typing import Any


class _InlineQueue:
    """Stands in for aiosqlite's request queue, which the dialect uses to set isolation_level."""

    def put_nowait(self, item: tuple[asyncio.Future[Any], Callable[[], Any]]) -> None:
        """Run the request now and resolve its future."""
        future, function = item
        try:
            future.set_result(function())
        except Exception as exc:  # handed to the awaiting caller, as aiosqlite does
            future.set_exception(exc)


class InlineCursor:
    """aiosqlite's Cursor surface over a sqlite3 cursor, without the thread."""

    __slots__ = ("_cursor",)

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    async def __aenter__(self) -> InlineCursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._cursor.close()

    async def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> InlineCursor:
        """Run one statement."""
        if parameters is None:
            self._cursor.execute(sql)
        else:
            self._cursor.execute(sql, parameters)
        return self

    async def executemany(self, sql: str, parameters: Iterable[Sequence[Any]]) -> InlineCursor:
        """Run one statement for each parameter set."""
        self._cursor.executemany(sql, parameters)
        return self

    async def fetchone(self) -> Any:
        """The next row, or None."""
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        """Up to `size` rows."""
        return self._cursor.fetchmany(size if size is not None else self._cursor.arraysize)

    async def fetchall(self) -> list[Any]:
        """The remaining rows."""
        return self._cursor.fetchall()

    async def close(self) -> None:
        """Release the cursor."""
        self._cursor.close()

    async def setinputsizes(self, *sizes: Any) -> None:
        """Nothing to do for SQLite."""

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value


class InlineConnection:
    """aiosqlite's Connection surface over a sqlite3 connection, without the thread."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        # The dialect checks `_connection` before commit/rollback and queues on `_tx`.
        self._connection: sqlite3.Connection | None = conn
        self._tx = _InlineQueue()

    def cursor(self) -> InlineCursor:
        """A new cursor (entered by the dialect with `async with`)."""
        return InlineCursor(self._conn.cursor())

    async def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> InlineCursor:
        """Run one statement on a new cursor."""
        return await self.cursor().execute(sql, parameters)

    async def commit(self) -> None:
        """Commit the open transaction."""
        self._conn.commit()

    async def rollback(self) -> None:
        """Roll back the open transaction."""
        self._conn.rollback()

    async def close(self) -> None:
        """Close once; later calls do nothing."""
        if self._connection is not None:
            self._connection = None
            self._conn.close()

    def stop(self) -> None:
        """Close at once (the dialect's forced terminate)."""
        if self._connection is not None:
            self._connection = None
            self._conn.close()

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        """Register a SQL function."""
        self._conn.create_function(*args, **kwargs)

    @property
    def isolation_level(self) -> str | None:
        return self._conn.isolation_level


def creator(path: str) -> Callable[[], Any]:
    """An `async_creator` for create_async_engine that opens `path` with an inline connection."""

    async def connect() -> InlineConnection:
        # As aiosqlite opens it: check_same_thread off (its worker thread differs from the
        # creator's; ours is the loop's, which is harmless to keep), legacy transactions.
        return InlineConnection(sqlite3.connect(path, check_same_thread=False))

    return connect
