"""Several bot processes on one PostgreSQL: who delivers (an advisory lock), and waking the
others after a commit (LISTEN/NOTIFY). SQLite has one process, which always leads."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage import backup
from bot.storage.db import SERVER_SETTINGS

log = logging.getLogger("nudge.coordination")

# A fixed key of pg_advisory_lock for delivery and the alarm (db.MIGRATION_LOCK_KEY is "+ 2").
LEADER_KEY = 0x6E75_6467_6501  # "nudge" + 1
CHANNEL = "nudge_wake"
# How often a follower tries to take over, and a leader checks its connection still holds the
# lock: a dead leader's lock goes with its connection, so another takes over within this.
CHECK_SECONDS = 2.0
# A new leader waits this long before its first send: the leader it replaces, if alive but
# cut off, has noticed by then (its check runs every CHECK_SECONDS) and stopped sending.
TAKEOVER_GRACE = 1.5 * CHECK_SECONDS
# How long an update waits for its chat's lock before the attempt fails (and is retried).
LOCK_WAIT = "10s"
# Who sent a notification: an instance ignores its own.
INSTANCE = uuid.uuid4().hex

SINGLE, LEADER, FOLLOWER = "single", "leader", "follower"


def libpq_url(url: str) -> str:
    """A SQLAlchemy PostgreSQL URL as asyncpg itself takes it (no '+driver', sslmode)."""
    return backup.libpq_url(url).render_as_string(hide_password=False)


async def wake_others(session: AsyncSession) -> None:
    """Tell the other instances, once this transaction commits, that something is queued or
    a due time moved (PostgreSQL delivers a NOTIFY only on commit, so never too early)."""
    if _is_postgresql(session):
        await session.execute(
            text("SELECT pg_notify(:channel, :sender)"), {"channel": CHANNEL, "sender": INSTANCE}
        )


async def hold_chat(session: AsyncSession, chat_id: int) -> None:
    """Take the chat's lock for this transaction, waiting for another process's update of the
    same chat to commit first (PostgreSQL; SQLite has a single writer anyway)."""
    if chat_id and _is_postgresql(session):
        await hold(session, f"chat:{chat_id}")


async def hold(session: AsyncSession, name: str) -> None:
    """A named lock for this transaction on PostgreSQL, given up after LOCK_WAIT: a process
    that died mid-transaction on a dead host would otherwise hold it until TCP gives up."""
    if _is_postgresql(session):
        # Hashed into the lock space with a prefix of ours, apart from the leader's key.
        await session.execute(text(f"SET LOCAL lock_timeout = '{LOCK_WAIT}'"))
        await session.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:name, 0))"),
            {"name": "nudge:" + name},
        )


def _is_postgresql(session: AsyncSession) -> bool:
    return session.bind is not None and session.bind.dialect.name == "postgresql"


class Coordination:
    """This instance's role; calls `lead` when it becomes the leader, `lost` if it stops being
    one while running, and `wake` when another instance notified."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.shared = url.startswith("postgresql")
        self.role = FOLLOWER if self.shared else SINGLE
        self._conn: Any = None
        self._task: asyncio.Task[None] | None = None
        self._leading: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self.check_seconds = CHECK_SECONDS
        self.takeover_grace = TAKEOVER_GRACE
        self.instance = INSTANCE  # this process's notifications are not news to it

    @property
    def leads(self) -> bool:
        """True where this instance delivers and fires reminders."""
        return self.role in (SINGLE, LEADER)

    async def start(
        self,
        lead: Callable[[], Awaitable[None]],
        lost: Callable[[], None],
        wake: Callable[[], None],
    ) -> None:
        """Take the lead at once if nobody holds it; keep trying in the background if not."""
        if not self.shared:
            await lead()
            return
        await self._connect(wake)
        await self._try_lead(lead)
        self._task = asyncio.create_task(self._watch(lead, lost, wake), name="coordination")

    async def _take_over(self, lead: Callable[[], Awaitable[None]]) -> None:
        """Lead after the grace, in the background: start-up need not wait for it."""
        await asyncio.sleep(self.takeover_grace)
        if not self._stopping.is_set() and self.role == LEADER:
            await lead()

    def no_takeover(self) -> None:
        """Shutting down: take no lead from now on (the lead held is kept until stop())."""
        self._stopping.set()

    async def stop(self) -> None:
        """Give up the lead (closing the connection releases the lock) and stop listening."""
        self._stopping.set()
        for task in (self._task, self._leading):
            if task is not None and not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        await self._close()

    async def _connect(self, wake: Callable[[], None]) -> None:
        """A connection of our own: it holds the lock and hears the notifications."""
        import asyncpg

        self._conn = await asyncio.wait_for(
            asyncpg.connect(libpq_url(self.url), server_settings=SERVER_SETTINGS), 10
        )

        def heard(_conn: Any, _pid: int, _channel: str, sender: str) -> None:
            if sender != self.instance:
                wake()

        await self._conn.add_listener(CHANNEL, heard)

    async def _close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._conn.close(), 5)
            self._conn = None

    async def _try_lead(self, lead: Callable[[], Awaitable[None]]) -> None:
        """Become the leader if the lock is free."""
        if self._stopping.is_set():
            return
        if await self._conn.fetchval("SELECT pg_try_advisory_lock($1)", LEADER_KEY):
            self.role = LEADER
            log.info("this instance now delivers messages and fires reminders")
            self._leading = asyncio.create_task(self._take_over(lead), name="take-over")

    async def _watch(
        self,
        lead: Callable[[], Awaitable[None]],
        lost: Callable[[], None],
        wake: Callable[[], None],
    ) -> None:
        """Keep the connection; a follower tries for the lead, a leader that lost it says so."""
        while not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.check_seconds)
            if self._stopping.is_set():
                return
            try:
                if self._conn is None:
                    await self._connect(wake)
                    wake()  # notifications sent while we were away are lost: look anyway
                if self.role == LEADER:
                    # Still ours? (A cut connection fails here; a hung one times out.)
                    held = await asyncio.wait_for(
                        self._conn.fetchval(
                            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                            "AND pid = pg_backend_pid() AND granted"
                        ),
                        self.check_seconds,
                    )
                    if not held:
                        raise ConnectionError("the leader's lock is gone")
                else:
                    await self._try_lead(lead)
            except Exception as exc:  # the connection or the server went away
                log.warning("lost the coordination connection (%s)", type(exc).__name__)
                await self._close()
                if self.role == LEADER:
                    # The lock went with the connection: another instance may lead already.
                    self.role = FOLLOWER
                    lost()
                    return
