"""aiogram's parsed-response classes, built once and kept for the life of the process.

aiogram reads every answer through `Response[<the method's return type>]`, a pydantic generic
class that pydantic caches only weakly: after a garbage collection the next call builds the
class again (about 3 ms each; measured as 5% of the bot's CPU under a burst of sends). Holding
one reference per method the bot calls makes that a dictionary hit.
"""

from __future__ import annotations

from typing import Any

from aiogram import methods
from aiogram.methods import TelegramMethod
from aiogram.methods.base import Response

# Every method the bot sends (a test checks the list against the code).
METHODS: tuple[type[TelegramMethod[Any]], ...] = (
    methods.AnswerCallbackQuery,
    methods.DeleteWebhook,
    methods.SetWebhook,
    methods.EditMessageReplyMarkup,
    methods.EditMessageText,
    methods.GetChatMember,
    methods.GetMe,
    methods.GetUpdates,
    methods.SendMessage,
    methods.SetMyCommands,
)

_KEPT: dict[type[TelegramMethod[Any]], type[Any]] = {}


def keep_response_types() -> dict[type[TelegramMethod[Any]], type[Any]]:
    """Build the response class of each method the bot calls and hold it; returns them."""
    for method in METHODS:
        if method not in _KEPT:
            _KEPT[method] = Response[method.__returning__]  # type: ignore[name-defined]
    return _KEPT
