"""The outbox worker: sends pending notifications, paced, retried, never blocked by one bad row."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import defaultdict
from datetime import timedelta
from typing import Any

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.types import Message

from bot.clock import Clock
from bot.scheduler.ratelimit import RateLimiter
from bot.storage.db import Database
from bot.storage.records import Notification
from bot.storage.repositories import Repos
from bot.storage.repositories.outbox import BLOCKED, FAILED
from bot.telegram.outbox import build_method

log = logging.getLogger("nudge.delivery")

MAX_BACKOFF = 300.0
BATCH = 500
CONCURRENCY = 16
FLUSH_EVERY = 50


def backoff(attempts: int) -> float:
    """Seconds before retry number `attempts` after a network or server error."""
    return min(MAX_BACKOFF, 0.5 * 2.0 ** min(attempts, 10))


class Delivery:
    """Drains the outbox into Telegram; woken by `poke()` after every commit that queues mail."""

    def __init__(
        self,
        db: Database,
        bot: Bot,
        clock: Clock,
        limiter: RateLimiter,
        *,
        batch: int = BATCH,
        concurrency: int = CONCURRENCY,
    ) -> None:
        self.db = db
        self.bot = bot
        self.clock = clock
        self.limiter = limiter
        self.batch = batch
        self.concurrency = concurrency
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self._deadline = 0.0
        self._accepted: list[tuple[int, int | None]] = []
        self.sent = 0

    def poke(self) -> None:
        """Something was queued: look at the outbox now."""
        self._wake.set()

    def start(self) -> None:
        """Run the worker in the background."""
        self._task = asyncio.create_task(self._run(), name="outbox-delivery")

    async def stop(self, drain_seconds: float = 0.0) -> None:
        """Send what is due for up to `drain_seconds`, then stop; the rest waits in the database.

        The worker loop itself drains (a second sender would pick the same rows twice) and is
        cancelled only if it overruns, e.g. stuck on an unreachable Telegram.
        """
        self._deadline = time.monotonic() + drain_seconds
        self._stopping = True
        self._wake.set()
        if self._task is None:
            return
        try:
            await asyncio.wait_for(asyncio.shield(self._task), drain_seconds + 5.0)
        except (TimeoutError, asyncio.CancelledError):
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        """Main loop: send what is due, then sleep until the next row or a poke."""
        while True:
            self._wake.clear()
            try:
                sent = await self.run_once()
                if self._stopping and (not sent or time.monotonic() > self._deadline):
                    return
                if sent:
                    continue
                async with self.db.reader() as session:
                    nxt = await Repos(session).outbox.next_time()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox pass failed; retrying in 5 s")
                if self._stopping:
                    return
                nxt = self.clock.now() + timedelta(seconds=5)
            timeout = 60.0
            if nxt is not None:
                timeout = min(timeout, max(0.0, (nxt - self.clock.now()).total_seconds()))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout)

    async def run_once(self) -> int:
        """Send one batch of due rows; return how many rows were tried."""
        async with self.db.reader() as session:
            due = await Repos(session).outbox.due(self.clock.now(), self.batch)
        if not due:
            return 0
        per_chat: dict[int, list[Notification]] = defaultdict(list)
        for row in due:
            per_chat[row.chat_id].append(row)
        gate = asyncio.Semaphore(self.concurrency)

        async def one_chat(rows: list[Notification]) -> None:
            async with gate:
                for row in rows:
                    if not await self._deliver(row):
                        break  # keep the chat's order: the rest waits with it

        try:
            await asyncio.gather(*(one_chat(rows) for rows in per_chat.values()))
        finally:
            await self._flush()
        return len(due)

    async def _deliver(self, row: Notification) -> bool:
        """Try one row; False when the chat must wait (its later rows wait too)."""
        while (wait := self.limiter.acquire(row.chat_id)) > 0:
            await self.clock.sleep(wait)
        attempt = row.attempts + 1
        try:
            result: Any = await self.bot(build_method(row.chat_id, row.method, row.payload_dict()))
        except TelegramRetryAfter as exc:
            self.limiter.penalize(row.chat_id, exc.retry_after)
            await self._postpone(row, attempt, float(exc.retry_after), f"429: {exc.message}")
            return False
        except TelegramForbiddenError as exc:
            await self._blocked(row, attempt, exc.message)
            return True
        except TelegramBadRequest as exc:
            if "message is not modified" in exc.message:
                await self._done(row, attempt, None)
                return True
            await self._fail(row, attempt, f"400: {exc.message}")
            return True
        except (TelegramNotFound, TelegramUnauthorizedError) as exc:
            # A wrong token or API URL: every row would fail alike, so wait and retry.
            await self._postpone(row, attempt, backoff(attempt), f"{type(exc).__name__}")
            return False
        except (TelegramServerError, TelegramNetworkError, TimeoutError, OSError) as exc:
            await self._postpone(row, attempt, backoff(attempt), f"{type(exc).__name__}: {exc}")
            return False
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bad row must not stop the others
            log.exception("unexpected error delivering notification %s", row.id)
            await self._fail(row, attempt, f"{type(exc).__name__}: {exc}")
            return True
        await self._done(row, attempt, result.message_id if isinstance(result, Message) else None)
        return True

    async def _done(self, row: Notification, attempt: int, message_id: int | None) -> None:
        # Marks are written in groups: one transaction per message caps throughput at the
        # database's commit rate. A crash before the flush resends only that small group.
        now = self.clock.now()
        self._accepted.append((row.id, message_id))
        if len(self._accepted) >= FLUSH_EVERY:
            await self._flush()
        self.sent += 1
        log.info(
            "delivered chat=%s kind=%s attempt=%d lateness=%.3fs",
            row.chat_id,
            row.kind,
            attempt,
            (now - row.due_at).total_seconds(),
        )

    async def _flush(self) -> None:
        """Record every accepted message as sent, in one transaction."""
        if not self._accepted:
            return
        batch, self._accepted = self._accepted, []
        async with self.db.session() as session:
            await Repos(session).outbox.mark_sent(batch, self.clock.now())

    async def _postpone(self, row: Notification, attempt: int, seconds: float, error: str) -> None:
        until = self.clock.now() + timedelta(seconds=seconds)
        async with self.db.session() as session:
            repos = Repos(session)
            await repos.outbox.retry_later(row.id, until, attempt, error)
            await repos.outbox.postpone_chat(row.chat_id, until)
        log.warning(
            "delivery deferred chat=%s kind=%s attempt=%d retry_in=%.1fs error=%s",
            row.chat_id,
            row.kind,
            attempt,
            seconds,
            error,
        )

    async def _blocked(self, row: Notification, attempt: int, error: str) -> None:
        now = self.clock.now()
        async with self.db.session() as session:
            repos = Repos(session)
            await repos.outbox.give_up(row.id, BLOCKED, attempt, error)
            dropped = await repos.outbox.block_chat(row.chat_id, error)
            if row.chat_id > 0:
                await repos.users.mark_blocked(row.chat_id, now)
        log.warning(
            "given up chat=%s kind=%s attempt=%d lateness=%.3fs reason=blocked (+%d more)",
            row.chat_id,
            row.kind,
            attempt,
            (now - row.due_at).total_seconds(),
            dropped,
        )

    async def _fail(self, row: Notification, attempt: int, error: str) -> None:
        now = self.clock.now()
        async with self.db.session() as session:
            await Repos(session).outbox.give_up(row.id, FAILED, attempt, error)
        log.error(
            "given up chat=%s kind=%s attempt=%d lateness=%.3fs reason=%s",
            row.chat_id,
            row.kind,
            attempt,
            (now - row.due_at).total_seconds(),
            error,
        )
