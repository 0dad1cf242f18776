"""The poller's give-up path: a command that keeps failing is echoed back, never lost silently."""

from __future__ import annotations

import time
from datetime import timedelta

from aiogram import Router
from aiogram.filters import Command
from aiogram.methods import AnswerCallbackQuery
from aiogram.types import Message, Update

from tests.conftest import Harness


async def test_a_failing_command_is_echoed_back_once(harness: Harness) -> None:
    broken = Router(name="broken")

    @broken.message(Command("boom"))
    async def cmd_boom(message: Message) -> None:
        raise RuntimeError("a bug")

    harness.app.dispatcher.include_router(broken)
    # Ahead of the bot's own routers, whose last one answers unknown commands.
    routers = harness.app.dispatcher.sub_routers
    routers.insert(0, routers.pop())
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
    await harness.app.poller.handle(update)
    await harness.app.delivery.run_once()
    [apology] = harness.session.sent()
    assert "ничего не сохранилось" in apology.text or "не сохранилось" in apology.text
    assert "/boom важные данные клиента" in apology.text
    # Marked handled: a redelivery does not apologise twice.
    await harness.app.poller.handle(update)
    await harness.app.delivery.run_once()
    assert len(harness.session.sent()) == 1


def _broken(harness: Harness) -> None:
    """A router, ahead of the bot's own, whose command and button always fail."""
    broken = Router(name="broken")

    @broken.message(Command("boom"))
    async def cmd_boom(message: Message) -> None:
        raise RuntimeError("a bug")

    @broken.callback_query()
    async def on_boom(query: object) -> None:
        raise RuntimeError("a bug")

    harness.app.dispatcher.include_router(broken)
    routers = harness.app.dispatcher.sub_routers
    routers.insert(0, routers.pop())


async def test_a_failing_long_command_is_echoed_back_whole(harness: Harness) -> None:
    """A 4,000-character command fills a message: the apology and the text come apart."""
    _broken(harness)
    typed = "/boom " + "слово " * 680
    update = Update.model_validate(
        {
            "update_id": 501,
            "message": {
                "message_id": 1,
                "date": int(time.time()),
                "chat": {"id": 1001, "type": "private"},
                "from": harness.user(),
                "text": typed,
                "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
            },
        },
        context={"bot": harness.app.bot},
    )
    await harness.app.poller.handle(update)
    for _ in range(5):
        harness.clock.advance(timedelta(seconds=5))
        await harness.app.delivery.run_once()
    sent = harness.session.sent()
    assert len(sent) >= 2 and "не сохранилось" in sent[0].text
    assert "".join(m.text for m in sent[1:]).split() == typed.split()


async def test_a_failing_button_is_answered(harness: Harness) -> None:
    """The spinner of a button whose handler fails for good still stops."""
    _broken(harness)
    update = Update.model_validate(
        {
            "update_id": 502,
            "callback_query": {
                "id": "q1",
                "from": harness.user(),
                "chat_instance": "1",
                "data": "anything",
                "message": {
                    "message_id": 9,
                    "date": int(time.time()),
                    "chat": {"id": 1001, "type": "private"},
                    "text": "…",
                },
            },
        },
        context={"bot": harness.app.bot},
    )
    await harness.app.poller.handle(update)
    assert [r for r in harness.session.requests if isinstance(r, AnswerCallbackQuery)]
