"""10,000 lead pings falling due within one minute, and start-up with 100,000 pending items.

Run: .venv/bin/python bench/leads_burst.py [--leads 10000] [--pending 100000] [--runs 3]
Reports claim-to-send throughput, lateness (due → request seen by the fake server) p50/p99,
peak RSS; and start-up time / idle RSS with N pending items beside an empty database.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from common import TOKEN, FakeTelegram, bot_env, median, spawn_bot, stop_bot
from seed import seed


def pct(values: list[float], q: float) -> float:
    """The q-quantile (0..1) by nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


async def burst(leads: int, managers: int, lead_in: float, spread: float) -> dict[str, float]:
    """Seed pings due from now+lead_in over `spread` seconds; start the bot; time them."""
    workdir = Path(tempfile.mkdtemp(prefix="nudge-burst-"))
    try:
        first_due = datetime.now(UTC) + timedelta(seconds=lead_in)
        await seed(
            workdir / "nudge.sqlite3",
            managers=managers,
            leads=leads,
            first_due=first_due,
            spread=timedelta(seconds=spread),
        )
        step = spread / leads
        async with FakeTelegram(token=TOKEN) as fake:
            env = bot_env(fake, workdir, LOG_LEVEL="WARNING", DELIVERY_RATE_PER_SECOND="100000")
            proc, _started = await spawn_bot(env, workdir)
            calls = await fake.wait_for(
                "sendMessage",
                lambda c: "ждёт ответа" in str(c.params.get("text", "")),
                count=leads,
                timeout=lead_in + spread + 300,
            )
            # Server timestamps are monotonic; map due times (wall clock) onto that scale.
            offset = time.time() - time.monotonic()
            lateness = []
            for call in calls:
                n = int(call.params["text"].split("«Lead ")[1].split("»")[0])
                due = first_due.timestamp() + step * n
                lateness.append(call.at + offset - due)
            first, last = min(c.at for c in calls), max(c.at for c in calls)
            _code, rss = await stop_bot(proc)
        return {
            "sent": len(calls),
            "throughput": len(calls) / max(1e-9, last - first),
            "p50": statistics.median(lateness),
            "p99": pct(lateness, 0.99),
            "max": max(lateness),
            "rss": rss,
        }
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


async def startup(pending: int, runs: int) -> tuple[float, float]:
    """Median spawn → first getUpdates and idle peak RSS with `pending` future items."""
    times, rss = [], []
    for _ in range(runs):
        workdir = Path(tempfile.mkdtemp(prefix="nudge-start-"))
        try:
            await seed(
                workdir / "nudge.sqlite3",
                managers=max(1, min(pending, 1000)),
                leads=pending,
                first_due=datetime.now(UTC) + timedelta(days=1),
                spread=timedelta(days=30),
            )
            async with FakeTelegram(token=TOKEN) as fake:
                proc, started = await spawn_bot(
                    bot_env(fake, workdir, LOG_LEVEL="WARNING"), workdir
                )
                [first] = await fake.wait_for("getUpdates", timeout=60)
                times.append(first.at - started)
                await asyncio.sleep(2)  # idle on purpose: idle RSS is what is measured
                _code, peak = await stop_bot(proc)
                rss.append(peak)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
    return median(times), median(rss)


async def main() -> None:
    """Run both measurements and print the figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--leads", type=int, default=10_000)
    parser.add_argument("--managers", type=int, default=1_000)
    parser.add_argument("--pending", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--spread", type=float, default=60.0, help="seconds the pings fall due in")
    parser.add_argument("--burst-only", action="store_true", help="skip the start-up figures")
    args = parser.parse_args()

    if not args.burst_only:
        empty_t, empty_rss = await startup(0, args.runs)
        full_t, full_rss = await startup(args.pending, args.runs)
        print(
            f"start-up, empty db: median {empty_t:.3f} s to first getUpdates, "
            f"idle RSS {empty_rss:.1f} MB"
        )
        print(
            f"start-up, {args.pending} pending: median {full_t:.3f} s, idle RSS {full_rss:.1f} MB"
        )
        print(f"difference: {full_t - empty_t:+.3f} s, {full_rss - empty_rss:+.1f} MB")

    result = await burst(args.leads, args.managers, lead_in=12.0, spread=args.spread)
    print(
        f"burst: {result['sent']:.0f} pings due over {args.spread:.0f} s to {args.managers} chats: "
        f"throughput {result['throughput']:.0f} msg/s, lateness p50 {result['p50']:.3f} s, "
        f"p99 {result['p99']:.3f} s, max {result['max']:.3f} s, peak RSS {result['rss']:.1f} MB"
    )


if __name__ == "__main__":
    asyncio.run(main())
