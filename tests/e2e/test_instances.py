"""End to end: two bot processes on one PostgreSQL behind a load balancer, fed by webhook; one
is killed with SIGKILL in the middle and started again. Every command is applied once, every
ping goes out once, and a chat's answers keep the order of its commands."""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import asyncpg
import pytest

from bot.storage.coordination import libpq_url
from tests import pgserver
from tests.e2e_support import BotProcess, bot_env, wait_until
from tests.fakeapi import FakeTelegram

pytestmark = pytest.mark.e2e

MANAGERS = list(range(101, 301))  # 200 managers
LEADS_EACH = 5  # 1,000 leads
SLA = "4"
CARD = "Новый лид"
PING = re.compile(r"Лид «(Лид\d+x\d)» ждёт ответа")
CARD_NAME = re.compile(r"(Лид\d+x\d)")


@pytest.fixture
async def database(postgres_server: pgserver.Server) -> AsyncIterator[str]:
    async with pgserver.database(postgres_server) as url:
        yield url


async def fetch(url: str, sql: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(libpq_url(url))
    try:
        return list(await conn.fetch(sql))
    finally:
        await conn.close()


async def health(port: int) -> dict:
    async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}/healthz") as r:
        return await r.json()


class Cluster:
    """Two instances, each with its own port and work folder, on one database."""

    def __init__(self, fake: FakeTelegram, url: str, tmp_path: Path) -> None:
        self.ports = [pgserver.free_port(), pgserver.free_port()]
        fake.webhook_backends = [f"http://127.0.0.1:{p}" for p in self.ports]
        self.bots: list[BotProcess] = []
        for n, port in enumerate(self.ports):
            folder = tmp_path / f"instance{n}"
            folder.mkdir()
            env = bot_env(
                fake,
                folder,
                DATABASE_URL=url,
                WEBHOOK_URL="https://bot.example.com/telegram/updates",
                INTAKE_PORT=str(port),
                LEAD_RESPONSE_SLA=SLA,
                DELIVERY_RATE_PER_SECOND="300",
            )
            self.bots.append(BotProcess(env, folder))

    async def start(self, n: int) -> None:
        await self.bots[n].start()
        await wait_until(
            lambda: "Nudge started" in self.bots[n].log(), timeout=60, what=f"instance {n}"
        )

    async def role(self, n: int) -> str:
        return str((await health(self.ports[n]))["role"])

    async def stop(self) -> None:
        for bot in self.bots:
            await bot.ensure_dead()


def texts(fake: FakeTelegram, chat_id: int | None = None) -> list[str]:
    calls = (
        fake.calls_of("sendMessage")
        if chat_id is None
        else fake.calls_of("sendMessage", chat_id=chat_id)
    )
    return [str(c.params.get("text", "")) for c in calls if c.status == 200]


