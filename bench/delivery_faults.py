"""Outbox throughput when Telegram refuses a steady share of sends with 429, beside no faults.

Run: .venv/bin/python bench/delivery_faults.py [--messages 600] [--rate 30] [--runs 3]

The outbox is seeded with one message to each of `--messages` chats (so per-chat pacing plays
no part) and the real bot (`python -m bot`, DELIVERY_RATE_PER_SECOND=`--rate`) drains it into
the fake Bot API server. "faults": every 5th send is answered 429 with retry_after 1 (20% of
all sends, retries included). Throughput = accepted messages per second over the middle 90%
of them (start-up and the last retries left out), shown beside the configured rate.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sqlite3
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from common import TOKEN, FakeTelegram, bot_env, median, spawn_bot, stop_bot
from seed import _ts, migrate


async def one_run(messages: int, rate: float, refuse_every: int | None) -> float:
    """Accepted messages per second, with every `refuse_every`th send refused (None: none)."""
    workdir = Path(tempfile.mkdtemp(prefix="nudge-faults-"))
    try:
        path = workdir / "nudge.sqlite3"
        await migrate(path)
        now = _ts(datetime.now(UTC))
        with sqlite3.connect(path) as conn:
            conn.executemany(
                "INSERT INTO notifications (chat_id, method, payload, kind, state, due_at,"
                " not_before, attempts, created_at)"
                " VALUES (?, 'sendMessage', ?, 'fu', 'pending', ?, ?, 0, ?)",
                [(1000 + n, f'{{"text": "message {n}"}}', now, now, now) for n in range(messages)],
            )
        conn.close()
        async with FakeTelegram(token=TOKEN) as fake:
            fake.refuse_every = refuse_every
            env = bot_env(fake, workdir, LOG_LEVEL="WARNING", DELIVERY_RATE_PER_SECOND=str(rate))
            proc, _started = await spawn_bot(env, workdir)
            calls = await fake.wait_for(
                "sendMessage", lambda c: c.status == 200, count=messages, timeout=messages
            )
            await stop_bot(proc)
        times = sorted(c.at for c in calls)
        lo, hi = round(0.05 * (len(times) - 1)), round(0.95 * (len(times) - 1))
        return (hi - lo) / max(1e-9, times[hi] - times[lo])
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


async def main() -> None:
    """Alternate the two cases so that both see the same machine load; print the medians."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=600)
    parser.add_argument("--rate", type=float, default=30.0)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    clean, faulty = [], []
    for _ in range(args.runs):
        clean.append(await one_run(args.messages, args.rate, None))
        faulty.append(await one_run(args.messages, args.rate, 5))
    base, hit = median(clean), median(faulty)
    print(f"DELIVERY_RATE_PER_SECOND={args.rate:g}, {args.messages} messages, {args.runs} runs")
    print(f"no faults:       median {base:.1f} msg/s ({base / args.rate:.0%} of the rate)")
    print(
        f"20% 429 refused: median {hit:.1f} msg/s ({hit / args.rate:.0%} of the rate, "
        f"{hit / base:.0%} of no faults)"
    )


if __name__ == "__main__":
    asyncio.run(main())
