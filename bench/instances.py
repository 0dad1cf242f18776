"""Commands per second and reminders fired per second: SQLite against PostgreSQL with one and
with two instances, all measured in one run against the fake Bot API.

Commands: --managers onboard, then --commands `/lead` commands are queued at once; the figure
is commands committed per second (the fake's queue confirmed: by offset when polling, by 200
answers to its webhook POSTs otherwise). Firing: --reminders lead pings seeded due at one
instant; the figure is pings reaching the fake per second (the outbox rate lifted), i.e.
claim → render → outbox → sendMessage. A throwaway PostgreSQL server is started
(tests/pgserver.py); without its binaries only the SQLite rows are printed.

Run: .venv/bin/python bench/instances.py [--managers 100] [--commands 1000] [--reminders 3000]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import shutil
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from common import TOKEN, FakeTelegram, bot_env, spawn_bot, stop_bot  # puts ROOT on sys.path
from seed import seed_url

from tests import pgserver
from tests.e2e_support import wait_until

WEBHOOK_URL = "https://bot.example.com/telegram/updates"


@contextmanager
def scratch() -> Iterator[Path]:
    """A temporary folder for one measurement, removed after it."""
    folder = Path(tempfile.mkdtemp(prefix="nudge-bench-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@asynccontextmanager
async def database(kind: str, server: pgserver.Server | None, folder: Path) -> AsyncIterator[str]:
    """A new empty database of the kind: a SQLite file, or a PostgreSQL database."""
    if kind == "sqlite":
        yield f"sqlite+aiosqlite:///{folder / 'nudge.sqlite3'}"
        return
    assert server is not None
    async with pgserver.database(server) as url:
        yield url


@asynccontextmanager
async def cluster(
    fake: FakeTelegram, url: str, folder: Path, instances: int, webhook: bool, **extra: str
) -> AsyncIterator[list]:
    """Start `instances` bot processes on one database; wait until each is up."""
    ports = [pgserver.free_port() for _ in range(instances)]
    if webhook:
        fake.webhook_backends = [f"http://127.0.0.1:{p}" for p in ports]
    procs = []
    try:
        for n, port in enumerate(ports):
            where = folder / f"i{n}"
            where.mkdir(exist_ok=True)
            env = bot_env(fake, where, DATABASE_URL=url, LOG_LEVEL="WARNING", **extra)
            if webhook:
                env.update(WEBHOOK_URL=WEBHOOK_URL, INTAKE_PORT=str(port))
            proc, _ = await spawn_bot(env, where)
            procs.append(proc)
            method = "setWebhook" if webhook else "getUpdates"
            await fake.wait_for(method, count=n + 1, timeout=90)
        yield procs
    finally:
        for proc in procs:
            await stop_bot(proc)


async def settled(fake: FakeTelegram, last_id: int, webhook: bool, timeout: float) -> None:
    """Until every update up to `last_id` is committed and confirmed."""
    if webhook:
        await fake.wait_webhook_idle(timeout=timeout)
    else:
        await wait_until(lambda: fake.confirmed_offset > last_id, timeout, "confirmation")


async def commands(
    kind: str,
    server: pgserver.Server | None,
    instances: int,
    webhook: bool,
    args: argparse.Namespace,
) -> float:
    """Commands committed per second."""
    with scratch() as folder:
        async with (
            FakeTelegram(token=TOKEN) as fake,
            database(kind, server, folder) as url,
            cluster(fake, url, folder, instances, webhook, DELIVERY_RATE_PER_SECOND="5000"),
        ):
            managers = list(range(1000, 1000 + args.managers))
            last = 0
            for user_id in managers:
                fake.send_text("/start", user_id=user_id)
                last = fake.send_text("Москва", user_id=user_id)
            await settled(fake, last, webhook, 120)
            started = time.monotonic()
            for n in range(args.commands):
                user_id = managers[n % len(managers)]
                last = fake.send_text(f"/lead Лид{n}x{user_id}, +7 999 {n:07d}", user_id=user_id)
            await settled(fake, last, webhook, 600)
            return args.commands / (time.monotonic() - started)


async def firing(
    kind: str,
    server: pgserver.Server | None,
    instances: int,
    webhook: bool,
    args: argparse.Namespace,
) -> float:
    """Due reminders reaching Telegram per second."""
    with scratch() as folder:
        async with FakeTelegram(token=TOKEN) as fake, database(kind, server, folder) as url:
            lead_in = 8.0 + 4.0 * instances  # every instance is up before the first is due
            due = datetime.now(UTC) + timedelta(seconds=lead_in)
            await seed_url(
                url, managers=500, leads=args.reminders, first_due=due, spread=timedelta(0)
            )
            async with cluster(
                fake, url, folder, instances, webhook, DELIVERY_RATE_PER_SECOND="100000"
            ):
                pings = lambda: len(fake.calls_of("sendMessage"))  # noqa: E731
                await wait_until(lambda: pings() >= args.reminders, lead_in + 300, "pings")
                ends = sorted(c.at for c in fake.calls_of("sendMessage"))
                due_mono = time.monotonic() - (datetime.now(UTC) - due).total_seconds()
                return args.reminders / (ends[args.reminders - 1] - due_mono)


async def main() -> None:
    """Measure each setup and print a table."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--managers", type=int, default=100)
    parser.add_argument("--commands", type=int, default=1000)
    parser.add_argument("--reminders", type=int, default=3000)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)  # not "created a new empty database" per setup
    try:
        server: pgserver.Server | None = pgserver.start()
    except (pgserver.Unavailable, OSError) as exc:
        print(f"PostgreSQL rows skipped: {exc}")
        server = None
    setups = [
        ("SQLite, 1 instance, polling", "sqlite", 1, False),
        ("SQLite, 1 instance, webhook", "sqlite", 1, True),
        ("PostgreSQL, 1 instance, webhook", "postgresql", 1, True),
        ("PostgreSQL, 2 instances, webhook", "postgresql", 2, True),
    ]
    print(
        f"at {time.strftime('%Y-%m-%d %H:%M:%S')}: {args.managers} managers, "
        f"{args.commands} /lead commands, {args.reminders} reminders due at once"
    )
    print(f"{'setup':36s} {'commands/s':>11s} {'reminders/s':>12s}")
    try:
        for name, kind, instances, webhook in setups:
            if kind == "postgresql" and server is None:
                continue
            rate = await commands(kind, server, instances, webhook, args)
            fired = await firing(kind, server, instances, webhook, args)
            print(f"{name:36s} {rate:11.0f} {fired:12.0f}", flush=True)
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    asyncio.run(main())
