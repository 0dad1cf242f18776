"""Shared pieces of the benchmarks: the fake server, spawning the bot, measuring RSS."""

from __future__ import annotations

import asyncio
import os
import re
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.e2e_support import TOKEN, bot_env  # noqa: E402
from tests.fakeapi import FakeTelegram  # noqa: E402

__all__ = [
    "ROOT",
    "TOKEN",
    "FakeTelegram",
    "bot_env",
    "median",
    "offline_app",
    "spawn_bot",
    "stop_bot",
]

_RSS_RE = re.compile(r"Maximum resident set size \(kbytes\): (\d+)")


def median(values: list[float]) -> float:
    """The median, or nan for no values."""
    return statistics.median(values) if values else float("nan")


async def spawn_bot(env: dict[str, str], workdir: Path) -> tuple[asyncio.subprocess.Process, float]:
    """Start `python -m bot` under /usr/bin/time -v; (process, monotonic start time).

    The bot's log goes to workdir/bot.log (an unread pipe would fill up and stall the bot);
    time(1)'s report goes to workdir/time.txt.
    """
    started = time.monotonic()
    with open(workdir / "bot.log", "ab") as log:
        proc = await asyncio.create_subprocess_exec(
            "/usr/bin/time",
            "-v",
            "-o",
            str(workdir / "time.txt"),
            sys.executable,
            "-m",
            "bot",
            cwd=workdir,
            env=env,
            stdout=log,
            stderr=log,
        )
    proc.workdir = workdir  # type: ignore[attr-defined]
    return proc, started


async def stop_bot(proc: asyncio.subprocess.Process) -> tuple[int, float]:
    """SIGTERM the bot (through time(1)); (exit code, peak RSS in MB)."""
    # time(1) does not forward signals: signal its child, the bot.
    children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
    for child in children:
        os.kill(int(child), 15)
    await proc.wait()
    report = (proc.workdir / "time.txt").read_text()  # type: ignore[attr-defined]
    match = _RSS_RE.search(report)
    return proc.returncode or 0, (int(match.group(1)) / 1024 if match else float("nan"))


async def import_floor(runs: int) -> tuple[float, float]:
    """Median seconds and peak MB for `python -c "import aiogram"`: the floor every bot pays."""
    times, rss = [], []
    for _ in range(runs):
        t0 = time.monotonic()
        proc = await asyncio.create_subprocess_exec(
            "/usr/bin/time",
            "-v",
            sys.executable,
            "-c",
            "import aiogram, aiogram.types",
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        _o, err = await proc.communicate()
        times.append(time.monotonic() - t0)
        m = _RSS_RE.search(err.decode())
        rss.append(int(m.group(1)) / 1024 if m else float("nan"))
    return median(times), median(rss)


def offline_app(path: Path, start: Any, **settings_overrides: Any) -> tuple[Any, Any, Any]:
    """The real app over a SQLite file at `path`, a fake clock from `start` and Telegram
    mocked offline: (app, clock, session), ready for `feed_update`."""
    from bot.app import build_app
    from bot.clock import FakeClock
    from bot.settings import Settings
    from tests.mocked import BOT_TOKEN, mocked_bot

    settings = Settings(
        _env_file=None,
        bot_token=BOT_TOKEN,
        database_url=f"sqlite+aiosqlite:///{path}",
        default_language="ru",
        default_timezone="Europe/Moscow",
        log_level="WARNING",
        **settings_overrides,
    )  # type: ignore[call-arg]
    clock = FakeClock(start)
    bot, session = mocked_bot()
    app = build_app(settings, clock, bot=bot)
    app.dispatcher["bot_username"] = "nudge_test_bot"
    return app, clock, session
