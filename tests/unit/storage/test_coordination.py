"""Several instances on one PostgreSQL: one leads delivery, another takes over when it goes,
and a commit that queues something wakes the others (LISTEN/NOTIFY)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text

from bot.storage.coordination import (
    FOLLOWER,
    LEADER,
    SINGLE,
    Coordination,
    wake_others,
)
from bot.storage.db import Database
from tests import pgserver


@pytest.fixture
async def url(postgres_server: pgserver.Server) -> AsyncIterator[str]:
    async with pgserver.database(postgres_server) as database_url:
        yield database_url


class Instance:
    """What the app does with its coordination: counts leads, losses and wake-ups."""

    def __init__(self, url: str) -> None:
        self.coordination = Coordination(url)
        self.coordination.check_seconds = 0.05
        self.coordination.takeover_grace = 0.0
        self.led = asyncio.Event()
        self.lost = 0
        self.woken = asyncio.Event()

    async def lead(self) -> None:
        self.led.set()

    def on_lost(self) -> None:
        self.lost += 1

    async def start(self) -> None:
        await self.coordination.start(self.lead, self.on_lost, self.woken.set)


async def test_sqlite_is_a_single_instance_that_always_leads(tmp_path: object) -> None:
    solo = Instance("sqlite+aiosqlite:///x.sqlite3")
    await solo.start()
    assert solo.led.is_set() and solo.coordination.role == SINGLE and solo.coordination.leads
    await solo.coordination.stop()


async def test_one_leads_the_other_follows_and_takes_over_when_the_leader_stops(
    url: str,
) -> None:
    first, second = Instance(url), Instance(url)
    await first.start()
    await second.start()
    try:
        await asyncio.wait_for(first.led.wait(), 5)
        assert first.coordination.role == LEADER
        assert second.coordination.role == FOLLOWER and not second.led.is_set()
        await first.coordination.stop()  # the process died: its connection and lock are gone
        await asyncio.wait_for(second.led.wait(), 5)
        assert second.coordination.role == LEADER and second.lost == 0
    finally:
        await first.coordination.stop()
        await second.coordination.stop()


async def test_a_leader_whose_connection_is_cut_steps_down(url: str) -> None:
    leader = Instance(url)
    await leader.start()
    try:
        assert leader.coordination.role == LEADER
        admin = Database(url)
        async with admin.engine.connect() as conn:
            await conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_locks "
                    "WHERE locktype = 'advisory' AND pid <> pg_backend_pid()"
                )
            )
        await admin.close()
        for _ in range(200):
            if leader.lost:
                break
            await asyncio.sleep(0.02)
        assert leader.lost == 1 and leader.coordination.role == FOLLOWER
    finally:
        await leader.coordination.stop()


async def test_an_instance_is_not_woken_by_its_own_commits(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    listener = Instance(url)
    count = 0

    def woken() -> None:
        nonlocal count
        count += 1
        listener.woken.set()

    await listener.coordination.start(listener.lead, listener.on_lost, woken)
    db = Database(url)
    try:
        async with db.session() as session:
            await wake_others(session)  # this process's own commit
        monkeypatch.setattr("bot.storage.coordination.INSTANCE", "another process")
        async with db.session() as session:
            await wake_others(session)
        # Notifications arrive in commit order: once the other's has, ours would have too.
        await asyncio.wait_for(listener.woken.wait(), 5)
        assert count == 1
    finally:
        await db.close()
        await listener.coordination.stop()


async def test_a_commit_wakes_the_other_instances_and_a_rollback_does_not(url: str) -> None:
    listener = Instance(url)
    listener.coordination.instance = "another process"
    await listener.start()
    db = Database(url)
    try:
        with pytest.raises(RuntimeError):
            async with db.session() as session:
                await wake_others(session)
                raise RuntimeError("the handler failed")
        await asyncio.sleep(0.2)
        assert not listener.woken.is_set()
        async with db.session() as session:
            await wake_others(session)
            await asyncio.sleep(0.1)
            assert not listener.woken.is_set()  # not before the commit
        await asyncio.wait_for(listener.woken.wait(), 5)
    finally:
        await db.close()
        await listener.coordination.stop()
