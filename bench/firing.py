"""Reminders fired per second: claim → render → outbox, in-process, and SQL statements each.

Run: .venv/bin/python bench/firing.py [--reminders 5000] [--managers 500] [--runs 3]

Seeds managers (each with a team and clients with a phone) and a lead ping per client due now,
then times `Alarm.run_due()` (claims in batches, renders every ping in its manager's language,
writes the outbox rows). Telegram is mocked and nothing is sent: this is the firing side only.
The outbox's own drain rate is printed beside it as the ceiling the firing feeds.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from common import median, offline_app
from sqlalchemy import event, func, select

from bot.services.leads import SLA_KIND
from bot.storage.models import NotificationRow
from bot.storage.records import Contact
from bot.storage.repositories import Repos

START = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


async def seed(app: object, reminders: int, managers: int) -> None:
    """Managers with a team each, a client per reminder, and its ping due now."""
    async with app.db.session() as session:  # type: ignore[attr-defined]
        repos = Repos(session)
        for m in range(managers):
            uid = 10_000 + m
            await repos.users.seen(
                uid, first_name=f"M{m}", username=None, tg_language="ru", now=START
            )
            await repos.users.update(uid, START, timezone="Europe/Moscow")
            ws = await repos.workspaces.create("", uid, START)
            await repos.workspaces.add_member(ws.id, uid, "owner", START)
            for c in range(reminders // managers):
                client = await repos.clients.create(
                    ws.id,
                    f"Клиент {m}-{c}",
                    owner_id=uid,
                    now=START,
                    status="lead",
                    contacts=(Contact("phone", f"+7999{m:03d}{c:04d}"),),
                    received_at=START,
                )
                await repos.reminders.add(
                    ws.id, SLA_KIND, START, now=START, client_id=client.id, user_id=uid, urgent=True
                )


async def one_run(reminders: int, managers: int) -> dict[str, float]:
    """Fire everything due once; rate, statements per reminder, outbox rows written."""
    workdir = Path(tempfile.mkdtemp(prefix="nudge-firing-"))
    try:
        app, clock, _session = offline_app(workdir / "nudge.sqlite3", START)
        await app.db.migrate()
        await seed(app, reminders, managers)
        clock.set(START + timedelta(minutes=20))
        statements = 0

        def count(*_args: object) -> None:
            nonlocal statements
            statements += 1

        event.listen(app.db.engine.sync_engine, "before_cursor_execute", count)
        t0, c0 = time.perf_counter(), time.process_time()
        fired = await app.alarm.run_due()
        elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
        event.remove(app.db.engine.sync_engine, "before_cursor_execute", count)
        async with app.db.session() as session:
            queued = await session.scalar(select(func.count()).select_from(NotificationRow))
        if fired != reminders or queued != reminders:
            raise SystemExit(f"fired {fired}, queued {queued}, expected {reminders} of each")
        await app.db.close()
        return {
            "per_s": fired / elapsed,
            "ms_each": 1000 * elapsed / fired,
            "cpu_ms_each": 1000 * cpu / fired,
            "statements_each": statements / fired,
        }
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reminders", type=int, default=5000)
    parser.add_argument("--managers", type=int, default=500)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    runs = [await one_run(args.reminders, args.managers) for _ in range(args.runs)]
    print(
        f"{args.reminders} lead pings due at once for {args.managers} managers; medians of "
        f"{args.runs} runs; in-process, Telegram mocked ({time.strftime('%Y-%m-%d')})"
    )
    print(
        "fired {:.0f}/s, {:.2f} ms each (CPU {:.2f} ms), {:.1f} SQL statements each".format(
            median([r["per_s"] for r in runs]),
            median([r["ms_each"] for r in runs]),
            median([r["cpu_ms_each"] for r in runs]),
            median([r["statements_each"] for r in runs]),
        )
    )


if __name__ == "__main__":
    asyncio.run(main())
