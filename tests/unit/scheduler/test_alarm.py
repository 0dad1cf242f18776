"""The alarm clock: many rows due at once all fire, each exactly once, through APScheduler."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, text

from bot.clock import FakeClock, SystemClock
from bot.scheduler.alarm import Alarm
from bot.storage.db import Database
from bot.storage.records import Reminder
from bot.storage.repositories import Repos
from bot.telegram.outbox import Replies

NOW = datetime(2026, 1, 1, tzinfo=UTC)


class _SlowAlarm(Alarm):
    """An alarm whose pass ends late, as on a busy event loop or a slow disk."""

    async def run_due(self) -> int:
        count = await super().run_due()
        await asyncio.sleep(0.03)
        return count


class _NoDelivery:
    def poke(self) -> None:
        """Nothing to deliver in this test."""


async def test_rows_due_in_a_burst_all_fire_once(database_url: str) -> None:
    db = Database(database_url)
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
        await repos.users.seen(1, first_name="A", username=None, tg_language=None, now=NOW)
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
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Issue 5: a stop mid-burst: the batch in hand commits whole, nothing runs after, no errors."""
    db = Database(database_url)
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
        await repos.users.seen(1, first_name="A", username=None, tg_language=None, now=NOW)
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


async def _team(db: Database, now: Any) -> int:
    """A user with a workspace; its id."""
    async with db.session() as s:
        await Repos(s).users.seen(1, first_name="A", username=None, tg_language=None, now=NOW)
        return (await Repos(s).workspaces.create("W", 1, now)).id


async def test_a_pass_ends_once_a_partial_batch_has_taken_all_that_is_due(
    database_url: str,
) -> None:
    """Rows falling due one by one while a pass fires wait for the next wake-up, together."""
    # Claiming them as they come kept one pass looping over batches of a row or two, each
    # paying a batch's fixed cost, for as long as a burst lasted.
    db = Database(database_url)
    await db.migrate()
    clock = FakeClock(datetime(2026, 11, 24, 10, 0, tzinfo=UTC))
    ws = await _team(db, clock.now())
    async with db.session() as s:
        for i in range(5):
            await Repos(s).reminders.add(
                ws, "test", clock.now() + timedelta(seconds=i), now=clock.now()
            )

    async def fire(repos: Repos, replies: Replies, reminder: Reminder, now: Any) -> None:
        clock.advance(timedelta(seconds=1))  # the next row falls due meanwhile

    alarm = Alarm(db, clock, fire, _NoDelivery())  # type: ignore[arg-type]
    try:
        assert await alarm.run_due() == 1
        clock.advance(timedelta(seconds=2))
        assert await alarm.run_due() == 3  # all that fell due since, in one batch
    finally:
        await db.close()


async def test_a_batch_queues_its_messages_in_one_insert(database_url: str) -> None:
    db = Database(database_url)
    await db.migrate()
    clock = FakeClock(datetime(2026, 11, 24, 10, 0, tzinfo=UTC))
    ws = await _team(db, clock.now())
    async with db.session() as s:
        for _ in range(30):
            await Repos(s).reminders.add(ws, "test", clock.now(), now=clock.now())

    async def fire(repos: Repos, replies: Replies, reminder: Reminder, now: Any) -> None:
        await replies.send(1, f"reminder {reminder.id}", kind="test", reminder_id=reminder.id)

    inserts: list[int] = []

    def count(_conn: Any, _cursor: Any, statement: str, params: Any, *_rest: Any) -> None:
        if statement.startswith("INSERT INTO notifications"):
            inserts.append(len(params) if isinstance(params, list) else 1)

    alarm = Alarm(db, clock, fire, _NoDelivery())  # type: ignore[arg-type]
    event.listen(db.engine.sync_engine, "before_cursor_execute", count)
    try:
        assert await alarm.run_due() == 30
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", count)
    async with db.reader() as s:
        rows = (await s.execute(text("SELECT chat_id, reminder_id FROM notifications"))).all()
    await db.close()
    assert inserts == [30] and len(rows) == 30 and {chat for chat, _r in rows} == {1}


async def test_buffered_messages_are_seen_by_the_outbox_and_dropped_with_a_failure(
    database_url: str,
) -> None:
    db = Database(database_url)
    await db.migrate()
    now = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
    async with db.session() as s:
        outbox = Repos(s).outbox
        async with outbox.buffered():
            await outbox.add(1, {"text": "kept"}, kind="test", now=now, reminder_id=7)
            await outbox.add(1, {"text": "cancelled"}, kind="test", now=now, reminder_id=8)
            assert await outbox.cancel_for_reminders([8]) == 1  # it sees the buffered row
            await outbox.add(1, {"text": "after"}, kind="test", now=now, reminder_id=9)
        with pytest.raises(RuntimeError):
            async with s.begin_nested(), outbox.buffered():
                await outbox.add(1, {"text": "lost"}, kind="test", now=now)
                raise RuntimeError("a reminder that cannot be rendered")
        await outbox.add(1, {"text": "unbuffered"}, kind="test", now=now)
    async with db.reader() as s:
        rows = (await s.execute(text("SELECT payload, state FROM notifications ORDER BY id"))).all()
    await db.close()
    assert [(json.loads(p)["text"], state) for p, state in rows] == [
        ("kept", "pending"),
        ("cancelled", "cancelled"),
        ("after", "pending"),
        ("unbuffered", "pending"),
    ]
