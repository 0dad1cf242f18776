"""Start-up time (spawn → first getUpdates) and idle RSS of `python -m bot`, with the import floor.

Two starts per run over one database: the first creates the schema (Alembic runs), the second
is an ordinary restart over a current schema, the start that matters day to day.

Run: .venv/bin/python bench/startup.py [--runs 5] [--idle 3]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import tempfile
import time
from pathlib import Path

from common import TOKEN, FakeTelegram, bot_env, import_floor, median, spawn_bot, stop_bot

# The restart may add at most this much RSS to `import aiogram` (the performance issue's goal).
RESTART_BUDGET_MB = 30.0


async def one_run(idle: float) -> list[tuple[float, float, int]]:
    """For a first start and a restart: (seconds to first getUpdates, peak RSS MB after
    idling, exit code)."""
    workdir = Path(tempfile.mkdtemp(prefix="nudge-bench-"))
    found = []
    try:
        for _start in ("first", "restart"):
            async with FakeTelegram(token=TOKEN) as fake:
                env = bot_env(fake, workdir, LOG_LEVEL="WARNING")
                proc, started = await spawn_bot(env, workdir)
                [first] = await fake.wait_for("getUpdates", timeout=60)
                ready = first.at - started
                await asyncio.sleep(idle)  # idle on purpose: this is what is measured
                code, rss = await stop_bot(proc)
                found.append((ready, rss, code))
        return found
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


async def main() -> None:
    """Measure and print medians."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--idle", type=float, default=3.0)
    args = parser.parse_args()
    floor_t, floor_rss = await import_floor(args.runs)
    results = [await one_run(args.idle) for _ in range(args.runs)]
    print(f"runs={args.runs} at {time.strftime('%Y-%m-%d %H:%M:%S')}")
    print(f"floor: import aiogram           median {floor_t:.3f} s, peak RSS {floor_rss:.1f} MB")
    for n, name in enumerate(("first start", "restart")):
        ready = median([r[n][0] for r in results])
        rss = median([r[n][1] for r in results])
        codes = {r[n][2] for r in results}
        print(
            f"{name + ':':13s} spawn → first getUpdates median {ready:.3f} s, "
            f"idle peak RSS {rss:.1f} MB; minus floor {ready - floor_t:+.3f} s, "
            f"{rss - floor_rss:+.1f} MB; exit codes {codes}"
        )
    extra = median([r[1][1] for r in results]) - floor_rss
    verdict = "within" if extra <= RESTART_BUDGET_MB else "OVER"
    print(f"restart budget: floor {RESTART_BUDGET_MB:+.1f} MB, {verdict} ({extra:+.1f} MB)")


if __name__ == "__main__":
    asyncio.run(main())
