"""Start-up time (spawn → first getUpdates) and idle RSS of `python -m bot`, with the import floor.

Two starts per run over one database: the first creates the schema (Alembic runs), the second
is an ordinary restart over a current schema, the start that matters day to day. A third start
per run is over a current schema holding --managers onboarded managers (bench/seed.py) none of
whom has a morning-digest reminder yet (as after an upgrade that adds one): start-up arms them
all, and is compared with the restart over the empty database.

Run: .venv/bin/python bench/startup.py [--runs 5] [--idle 3] [--managers 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sqlite3
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from common import TOKEN, FakeTelegram, bot_env, import_floor, median, spawn_bot, stop_bot
from seed import seed

# The restart may add at most this much RSS to `import aiogram` (the performance issue's goal).
RESTART_BUDGET_MB = 30.0


async def one_run(idle: float, managers: int) -> list[tuple[float, float, int]]:
    """For a first start, a restart and a start with managers lacking digests: (seconds to
    first getUpdates, peak RSS MB after idling, exit code)."""
    workdir = Path(tempfile.mkdtemp(prefix="nudge-bench-"))
    seeded = workdir / "seeded"
    seeded.mkdir()
    found = []
    try:
        await seed(
            seeded / "nudge.sqlite3",
            managers=managers,
            leads=0,
            first_due=datetime.now(UTC),
            spread=timedelta(0),
        )
        for start in ("first", "restart", "seeded"):
            async with FakeTelegram(token=TOKEN) as fake:
                where = seeded if start == "seeded" else workdir
                env = bot_env(fake, where, LOG_LEVEL="WARNING")
                proc, started = await spawn_bot(env, where)
                [first] = await fake.wait_for("getUpdates", timeout=60)
                ready = first.at - started
                await asyncio.sleep(idle)  # idle on purpose: this is what is measured
                code, rss = await stop_bot(proc)
                found.append((ready, rss, code))
        with sqlite3.connect(seeded / "nudge.sqlite3") as conn:
            [(armed,)] = conn.execute("SELECT count(*) FROM reminders WHERE kind = 'digest'")
        if armed != managers:
            raise SystemExit(f"the seeded start armed {armed} digests, not {managers}")
        return found
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


async def main() -> None:
    """Measure and print medians."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--idle", type=float, default=3.0)
    parser.add_argument("--managers", type=int, default=1000)
    args = parser.parse_args()
    floor_t, floor_rss = await import_floor(args.runs)
    results = [await one_run(args.idle, args.managers) for _ in range(args.runs)]
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
    restart = median([r[1][0] for r in results])
    seeded = median([r[2][0] for r in results])
    print(
        f"{args.managers} managers without a digest: spawn → first getUpdates median "
        f"{seeded:.3f} s, {seeded - restart:+.3f} s over the restart on an empty database "
        f"(target +0.5 s); exit codes {{{', '.join(str(c) for c in {r[2][2] for r in results})}}}"
    )
    extra = median([r[1][1] for r in results]) - floor_rss
    verdict = "within" if extra <= RESTART_BUDGET_MB else "OVER"
    print(f"restart budget: floor {RESTART_BUDGET_MB:+.1f} MB, {verdict} ({extra:+.1f} MB)")


if __name__ == "__main__":
    asyncio.run(main())
