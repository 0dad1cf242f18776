"""Lead pings falling due in a burst, the outbox draining at the default rate, and start-up with
100,000 pending items.

Run: .venv/bin/python bench/leads_burst.py [--leads 10000] [--spread 60] [--pending 100000]
     [--runs 3] [--drain 2000] [--burst-only | --drain-only]

burst: `--leads` pings due over `--spread` seconds with the rate limit lifted; claim-to-send
throughput, lateness (due → request seen by the fake server) p50/p99, the bot's and the fake
server's CPU per message, peak RSS.
drain: `--drain` pings to as many chats, all due within a second, at the default 30/s; the drain
rate, the busiest second, and whether the sends follow due order.
start-up: time and idle RSS with N pending items beside an empty database.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from common import TOKEN, FakeTelegram, bot_env, median, spawn_bot, stop_bot
from seed import seed

PING = "ждёт ответа"
TICKS = os.sysconf("SC_CLK_TCK")


def pct(values: list[float], q: float) -> float:
    """The q-quantile (0..1) by nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def lead_number(call: Any) -> int:
    """Which seeded lead a ping is about (its due order)."""
    return int(call.params["text"].split("«Lead ")[1].split("»")[0])


async def bot_pid(proc: asyncio.subprocess.Process) -> int:
    """The bot's own pid (spawn_bot runs it under time(1), which forks it a moment later)."""
    children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
    for _ in range(500):
        if found := children.read_text().split():
            return int(found[0])
        await asyncio.sleep(0.01)
    raise RuntimeError("time(1) started no bot")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


class CpuTrace:
    """Samples the bot's and this process's (the fake server's) CPU, to cost a time window."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.samples: list[tuple[float, float, float]] = []

    async def run(self) -> None:
        """Sample every 20 ms until cancelled."""
        while True:
            self.samples.append((time.monotonic(), cpu_seconds(self.pid), time.process_time()))
            await asyncio.sleep(0.02)

    def between(self, start: float, end: float) -> tuple[float, float]:
        """CPU seconds (bot, fake server) used from `start` to `end` (monotonic)."""
        inside = [s for s in self.samples if start <= s[0] <= end] or self.samples[-1:]
        first, last = inside[0], inside[-1]
        return last[1] - first[1], last[2] - first[2]


@asynccontextmanager
async def tracing(proc: asyncio.subprocess.Process) -> AsyncIterator[CpuTrace]:
    """A CpuTrace of the bot running in the background while the block lasts."""
    trace = CpuTrace(await bot_pid(proc))
    task = asyncio.create_task(trace.run())
    try:
        yield trace
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


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
            async with tracing(proc) as trace:
                calls = await fake.wait_for(
                    "sendMessage",
                    lambda c: PING in str(c.params.get("text", "")),
                    count=leads,
                    timeout=lead_in + spread + 300,
                )
                await asyncio.sleep(0.05)  # one more sample past the last call
            # Server timestamps are monotonic; map due times (wall clock) onto that scale.
            offset = time.time() - time.monotonic()
            lateness = [
                c.at + offset - (first_due.timestamp() + step * lead_number(c)) for c in calls
            ]
            first, last = min(c.at for c in calls), max(c.at for c in calls)
            # From the first due time: the firing before the first send is part of the cost.
            bot_cpu, fake_cpu = trace.between(first_due.timestamp() - offset, last)
            _code, rss = await stop_bot(proc)
        return {
            "sent": len(calls),
            "throughput": len(calls) / max(1e-9, last - first),
            "p50": statistics.median(lateness),
            "p99": pct(lateness, 0.99),
            "max": max(lateness),
            "bot_ms": 1000 * bot_cpu / len(calls),
            "fake_ms": 1000 * fake_cpu / len(calls),
            "rss": rss,
        }
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


async def drain(pings: int, lead_in: float) -> dict[str, float]:
    """`pings` pings to as many chats, due within one second, sent at the default rate."""
    workdir = Path(tempfile.mkdtemp(prefix="nudge-drain-"))
    try:
        await seed(
            workdir / "nudge.sqlite3",
            managers=pings,
            leads=pings,
            first_due=datetime.now(UTC) + timedelta(seconds=lead_in),
            spread=timedelta(seconds=1),
        )
        async with FakeTelegram(token=TOKEN) as fake:
            proc, _started = await spawn_bot(bot_env(fake, workdir, LOG_LEVEL="WARNING"), workdir)
            calls = await fake.wait_for(
                "sendMessage",
                lambda c: PING in str(c.params.get("text", "")),
                count=pings,
                timeout=lead_in + pings / 10 + 120,
            )
            refused = len([c for c in fake.calls if c.status == 429])
            await stop_bot(proc)
        calls.sort(key=lambda c: c.at)
        times = [c.at for c in calls]
        # After the first second the initial burst (the bucket's 30 saved tokens) is spent.
        steady = [t for t in times if t >= times[0] + 1.0]
        busiest = max(
            sum(1 for u in times[i:] if u < t + 1.0) for i, t in enumerate(times) if i % 5 == 0
        )
        # A ping overtaken by one due after it; and by how many places at most.
        numbers = [lead_number(c) for c in calls]
        late, highest, behind = 0, -1, 0
        for n in numbers:
            if n < highest:
                late += 1
            highest = max(highest, n)
        for place, n in enumerate(numbers):
            behind = max(behind, place - n)
        return {
            "sent": len(calls),
            "rate": (len(calls) - 1) / max(1e-9, times[-1] - times[0]),
            "steady": (len(steady) - 1) / max(1e-9, steady[-1] - steady[0]),
            "busiest": busiest,
            "late": late,
            "behind": behind,
            "refused": refused,
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
    """Run the measurements asked for and print the figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--leads", type=int, default=10_000)
    parser.add_argument("--managers", type=int, default=1_000)
    parser.add_argument("--pending", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--spread", type=float, default=60.0, help="seconds the pings fall due in")
    parser.add_argument("--drain", type=int, default=2_000, help="pings for the drain (0: none)")
    only = parser.add_mutually_exclusive_group()
    only.add_argument("--burst-only", action="store_true", help="the burst alone")
    only.add_argument("--drain-only", action="store_true", help="the drain alone")
    args = parser.parse_args()

    if not (args.burst_only or args.drain_only):
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

    if not args.drain_only:
        result = await burst(args.leads, args.managers, lead_in=12.0, spread=args.spread)
        print(
            f"burst: {result['sent']:.0f} pings due over {args.spread:.0f} s to {args.managers} "
            f"chats, rate limit lifted: throughput {result['throughput']:.0f} msg/s, lateness "
            f"p50 {result['p50']:.3f} s, p99 {result['p99']:.3f} s, max {result['max']:.3f} s; "
            f"CPU per message: bot {result['bot_ms']:.2f} ms, fake server "
            f"{result['fake_ms']:.2f} ms; peak RSS {result['rss']:.1f} MB"
        )
    if not args.burst_only and args.drain > 0:
        d = await drain(args.drain, lead_in=12.0)
        order = "yes" if not d["late"] else f"no: {d['late']:.0f} overtaken"
        print(
            f"drain: {d['sent']:.0f} pings due at once to as many chats, default 30/s: "
            f"{d['rate']:.2f} msg/s overall, {d['steady']:.2f} msg/s after the first second, "
            f"busiest second {d['busiest']:.0f}; in due order: {order} "
            f"(at most {d['behind']:.0f} places late); 429s: {d['refused']:.0f}"
        )


if __name__ == "__main__":
    asyncio.run(main())
