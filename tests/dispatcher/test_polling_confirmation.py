"""Why our own poller: aiogram's default polling confirms an update before it is handled."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from pathlib import Path

from bot.app import ALLOWED_UPDATES, build_app
from tests.conftest import make_settings
from tests.e2e_support import TOKEN, wait_until
from tests.fakeapi import FakeTelegram


async def _scenario(tmp_path: Path, use_aiogram_polling: bool) -> tuple[bool, int]:
    """A /lead arrives while the database is locked; the process then "dies".

    Returns (was the update confirmed to Telegram, leads stored) at the moment of death.
    """
    async with FakeTelegram(token=TOKEN) as fake:
        settings = make_settings(
            tmp_path, bot_token=TOKEN, telegram_api_url=fake.url, polling_timeout=1
        )
        app = build_app(settings)
        await app.db.migrate()
        app.dispatcher["bot_username"] = "nudge_test_bot"
        if use_aiogram_polling:
            poll = asyncio.create_task(
                app.dispatcher.start_polling(
                    app.bot,
                    handle_signals=False,
                    polling_timeout=1,
                    allowed_updates=list(ALLOWED_UPDATES),
                    close_bot_session=False,
                )
            )
        else:
            poll = asyncio.create_task(app.poller.run())
        lock = sqlite3.connect(tmp_path / "nudge.sqlite3", isolation_level=None)
        lock.execute("BEGIN IMMEDIATE")
        update_id = fake.send_text("/lead Иван Петров", user_id=1)
        await wait_until(
            lambda: any(
                any(u.get("update_id") == update_id for u in c.response.get("result") or [])
                for c in fake.calls_of("getUpdates")
            ),
            what="the bot to read the update",
        )
        # aiogram asks for the next batch at once (confirming this one); ours cannot until the
        # handler commits, so for it this bounded wait is expected to run out.
        with contextlib.suppress(AssertionError):
            await fake.wait_for("getUpdates", count=2, timeout=3)
        confirmed = fake.confirmed_offset > update_id
        poll.cancel()  # the crash: whatever was in flight is gone
        await asyncio.gather(poll, return_exceptions=True)
        lock.execute("ROLLBACK")
        stored = (
            sqlite3.connect(tmp_path / "nudge.sqlite3")
            .execute("SELECT count(*) FROM clients")
            .fetchone()[0]
        )
        await app.bot.session.close()
        await app.db.close()
        return confirmed, stored


async def test_aiogram_default_polling_would_lose_the_command(tmp_path: Path) -> None:
    confirmed, stored = await _scenario(tmp_path, use_aiogram_polling=True)
    assert confirmed and stored == 0  # Telegram forgot it, and it was never stored: lost


async def test_our_poller_keeps_it_unconfirmed_until_stored(tmp_path: Path) -> None:
    confirmed, stored = await _scenario(tmp_path, use_aiogram_polling=False)
    assert not confirmed and stored == 0  # Telegram will deliver it again after a restart
