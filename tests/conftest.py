"""Shared fixtures: settings on a temporary database, an app with a mocked Telegram."""

from __future__ import annotations

import itertools
import os
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiogram.methods import SendMessage
from aiogram.types import Update

from bot.app import App, build_app
from bot.clock import FakeClock
from bot.settings import Settings
from tests import pgserver
from tests.e2e_support import TOKEN as E2E_TOKEN
from tests.fakeapi import FakeTelegram
from tests.mocked import BOT_TOKEN, RecordingSession, mocked_bot

START = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def make_settings(tmp_path: Path, database_url: str | None = None, **overrides: Any) -> Settings:
    """Settings that ignore the developer's .env and environment (SQLite unless a URL is given)."""
    values: dict[str, Any] = {
        "bot_token": BOT_TOKEN,
        "database_url": database_url or f"sqlite+aiosqlite:///{tmp_path / 'nudge.sqlite3'}",
        "default_language": "ru",
        "default_timezone": "Europe/Moscow",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@dataclass
class Harness:
    """The real dispatcher over a temporary database, with a recording Telegram session."""

    app: App
    session: RecordingSession
    clock: FakeClock
    _ids: Any = None

    def __post_init__(self) -> None:
        self._ids = itertools.count(1)
        self._msg_ids = itertools.count(1)

    def user(self, user_id: int = 1001, language: str | None = "ru", name: str = "Ivan") -> dict:
        """A Telegram user object."""
        return {"id": user_id, "is_bot": False, "first_name": name, "language_code": language}

    async def send(
        self, text: str, *, user_id: int = 1001, language: str | None = "ru", **extra: Any
    ) -> list[SendMessage]:
        """Feed a private text message and deliver what it queued; return the sent messages."""
        message: dict[str, Any] = {
            "message_id": next(self._msg_ids),
            "date": int(time.time()),
            "chat": {"id": user_id, "type": "private"},
            "from": self.user(user_id, language),
            "text": text,
        }
        if text.startswith("/"):
            message["entities"] = [
                {"type": "bot_command", "offset": 0, "length": len(text.split()[0])}
            ]
        message.update(extra)
        return await self.feed({"message": message})

    async def press(
        self, data: str, *, message_id: int = 1, user_id: int = 1001, language: str | None = "ru"
    ) -> list[Any]:
        """Press an inline button on a bot message in the user's chat."""
        query = {
            "id": str(next(self._ids)),
            "from": self.user(user_id, language),
            "chat_instance": "1",
            "data": data,
            "message": {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": {"id": user_id, "type": "private"},
                "from": {"id": 123456, "is_bot": True, "first_name": "Nudge"},
                "text": "…",
            },
        }
        return await self.feed({"callback_query": query})

    async def feed(self, update: dict[str, Any], update_id: int | None = None) -> list[Any]:
        """Feed one update through the dispatcher, then deliver the outbox."""
        before = len(self.session.requests)
        update = {"update_id": update_id or next(self._ids) + 10_000, **update}
        await self.app.dispatcher.feed_update(
            self.app.bot, Update.model_validate(update, context={"bot": self.app.bot})
        )
        await self.app.delivery.run_once()
        return [
            r for r in self.session.requests[before:] if type(r).__name__ != "AnswerCallbackQuery"
        ]


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    """The fake Bot API server on 127.0.0.1 for end-to-end tests."""
    async with FakeTelegram(token=E2E_TOKEN) as server:
        yield server


def pytest_configure(config: pytest.Config) -> None:
    """Register the backend markers."""
    config.addinivalue_line(
        "markers", "sqlite_only: the test is about SQLite itself; it runs on SQLite alone"
    )
    config.addinivalue_line(
        "markers", "postgresql_only: the test is about PostgreSQL itself; it runs there alone"
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Every test on a database runs on SQLite and on PostgreSQL, unless marked for one."""
    if "backend" not in metafunc.fixturenames:
        return
    if metafunc.definition.get_closest_marker("sqlite_only") is not None:
        backends = ["sqlite"]
    elif metafunc.definition.get_closest_marker("postgresql_only") is not None:
        backends = ["postgresql"]
    else:
        backends = ["sqlite", "postgresql"]
    metafunc.parametrize("backend", backends)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[pgserver.Server]:
    """One throwaway PostgreSQL server for the whole run (see tests/pgserver.py)."""
    try:
        server = pgserver.start()
    except (pgserver.Unavailable, OSError, subprocess.CalledProcessError) as exc:
        reason = f"PostgreSQL half skipped: {exc}"
        if os.environ.get("NUDGE_REQUIRE_POSTGRES") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    yield server
    server.stop()


@pytest.fixture
async def database_url(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[str]:
    """A URL of a new empty database on the test's backend, dropped after the test."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'nudge.sqlite3'}"
        return
    server = request.getfixturevalue("postgres_server")
    async with pgserver.database(server) as url:
        yield url


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    """Settings on a temporary database of the test's backend."""
    return make_settings(tmp_path, database_url)


@pytest.fixture
async def harness(settings: Settings) -> AsyncIterator[Harness]:
    """A migrated app with a mocked Telegram and a fake clock."""
    clock = FakeClock(START)
    bot, session = mocked_bot()
    app = build_app(settings, clock, bot=bot)
    app.dispatcher["bot_username"] = "nudge_test_bot"
    # As at start-up: who the bot is is known before the first update (filters ask for it).
    await bot.me()
    session.requests.clear()
    await app.db.migrate()
    try:
        yield Harness(app, session, clock)
    finally:
        await app.db.close()
