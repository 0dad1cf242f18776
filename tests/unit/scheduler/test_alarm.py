"""The alarm clock: many rows due at once all fire, each exactly once, through APScheduler."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text

from bot.clock import SystemClock
from bot.scheduler.alarm import Alarm
from bot.storage.db import Database
from bot.storage.records import Reminder
from bot.storage.repositories import Repos
from bot.telegram.outbox import Replies


class _SlowAlarm(Alarm):
    """An alarm whose pass ends late, as on a busy event loop or a slow disk."""

    async def run_due(self) -> int:
        count = await super().run_due()
        await asyncio.sleep(0.03)
        return count


class _NoDelivery:
    def poke(self) -> None:
        """Nothing to deliver in this test."""


async def test_rows_due_in_a_burst_all_fire_once(tmp_path: Any) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'a.sqlite3'}")
    await db.migrate()
    clock = SystemClock()
    fired: list[int] = []
    done = asyncio.Event()
    total = 60

    async def fire(repos: Repos, replies: Replies, reminder: Reminder, now: Any) -> None:
        fired.append(reminder.id)
        if len(fired) >= total:
            done.set()

    async with db.session() as s:
        repos = Repos(s)
        await s.execute(
            text(
                "INSERT INTO users (id, first_name, work_start_min, work_end_min, work_days,"
                " weekend_reminders, urgent_in_quiet, holiday_country, created_at, updated_at)"
                " VALUES (1, 'A', 600, 1140, '12345', 1, 1, 'RU', '2026-01-01', '2026-01-01')"
            )
        )
        ws = await repos.workspaces.create("W", 1, clock.now())
        start = clock.now() + timedelta(milliseconds=300)
        for i in range(total):
            # 10 ms apart: the next row falls due while the previous pass is still running.
            await repos.reminders.add(
                ws.id, "test", start + timedelta(milliseconds=10 * i), now=clock.now()
            )
    alarm = _SlowAlarm(db, clock, fire, _NoDelivery())  # type: ignore[arg-type]
    alarm.start()
    try:
        await alarm.arm()
        await asyncio.wait_for(done.wait(), 10)
        assert sorted(fired) == sorted(set(fired)) and len(fired) == total
        async with db.session() as s:
            assert await Repos(s).reminders.next_due() is None
    finally:
        await alarm.shutdown()
        await db.close()


async def test_a_stop_during_a_burst_lets_the_run_in_hand_commit(
    tmp_path: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """Issue 5: a stop mid-burst: the batch in hand commits whole, nothing runs after, no errors."""
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'a.sqlite3'}")
    await db.migrate()
    clock = SystemClock()
    fired: list[int] = []
    busy = asyncio.Event()

    async def fire(repos: Repos, replies: Replies, reminder: Reminder, now: Any) -> None:
        await asyncio.sleep(0.002)  # rendering and writing take a moment
        await replies.send(1, f"reminder {reminder.id}", kind="test")
        fired.append(reminder.id)
        if len(fired) == 30:
            busy.set()

    async with db.session() as s:
        repos = Repos(s)
        await s.execute(
            text(
                "INSERT INTO users (id, first_name, work_start_min, work_end_min, work_days,"
                " weekend_reminders, urgent_in_quiet, holiday_country, created_at, updated_at)"
                " VALUES (1, 'A', 600, 1140, '12345', 1, 1, 'RU', '2026-01-01', '2026-01-01')"
            )
        )
        ws = await repos.workspaces.create("W", 1, clock.now())
        for _ in range(400):
            await repos.reminders.add(ws.id, "test", clock.now(), now=clock.now())
    alarm = Alarm(db, clock, fire, _NoDelivery(), batch=100)  # type: ignore[arg-type]
    caplog.set_level(logging.INFO)
    alarm.start()
    try:
        await alarm.arm()
        await asyncio.wait_for(busy.wait(), 10)
        await alarm.shutdown()
        at_stop = len(fired)
        await alarm.arm()  # a handler committing late must not start anything either
        await asyncio.sleep(0.3)  # time enough for another run, had one been started
    finally:
        if alarm.scheduler.running:
            alarm.scheduler.shutdown(wait=False)
    assert len(fired) == at_stop == 100  # the batch in hand, whole; no further batch
    async with db.reader() as s:
        queued = (await s.execute(text("SELECT count(*) FROM notifications"))).scalar()
        claimed = (
            await s.execute(text("SELECT count(*) FROM reminders WHERE state != 'pending'"))
        ).scalar()
    await db.close()
    assert queued == claimed == 100  # what was fired is what was committed
    problems = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert problems == [] and "maximum number of running instances" not in caplog.text