@pytest.mark.parametrize("victim", ["follower", "leader"])
async def test_two_instances_one_killed_mid_stream_nothing_lost_doubled_or_reordered(
    fake: FakeTelegram, database: str, tmp_path: Path, victim: str
) -> None:
    cluster = Cluster(fake, database, tmp_path)
    try:
        await cluster.start(0)
        await cluster.start(1)
        assert {await cluster.role(0), await cluster.role(1)} == {"leader", "follower"}
        [hook] = fake.calls_of("setWebhook")[:1]
        assert hook.params["drop_pending_updates"] is False
        assert not fake.calls_of("getUpdates")

        for user_id in MANAGERS:
            fake.send_text("/start", user_id=user_id)
            fake.send_text("Москва", user_id=user_id)
        names = {m: [f"Лид{m}x{k}" for k in range(LEADS_EACH)] for m in MANAGERS}
        ids = []
        for k in range(LEADS_EACH):
            for m in MANAGERS:
                ids.append(fake.send_text(f"/lead {names[m][k]}", user_id=m))
        # In the middle of the stream: a third of the cards are out.
        await wait_until(
            lambda: sum(CARD in t for t in texts(fake)) >= 300, timeout=120, what="300 cards"
        )
        n = [await cluster.role(i) for i in (0, 1)].index(victim)
        killed_at = asyncio.get_running_loop().time()
        await cluster.bots[n].kill()
        if victim == "leader":
            # The survivor takes the lead within seconds of the leader's death.
            other = 1 - n
            await wait_until(
                lambda: "now delivers messages" in cluster.bots[other].log(),
                timeout=15,
                what="the survivor to take the lead",
            )
        await cluster.start(n)

        every = [name for m in MANAGERS for name in names[m]]
        await wait_until(
            lambda: sum(CARD in t for t in texts(fake)) >= len(every), timeout=180, what="cards"
        )
        await fake.wait_webhook_idle(timeout=60)
        # Each lead pings twice (at the SLA and at twice the SLA); wait for all of them.
        await wait_until(
            lambda: len([t for t in texts(fake) if PING.search(t)]) >= 2 * len(every),
            timeout=120,
            what="every ping",
        )

        # Every command applied once.
        clients = await fetch(database, "SELECT name FROM clients")
        assert sorted(r["name"] for r in clients) == sorted(every)
        handled = {
            r["update_id"] for r in await fetch(database, "SELECT update_id FROM processed_updates")
        }
        assert set(ids) <= handled

        cards = Counter(
            CARD_NAME.search(t).group(1)  # type: ignore[union-attr]
            for t in texts(fake)
            if CARD in t
        )
        pings = Counter(
            PING.search(t).group(1)  # type: ignore[union-attr]
            for t in texts(fake)
            if PING.search(t)
        )
        assert set(cards) == set(every) and set(pings) == set(every)
        doubled_cards = {name for name, count in cards.items() if count > 1}
        doubled_pings = {name for name, count in pings.items() if count > 2}
        if victim == "follower":
            # The follower sends nothing: its death cannot double a message.
            assert not doubled_cards and not doubled_pings
        else:
            # Telegram may have accepted a message the instant before the kill, before the
            # leader recorded it: only such a message can go again, at most one per chat.
            sent = fake.calls_of("sendMessage")
            for name, kind in [(n, CARD) for n in doubled_cards] + [
                (n, "ждёт ответа") for n in doubled_pings
            ]:
                copies = sorted(
                    c.at for c in sent if name in c.params["text"] and kind in c.params["text"]
                )
                # The copy sent again is the last one the killed leader sent.
                before_kill = [at for at in copies if at <= killed_at + 0.05]
                assert before_kill and before_kill[-1] > killed_at - 0.5, (name, kind)
            doubled = doubled_cards | doubled_pings
            assert all(count == 1 for count in Counter(int(x[3:6]) for x in doubled).values())
        # Nothing out of order within a chat: each manager's cards come in command order.
        for m in MANAGERS:
            seen = [CARD_NAME.search(t).group(1) for t in texts(fake, m) if CARD in t]  # type: ignore[union-attr]
            firsts = list(dict.fromkeys(seen))
            assert firsts == names[m], (m, seen)
        assert (await health(cluster.ports[n]))["ok"]
    finally:
        await cluster.stop()


async def test_a_leader_cut_off_from_the_database_stops_with_exit_code_1(
    fake: FakeTelegram, database: str, tmp_path: Path
) -> None:
    """Its lead went with its connection and another may hold it now: it must not send on."""
    cluster = Cluster(fake, database, tmp_path)
    try:
        await cluster.start(0)
        assert await cluster.role(0) == "leader"
        [cut] = await fetch(
            database,
            "SELECT pg_terminate_backend(pid) FROM pg_locks "
            "WHERE locktype = 'advisory' AND granted",
        )
        assert cut[0] is True
        proc = cluster.bots[0].proc
        assert proc is not None
        assert await asyncio.wait_for(proc.wait(), 30) == 1
        assert "lost the lead over delivery" in cluster.bots[0].log()
    finally:
        await cluster.stop()
