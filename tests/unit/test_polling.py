"""The poller on Telegram's 409 Conflict: one clear line per episode, then quiet retries."""

from __future__ import annotations

from typing import Any

import pytest
from aiogram.exceptions import TelegramConflictError
from aiogram.methods import GetUpdates

from bot.telegram.polling import Poller

OTHER_POLLER = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is "
    "running"
)
WEBHOOK_SET = "Conflict: can't use getUpdates method while webhook is active"


class ScriptedBot:
    """Answers each getUpdates from a script: a 409 message, or [] (no updates); then stops."""

    def __init__(self, *script: str | None) -> None:
        self.script = list(script)
        self.polls = 0
        self.webhook_deleted = 0
        self.poller: Poller | None = None

    async def get_updates(self, **_kwargs: Any) -> list[Any]:
        self.polls += 1
        assert self.poller is not None
        if not self.script:
            self.poller.stop()
            return []
        step = self.script.pop(0)
        if step is not None:
            raise TelegramConflictError(GetUpdates(), step)
        return []

    async def delete_webhook(self, **_kwargs: Any) -> bool:
        self.webhook_deleted += 1
        return True


async def poll(bot: ScriptedBot, caplog: pytest.LogCaptureFixture, quiet: float = 600) -> list[str]:
    """Run a poller on the script; the log lines it wrote."""
    poller = Poller(bot, None, None, allowed_updates=["message"])  # type: ignore[arg-type]
    poller.conflict_retry, poller.conflict_quiet = 0.01, quiet
    bot.poller = poller
    with caplog.at_level("INFO", logger="nudge.polling"):
        await poller.run()
    assert all(r.levelname == "ERROR" for r in caplog.records)
    return [r.getMessage() for r in caplog.records]


async def test_another_poller_is_named_once(caplog: pytest.LogCaptureFixture) -> None:
    bot = ScriptedBot(OTHER_POLLER, OTHER_POLLER, OTHER_POLLER, OTHER_POLLER)
    lines = await poll(bot, caplog)
    assert bot.polls == 5
    assert len(lines) == 1, lines
    assert "another process is polling with this token: stop it" in lines[0]
    assert "retrying every" in lines[0]
    assert bot.webhook_deleted == 0


async def test_two_processes_taking_turns_are_named_once(caplog: pytest.LogCaptureFixture) -> None:
    # Each process gets some polls through while the other waits out its retry.
    bot = ScriptedBot(OTHER_POLLER, None, OTHER_POLLER, None, None, OTHER_POLLER)
    lines = await poll(bot, caplog)
    assert len(lines) == 1, lines


async def test_a_conflict_after_a_quiet_spell_is_named_again(
    caplog: pytest.LogCaptureFixture,
) -> None:
    bot = ScriptedBot(OTHER_POLLER, None, OTHER_POLLER)
    lines = await poll(bot, caplog, quiet=0)
    assert len(lines) == 2 and all("another process" in line for line in lines), lines


async def test_a_webhook_set_later_is_deleted(caplog: pytest.LogCaptureFixture) -> None:
    bot = ScriptedBot(WEBHOOK_SET, WEBHOOK_SET)
    lines = await poll(bot, caplog)
    assert len(lines) == 1 and "webhook" in lines[0], lines
    assert bot.webhook_deleted == 2
