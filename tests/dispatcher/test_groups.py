"""In a group the bot posts no client data, lists, agenda, invite link or intake URL."""

from __future__ import annotations

import time
from typing import Any

from tests.conftest import Harness

GROUP = -100123


def group_message(h: Harness, text: str, user_id: int = 1001) -> dict[str, Any]:
    """A text message from a team member in a supergroup."""
    message: dict[str, Any] = {
        "message_id": 77,
        "date": int(time.time()),
        "chat": {"id": GROUP, "type": "supergroup", "title": "Project team"},
        "from": h.user(user_id),
        "text": text,
    }
    if text.startswith("/"):
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    return {"message": message}


async def test_no_command_shows_client_data_or_links_in_a_group(harness: Harness) -> None:
    """Every data command answers one line with a button to the private chat, nothing else."""
    await harness.send("/start")
    await harness.send("Москва")
    await harness.send("/lead Ольга Смирнова, +7 999 123-45-67, olga@example.com")
    for command in (
        "/client Ольга",
        "/clients",
        "/today",
        "/week",
        "/followups",
        "/fu Ольга завтра",
        "/call Ольга",
        "/sla 5",
        "/silent 3",
        "/invite",
        "/intake",
        "/lead Пётр, +7 999 000-00-00",
        "/settings",
        "/help@nudge_test_bot",
    ):
        sent = await harness.feed(group_message(harness, command))
        assert len(sent) == 1, command
        text = sent[0].text
        assert "Ольга" not in text and "+7" not in text and "t.me/nudge_test_bot?start" not in text
        assert "/intake/" not in text
        button = sent[0].reply_markup.inline_keyboard[0][0]
        assert button.url == "https://t.me/nudge_test_bot"
    # The team's settings were not changed from the group.
    sent = await harness.send("/sla")
    assert "15" in sent[0].text


async def test_other_bots_commands_and_chatter_are_ignored(harness: Harness) -> None:
    """`/start@otherbot` and plain talk in a group get no answer."""
    assert await harness.feed(group_message(harness, "/start@other_bot")) == []
    assert await harness.feed(group_message(harness, "Коллеги, привет")) == []
