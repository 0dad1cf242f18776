"""Long polling that confirms an update to Telegram only after its handler has committed."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence

from aiogram import Bot, Dispatcher
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramConflictError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.types import Update
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from bot.storage.coordination import hold_chat, wake_others
from bot.storage.db import Database
from bot.storage.repositories import Repos
from bot.telegram.middlewares import Batch, chat_of
from bot.telegram.outbox import Replies

log = logging.getLogger("nudge.polling")

# After this many failures of the same update on a bug (not a transient storage error),
# we apologise to the user and move on, so one poisoned update cannot stall the bot forever.
MAX_BUG_ATTEMPTS = 3
# While another process polls with our token, each getUpdates of ours ends one of theirs and
# theirs ends ours: retrying fast only fights over the updates until the operator stops one.
CONFLICT_RETRY_SECONDS = 5.0
# Two processes on one token take turns getting updates, so good polls come between the 409s:
# only a conflict after this long without one is news worth another log line.
CONFLICT_QUIET_SECONDS = 600.0
# Updates of one getUpdates answer share a transaction, up to this many or this long: one
# commit instead of one per update, while the write lock (which delivery and the alarm need
# too) and the wait for the first answer in the batch stay short.
BATCH_UPDATES = 50
BATCH_SECONDS = 0.2


# The database is unreachable, busy or restarting: nothing was committed, so the update is
# tried again rather than counted as a bug (a refused connection is a bare OSError, a full
# pool SQLAlchemy's own TimeoutError, neither a DBAPIError).
STORAGE_ERRORS: tuple[type[BaseException], ...] = (
    OperationalError,
    DBAPIError,
    OSError,
    PoolTimeout,
)


class TokenRejectedError(Exception):
    """Telegram answered 401: the token is wrong or revoked."""


class Poller:
    """Fetches updates and feeds them in batches, each in one transaction; the next offset is
    sent only after the batch has committed."""

    def __init__(
        self,
        bot: Bot,
        dispatcher: Dispatcher,
        db: Database,
        *,
        allowed_updates: Sequence[str],
        timeout: int = 25,
    ) -> None:
        self.bot = bot
        self.dispatcher = dispatcher
        self.db = db
        self.allowed_updates = list(allowed_updates)
        self.timeout = timeout
        self.offset: int | None = None
        self.last_ok = time.monotonic()
        self.polls = 0
        self._stopping = asyncio.Event()
        self._fetch: asyncio.Task[list[Update]] | None = None
        self.conflict_retry = CONFLICT_RETRY_SECONDS
        self.conflict_quiet = CONFLICT_QUIET_SECONDS
        self._last_conflict: float | None = None
        self.batch_updates = BATCH_UPDATES
        self.batch_seconds = BATCH_SECONDS

    def stop(self) -> None:
        """Stop asking for updates; the update being handled is finished first."""
        self._stopping.set()
        if self._fetch is not None:
            self._fetch.cancel()

    async def run(self) -> None:
        """Poll until stopped."""
        failures = 0
        while not self._stopping.is_set():
            self._fetch = asyncio.create_task(
                self.bot.get_updates(
                    offset=self.offset,
                    timeout=self.timeout,
                    allowed_updates=self.allowed_updates,
                    request_timeout=self.timeout + 15,
                )
            )
            try:
                updates = await self._fetch
            except asyncio.CancelledError:
                if self._stopping.is_set():
                    return
                raise
            except TelegramUnauthorizedError as exc:
                raise TokenRejectedError from exc
            except TelegramRetryAfter as exc:
                await self._pause(float(exc.retry_after))
                continue
            except TelegramConflictError as exc:
                await self._conflict(exc)
                continue
            except (TelegramNetworkError, TelegramServerError) as exc:
                failures += 1
                delay = min(30.0, 0.5 * 2**failures)
                log.warning("getUpdates failed (%s); retrying in %.1f s", type(exc).__name__, delay)
                await self._pause(delay)
                continue
            finally:
                self._fetch = None
            failures = 0
            self.last_ok = time.monotonic()
            self.polls += 1
            done = 0
            while done < len(updates):
                done += await self._handle_batch(updates[done : done + self.batch_updates])
                # Only now may Telegram forget them: the next getUpdates carries this offset.
                self.offset = updates[done - 1].update_id + 1
                if self._stopping.is_set():
                    return

    async def _conflict(self, exc: TelegramConflictError) -> None:
        """409: someone else takes our updates. Say so once per episode, not on every retry."""
        webhook = "webhook" in exc.message.lower()
        now = time.monotonic()
        news = self._last_conflict is None or now - self._last_conflict > self.conflict_quiet
        self._last_conflict = now
        if news:
            if webhook:
                log.error(
                    "a webhook was set for this token, so getUpdates is refused: deleting it "
                    "(pending updates are kept); retrying every %.0f s",
                    self.conflict_retry,
                )
            else:
                log.error(
                    "another process is polling with this token: stop it (only one bot process "
                    "may run per token); retrying every %.0f s",
                    self.conflict_retry,
                )
        if webhook:
            with contextlib.suppress(Exception):  # a timeout too: a stop must not wait long
                await asyncio.wait_for(self.bot.delete_webhook(drop_pending_updates=False), 10)
        await self._pause(self.conflict_retry)

    async def _pause(self, seconds: float) -> None:
        """Sleep, but wake at once when stopping."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)

    async def _handle_batch(self, updates: Sequence[Update]) -> int:
        """Handle the first of `updates` in one transaction; return how many were handled.

        If any update of the batch fails, nothing of the batch is committed, and its updates
        are handled again one transaction each, where a bug is retried and given up alone."""
        if len(updates) == 1:
            await self.handle(updates[0])
            return 1
        fed = 0
        started = time.monotonic()
        try:
            async with self.db.session() as session:
                batch = Batch(session)
                for update in updates:
                    fed += 1
                    await self.dispatcher.feed_update(self.bot, update, batch=batch)
                    if self._stopping.is_set() or time.monotonic() - started > self.batch_seconds:
                        break
        except Exception as exc:
            log.warning(
                "a batch of %d updates was rolled back (%s); handling them one at a time",
                fed,
                type(exc).__name__,
            )
            for update in updates[:fed]:
                await self.handle(update)
            return fed
        if batch.poke:
            self.dispatcher.workflow_data["delivery"].poke()
        if batch.arm:
            await self.dispatcher.workflow_data["alarm"].arm()
        return fed

    async def handle(self, update: Update, *, storage_attempts: int | None = None) -> bool:
        """Feed one update in its own transaction; retry on storage trouble (for ever unless
        `storage_attempts` is given), give up politely on a repeated bug. False only when
        storage kept failing: nothing was committed and the update must come again."""
        bug_attempts = storage_failures = 0
        delay = 0.2
        while True:
            try:
                await self.dispatcher.feed_update(self.bot, update)
                return True
            except STORAGE_ERRORS as exc:
                # The database is busy or briefly unavailable: nothing was committed, so the
                # update is safe to try again; it stays unconfirmed meanwhile.
                log.warning("update %s: storage error (%s); retrying", update.update_id, exc)
                storage_failures += 1
                if storage_attempts is not None and storage_failures >= storage_attempts:
                    return False
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)
            except Exception:
                bug_attempts += 1
                log.exception("update %s failed (attempt %d)", update.update_id, bug_attempts)
                if bug_attempts >= MAX_BUG_ATTEMPTS:
                    return await self._give_up(update)

    async def _give_up(self, update: Update) -> bool:
        """Tell the user the command was not applied, echo their text, and mark it handled;
        False if even that could not be stored (the update must then come again)."""
        apology = self.dispatcher.workflow_data.get("apology")
        clock = self.dispatcher.workflow_data["clock"]
        if update.callback_query is not None:
            # The pressed button's spinner stops, whatever happened to its handler.
            with contextlib.suppress(TelegramAPIError, TelegramNetworkError):
                await self.bot.answer_callback_query(update.callback_query.id)
        delivery = self.dispatcher.workflow_data["delivery"]
        try:
            async with self.db.session() as session:
                repos = Repos(session)
                await hold_chat(session, chat_of(update))
                if await repos.updates.is_processed(update.update_id):
                    return True
                if apology is not None:
                    chat_and_texts = apology(update)
                    if chat_and_texts is not None:
                        chat_id, texts = chat_and_texts
                        for text in texts:
                            await Replies(repos, clock).send(chat_id, text, parse_mode=None)
                await repos.updates.mark_processed(update.update_id, clock.now())
                await wake_others(session)
            delivery.poke()
            return True
        except Exception:
            log.exception("could not record the failed update %s", update.update_id)
            return False
