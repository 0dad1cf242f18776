"""The poller's give-up path: a command that keeps failing is echoed back, never lost silently."""

from __future__ import annotations

import time

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message, Update

from tests.conftest import Harness


async def test_a_failing_command_is_echoed_back_once(harness: Harness) -> None:
    broken = Router(name="broken")

    @broken.message(Command("boom"))
    async def cmd_boom(message: Message) -> None:
        raise RuntimeError("a bug")

    harness.app.dispatcher.include_router(broken)
    update = Update.model_validate(
        {
            "update_id": 500,
            "message": {
                "message_id": 1,
                "date": int(time.time()),
                "chat": {"id": 1001, "type": "private"},
                "from": harness.user(),
                "text": "/boom важные данные клиента",
                "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
            },
        },
        context={"bot": harness.app.bot},
    )
    await harness.app.poller._handle(update)
    await harness.app.delivery.run_once()
    [apology] = harness.session.sent()
    assert "ничего не сохранилось" in apology.text or "не сохранилось" in apology.text
    assert "/boom важные данные клиента" in apology.text
    # Marked handled: a redelivery does not apologise twice.
    await harness.app.poller._handle(update)
    await harness.app.delivery.run_once()
    assert len(harness.session.sent()) == 1
