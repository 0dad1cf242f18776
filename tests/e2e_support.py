"""Runs the real `python -m bot` process against the fake Bot API server."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from tests.fakeapi import FakeTelegram

TOKEN = "123456:TEST-TOKEN-abcdefghijklmnopqrstu"
ROOT = Path(__file__).resolve().parent.parent


def bot_env(fake: FakeTelegram | None, workdir: Path, **extra: str) -> dict[str, str]:
    """A clean environment for the bot: no developer .env, a temporary database."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(workdir),
        "PYTHONPATH": str(ROOT),
        "PYTHONUNBUFFERED": "1",
        "BOT_TOKEN": TOKEN,
        "DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'nudge.sqlite3'}",
        "LOG_LEVEL": "INFO",
        "POLLING_TIMEOUT": "2",
    }
    if fake is not None:
        env["TELEGRAM_API_URL"] = fake.url
    env.update(extra)
    return {k: v for k, v in env.items() if v is not None}


class BotProcess:
    """One `python -m bot` child; its output goes to a log file in the work folder."""

    def __init__(self, env: dict[str, str], workdir: Path) -> None:
        self.env = env
        self.workdir = workdir
        self.proc: asyncio.subprocess.Process | None = None
        self.log_path = workdir / "bot.log"

    async def start(self) -> BotProcess:
        """Spawn the bot (cwd = the work folder, so no stray .env is read)."""
        log = open(self.log_path, "ab")
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", cwd=self.workdir, env=self.env, stdout=log, stderr=log
        )
        log.close()
        return self

    async def kill(self) -> None:
        """SIGKILL: no clean-up at all, as in a crash."""
        assert self.proc is not None
        self.proc.kill()
        await self.proc.wait()

    async def terminate(self, timeout: float = 20.0) -> int:
        """SIGTERM and wait for the exit code."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        return await asyncio.wait_for(self.proc.wait(), timeout)

    def log(self) -> str:
        """Everything the process printed so far."""
        return self.log_path.read_text(errors="replace")

    async def ensure_dead(self) -> None:
        """Kill the child if a test left it running."""
        if self.proc is not None and self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()


async def run_to_exit(env: dict[str, str], workdir: Path, timeout: float = 30.0) -> tuple[int, str]:
    """Run the bot until it exits by itself; (exit code, stderr)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        cwd=workdir,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _out, err = await asyncio.wait_for(proc.communicate(), timeout)
    assert proc.returncode is not None
    return proc.returncode, err.decode()


async def wait_until(predicate, timeout: float = 15.0, what: str = "condition") -> None:  # type: ignore[no-untyped-def]
    """Poll a cheap condition (a log line, a file) until it holds or the deadline passes."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


def delivered_count(process: BotProcess, chat_id: int) -> int:
    """How many messages to `chat_id` the bot has recorded as delivered (from its log)."""
    return process.log().count(f"delivered chat={chat_id} ")
