"""Playing a manager against the real bot and the fake Bot API: start both, type, press, show."""

import asyncio
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import aiohttp

TOKEN = "123456:TEST-TOKEN-abcdefghijklmnopqrstu"
ROOT = Path(__file__).resolve().parent.parent
SHOWN = ("sendMessage", "editMessageText", "editMessageReplyMarkup", "answerCallbackQuery")


class Play:
    """The fake server on `port`, `python -m bot` polling it, and one Russian-speaking user."""

    def __init__(self, port: int = 8091, user_id: int = 77, **env: str) -> None:
        self.port = port
        self.user_id = user_id
        self.work = Path(tempfile.mkdtemp(prefix="nudge-play-"))
        self.env = env
        self.seen = 0
        self.http: aiohttp.ClientSession | None = None

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def __aenter__(self) -> "Play":
        self.fake = subprocess.Popen(
            [sys.executable, "-m", "tests.fakeapi", "--port", str(self.port), "--token", TOKEN],
            cwd=ROOT,
            stdout=subprocess.PIPE,
        )
        self.fake.stdout.readline()
        env = dict(
            os.environ,
            BOT_TOKEN=TOKEN,
            TELEGRAM_API_URL=self.api,
            DATABASE_URL=f"sqlite+aiosqlite:///{self.work}/n.sqlite3",
            LOG_LEVEL="WARNING",
            **self.env,
        )
        self.bot = subprocess.Popen([sys.executable, "-m", "bot"], cwd=self.work, env=env)
        self.http = aiohttp.ClientSession()
        await asyncio.sleep(5)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.http is not None
        await self.http.close()
        self.bot.terminate()
        print("bot exit code", self.bot.wait())
        self.fake.terminate()

    async def say(self, text: str, wait: float = 2.0, **kw: Any) -> list[dict]:
        """Type a message (printed), then show what the bot did."""
        assert self.http is not None
        print(f"> {text}")
        body = {
            "text": text,
            "user_id": self.user_id,
            "language_code": "ru",
            "first_name": "Анна",
            **kw,
        }
        await self.http.post(f"{self.api}/_control/update", json=body)
        return await self.show(wait)

    async def press(self, call: dict, row: int = 0, col: int = 0, wait: float = 2.0) -> list[dict]:
        """Press a button of a message the bot sent (printed), then show what the bot did."""
        assert self.http is not None
        button = call["params"]["reply_markup"]["inline_keyboard"][row][col]
        print(f"> press «{button['text']}»")
        await self.http.post(
            f"{self.api}/_control/press",
            json={
                "data": button["callback_data"],
                "user_id": self.user_id,
                "message_id": call["response"]["result"]["message_id"],
            },
        )
        return await self.show(wait)

    async def show(self, wait: float = 2.0) -> list[dict]:
        """Print the bot's calls since the last look, after `wait` seconds."""
        assert self.http is not None
        await asyncio.sleep(wait)
        calls = await (await self.http.get(f"{self.api}/_control/calls?since={self.seen}")).json()
        self.seen = calls[-1]["index"] + 1 if calls else self.seen
        out = []
        for c in calls:
            if c["method"] not in SHOWN:
                continue
            p = c["params"]
            kb = p.get("reply_markup") or {}
            btns = [
                b.get("text")
                for row in kb.get("inline_keyboard", kb.get("keyboard", []))
                for b in row
            ]
            print(
                f"  <{c['method']}> {p.get('text', '')!s}"
                + (f"  [{' | '.join(btns)}]" if btns else "")
            )
            out.append(c)
        return out


def sent(calls: list[dict], needle: str = "") -> dict:
    """The last sendMessage among calls whose text holds `needle`."""
    return [
        c for c in calls if c["method"] == "sendMessage" and needle in c["params"].get("text", "")
    ][-1]
