"""The alarm clock: one APScheduler job that wakes up for the earliest due row in the database."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.clock import Clock
from bot.scheduler.delivery import Delivery
from bot.storage.db import Database
from bot.storage.records import Reminder
from bot.storage.repositories import Repos
from bot.telegram.outbox import Replies

log = logging.getLogger("nudge.alarm")

Fire = Callable[[Repos, Replies, Reminder, datetime], Awaitable[None]]
WAKE_JOB = "wake"
HOUSEKEEPING_JOB = "housekeeping"
# Telegram keeps an unconfirmed update for 24 h; a week of handled ids is ample.
KEEP_UPDATE_IDS = timedelta(days=7)
MIN_GAP = timedelta(milliseconds=50)
# Reminders fired per transaction. The transaction holds SQLite's one write lock, and the
# outbox records every accepted message before that chat's next: short batches let it through.
BATCH = 100
# How long a stop waits for a run in hand to commit before it is cancelled after all.
STOP_GRACE = 15.0


class Alarm:
    """Claims due reminders in one transaction, turns them into outbox rows, re-arms itself."""

    def __init__(
        self, db: Database, clock: Clock, fire: Fire, delivery: Delivery, *, batch: int = BATCH
    ) -> None:
        self.db = db
        self.clock = clock
        self.fire = fire
        self.delivery = delivery
        self.batch = batch
        self.scheduler = AsyncIOScheduler(timezone=UTC)
        self._lock = asyncio.Lock()
        self._arming = asyncio.Lock()
        self._last_pass: datetime | None = None
        self._stopping = False
        self._look_again = False
        self._running = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self.fired = 0
        # False on an instance that does not lead: the leader fires every reminder.
        self.active = True

    def start(self) -> None:
        """Start the scheduler (call inside the running loop) with the periodic jobs."""
        self.scheduler.start()
        self.scheduler.add_job(
            self._housekeeping_job,
            IntervalTrigger(hours=6),
            id=HOUSEKEEPING_JOB,
            replace_existing=True,
            misfire_grace_time=None,
            coalesce=True,
        )

    async def shutdown(self) -> None:
        """Start no new run, let the run in hand commit, then stop; pending rows stay for later."""
        self._stopping = True
        if self.scheduler.running:
            self.scheduler.remove_all_jobs()
        # APScheduler's shutdown cancels the jobs still running (inside a COMMIT, say), so it
        # comes only after they have finished.
        try:
            await asyncio.wait_for(self._idle.wait(), STOP_GRACE)
            async with asyncio.timeout(STOP_GRACE), self._lock:
                pass  # a run_due() called directly (at start) finishes too
        except TimeoutError:
            log.warning("a reminder run did not finish in %.0f s; cancelling it", STOP_GRACE)
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    @contextlib.asynccontextmanager
    async def _job(self) -> AsyncIterator[None]:
        """Count a scheduled run while it lasts, so that a stop can wait for it."""
        self._running += 1
        self._idle.clear()
        try:
            yield
        finally:
            self._running -= 1
            if self._running == 0:
                self._idle.set()

    async def arm(self) -> datetime | None:
        """Point the wake-up job at the earliest pending row (or remove it when none)."""
        if self._stopping or not self.active:
            return None
        # One at a time: an earlier read answered late must not move the job past a row that
        # a later read saw.
        async with self._arming:
            return await self._arm()

    async def _arm(self) -> datetime | None:
        """arm() under its lock."""
        async with self.db.reader() as session:
            due = await Repos(session).reminders.next_due()
        if due is None:
            if self.scheduler.get_job(WAKE_JOB) is not None:
                self.scheduler.remove_job(WAKE_JOB)
            return None
        # The default misfire_grace_time of 1 s would silently drop a wake-up delayed by a
        # busy loop; None runs it however late. The job re-arms itself while still running,
        # and with the default max_instances=1 APScheduler would skip (and so lose) a wake-up
        # due at once; a wake-up during a pass returns at once (the pass looks again), so
        # overlapping instances stay few and short.
        # Under a burst (rows due a few ms apart) one wake-up per row costs more than the rows;
        # waking at most every MIN_GAP lets each pass take all that fell due meanwhile.
        soonest = self._last_pass + MIN_GAP if self._last_pass else datetime.now(UTC)
        self.scheduler.add_job(
            self._wake,
            DateTrigger(run_date=max(due, datetime.now(UTC), soonest)),
            id=WAKE_JOB,
            replace_existing=True,
            misfire_grace_time=None,
            coalesce=True,
            max_instances=4,
        )
        return due

    async def _wake(self) -> None:
        """The job: fire everything due, then re-arm."""
        if self._stopping:
            return
        if self._lock.locked():
            self._look_again = True  # the pass in hand claims once more before it ends
            return
        async with self._job():
            try:
                await self.run_due()
            except Exception:
                log.exception("firing due reminders failed; retrying shortly")
                if not self._stopping:
                    self.scheduler.add_job(
                        self._wake,
                        DateTrigger(run_date=datetime.now(UTC) + timedelta(seconds=5)),
                        id=WAKE_JOB,
                        replace_existing=True,
                        misfire_grace_time=None,
                        max_instances=4,
                    )
                return
            await self.arm()

    async def run_due(self) -> int:
        """Fire every row due now, in due order, batch by batch; return how many fired."""
        total = 0
        self._last_pass = datetime.now(UTC)
        async with self._lock:
            while not self._stopping:
                self._look_again = False
                now = self.clock.now()
                async with self.db.session() as session:
                    repos = Repos(session)
                    replies = Replies(repos, self.clock)
                    due = await repos.reminders.claim_due(now, self.batch)
                    await repos.prefetch(due)
                    try:
                        # The whole batch in one savepoint: two statements, not two per row;
                        # and its messages in one INSERT.
                        async with session.begin_nested(), repos.outbox.buffered():
                            for reminder in due:
                                await self.fire(repos, replies, reminder, now)
                    except Exception:
                        # One reminder failed to render: again row by row, each in its own
                        # savepoint, so it alone is skipped and holds up none of the others.
                        replies = Replies(repos, self.clock)
                        await self._one_by_one(session, repos, replies, due, now)
                if not due and not self._look_again:
                    break
                total += len(due)
                self.delivery.poke()
                if len(due) < self.batch and not self._look_again:
                    # Everything due at `now` is fired. Rows falling due a few ms apart would
                    # keep this loop claiming a handful each time, paying the batch's fixed
                    # cost for every few rows; the next wake-up (MIN_GAP away) takes them
                    # together.
                    break
        if total:
            self.fired += total
            log.info("fired %d due reminder(s)", total)
        return total

    async def _one_by_one(
        self,
        session: Any,
        repos: Repos,
        replies: Replies,
        due: list[Reminder],
        now: datetime,
    ) -> None:
        """Fire a batch row by row, skipping (and logging) the ones that fail."""
        for reminder in due:
            try:
                async with session.begin_nested():
                    await self.fire(repos, replies, reminder, now)
            except Exception:
                log.exception("reminder %s (%s) failed; skipped", reminder.id, reminder.kind)

    async def _housekeeping_job(self) -> None:
        """The periodic job: housekeeping, unless stopping."""
        if self._stopping:
            return
        async with self._job():
            await self.housekeeping()

    async def housekeeping(self) -> None:
        """Forget handled update ids nobody will redeliver."""
        async with self.db.session() as session:
            pruned = await Repos(session).updates.prune(self.clock.now() - KEEP_UPDATE_IDS)
        if pruned:
            log.info("pruned %d handled update ids", pruned)
