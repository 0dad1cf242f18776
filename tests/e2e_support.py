"""Runs the real `python -m bot` process against the fake Bot API server."""

from __future__ import annotations

import asyncio
import inspect
import os
import re
import signal
import sqlite3
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

from bot.storage.coordination import libpq_url
from tests.fakeapi import FakeTelegram

TOKEN = "123456:TEST-TOKEN-abcdefghijklmnopqrstu"
ROOT = Path(__file__).resolve().parent.parent


def bot_env(fake: FakeTelegram | None, workdir: Path, **extra: str) -> dict[str, str]:
    """A clean environment for the bot: no developer .env, a temporary database.

    A test on either backend passes its database: `bot_env(fake, tmp_path,
    DATABASE_URL=database_url)`; without one it is a SQLite file in the work folder."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(workdir),
        "PYTHONPATH": str(ROOT),
        "PYTHONUNBUFFERED": "1",
        "BOT_TOKEN": TOKEN,
        "DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'nudge.sqlite3'}",
        "LOG_LEVEL": "INFO",
        "POLLING_TIMEOUT": "2",
    }
    if fake is not None:
        env["TELEGRAM_API_URL"] = fake.url
    env.update(extra)
    return {k: v for k, v in env.items() if v is not None}


class BotProcess:
    """One `python -m bot` child; its output goes to a log file in the work folder."""

    def __init__(self, env: dict[str, str], workdir: Path) -> None:
        self.env = env
        self.workdir = workdir
        self.proc: asyncio.subprocess.Process | None = None
        self.log_path = workdir / "bot.log"

    async def start(self) -> BotProcess:
        """Spawn the bot (cwd = the work folder, so no stray .env is read)."""
        log = open(self.log_path, "ab")
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", cwd=self.workdir, env=self.env, stdout=log, stderr=log
        )
        log.close()
        return self

    async def kill(self) -> None:
        """SIGKILL: no clean-up at all, as in a crash."""
        assert self.proc is not None
        self.proc.kill()
        await self.proc.wait()

    async def terminate(self, timeout: float = 20.0) -> int:
        """SIGTERM and wait for the exit code."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        return await asyncio.wait_for(self.proc.wait(), timeout)

    def log(self) -> str:
        """Everything the process printed so far."""
        return self.log_path.read_text(errors="replace")

    async def ensure_dead(self) -> None:
        """Kill the child if a test left it running."""
        if self.proc is not None and self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()


async def run_to_exit(env: dict[str, str], workdir: Path, timeout: float = 30.0) -> tuple[int, str]:
    """Run the bot until it exits by itself; (exit code, stderr)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        cwd=workdir,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _out, err = await asyncio.wait_for(proc.communicate(), timeout)
    assert proc.returncode is not None
    return proc.returncode, err.decode()


async def wait_until(
    predicate: Callable[[], bool | Awaitable[bool]], timeout: float = 15.0, what: str = "condition"
) -> None:
    """Poll a cheap condition (a log line, a file, a query) until it holds or the deadline
    passes; the predicate may be a coroutine function."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        held = predicate()
        if inspect.isawaitable(held):
            held = await held
        if held:
            return
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


def delivered_count(process: BotProcess, chat_id: int) -> int:
    """How many messages to `chat_id` the bot has recorded as delivered (from its log)."""
    return process.log().count(f"delivered chat={chat_id} ")


# ------------------------------------------------------------------ the bot's database

# How SQLAlchemy keeps an instant in SQLite (naive UTC, always with microseconds); rows read
# from PostgreSQL come back in this form too, so a test compares one form on both backends.
STAMP = "%Y-%m-%d %H:%M:%S.%f"
# A `?` placeholder, or a quoted SQL literal to leave alone.
_PLACEHOLDER = re.compile(r"'(?:[^']|'')*'|\?")


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def sqlite_path(url: str) -> Path:
    """The file of a SQLite URL."""
    database = make_url(url).database
    assert is_sqlite(url) and database, url
    return Path(database)


def stamp(at: datetime) -> str:
    """An aware instant as the bot's SQLite column holds it."""
    return at.astimezone(UTC).strftime(STAMP)


def unstamp(value: str) -> datetime:
    """A value read back by `query` as an aware UTC instant."""
    return datetime.strptime(value, STAMP).replace(tzinfo=UTC)


def _sqlite_arg(value: Any) -> Any:
    if isinstance(value, datetime):
        return stamp(value)
    if isinstance(value, Decimal):
        return str(value)
    return value


def _as_sqlite_gives_it(value: Any) -> Any:
    """A PostgreSQL value in the form SQLite returns for the same column."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, datetime):
        return stamp(value)
    if isinstance(value, Decimal):
        return str(value)
    return value


def _numbered(sql: str) -> str:
    """`?` placeholders as asyncpg's `$1`, `$2`, ..."""
    count = 0

    def number(found: re.Match[str]) -> str:
        nonlocal count
        if found.group() != "?":
            return found.group()
        count += 1
        return f"${count}"

    return _PLACEHOLDER.sub(number, sql)


def _run_sqlite(path: Path, sql: str, args: list[Any]) -> tuple[list[tuple], int]:
    # WAL lets a reader in while the bot runs; a writer waits for the bot's transaction.
    conn = sqlite3.connect(path, timeout=30)
    try:
        with conn:
            cursor = conn.execute(sql, args)
            return cursor.fetchall(), cursor.rowcount
    finally:
        conn.close()


async def _run(url: str, sql: str, args: tuple[Any, ...]) -> tuple[list[tuple], int]:
    """Run one statement in its own transaction: (rows, rows changed)."""
    if is_sqlite(url):
        # In a thread: a write waiting for the bot's lock must not stop the fake Telegram,
        # which runs on this event loop and may be what the bot's transaction waits for.
        params = [_sqlite_arg(a) for a in args]
        return await asyncio.to_thread(_run_sqlite, sqlite_path(url), sql, params)
    conn = await asyncpg.connect(libpq_url(url))
    try:
        statement = await conn.prepare(_numbered(sql))
        found = await statement.fetch(*args)
        changed = statement.get_statusmsg().split()[-1]
        rows = [tuple(_as_sqlite_gives_it(v) for v in row.values()) for row in found]
        return rows, int(changed) if changed.isdigit() else 0
    finally:
        await conn.close()


async def query(url: str, sql: str, *args: Any) -> list[tuple]:
    """The rows of one statement on the bot's database, SQLite or PostgreSQL, in SQLite's forms
    (instants as naive UTC text, see STAMP; money as decimal text; truth as 1/0).

    `?` are the placeholders on both backends; pass instants as aware datetimes. Portable SQL
    only: no sqlite_master, no SQLite date functions, `= true` for booleans."""
    rows, _changed = await _run(url, sql, args)
    return rows


async def execute(url: str, sql: str, *args: Any) -> int:
    """Change the bot's database under it (one committed statement); the rows changed."""
    _rows, changed = await _run(url, sql, args)
    return changed
