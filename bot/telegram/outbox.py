"""Messages a handler or a reminder owes a chat, written to the outbox in the same transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiogram.methods import EditMessageReplyMarkup, EditMessageText, SendMessage, TelegramMethod
from aiogram.types import (
    ForceReply,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    ReplyParameters,
)

from bot.clock import Clock
from bot.storage.repositories import Repos
from bot.storage.repositories.outbox import ABOUT_CLIENT, ON_BEHALF_OF

Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | ForceReply
_MARKUPS: dict[str, type[Markup]] = {
    "inline": InlineKeyboardMarkup,
    "reply": ReplyKeyboardMarkup,
    "remove": ReplyKeyboardRemove,
    "force": ForceReply,
}


def encode_markup(markup: Markup | None) -> dict[str, Any] | None:
    """Tag the keyboard with its type, so it is rebuilt as the same type later."""
    if markup is None:
        return None
    tag = next(tag for tag, cls in _MARKUPS.items() if isinstance(markup, cls))
    return {"type": tag, "data": markup.model_dump(mode="json", exclude_none=True)}


def build_method(chat_id: int, method: str, payload: dict[str, Any]) -> TelegramMethod[Any]:
    """Turn an outbox row back into the Bot API call it stands for."""
    markup_data = payload.get("reply_markup")
    markup = (
        _MARKUPS[markup_data["type"]].model_validate(markup_data["data"]) if markup_data else None
    )
    no_preview = LinkPreviewOptions(is_disabled=True)
    if method == "sendMessage":
        reply_to = payload.get("reply_to")
        return SendMessage(
            chat_id=chat_id,
            text=payload["text"],
            reply_markup=markup,
            parse_mode=payload.get("parse_mode"),
            reply_parameters=ReplyParameters(message_id=reply_to, allow_sending_without_reply=True)
            if reply_to
            else None,
            link_preview_options=no_preview,
        )
    if method == "editMessageReplyMarkup":
        return EditMessageReplyMarkup(
            chat_id=chat_id,
            message_id=payload["message_id"],
            reply_markup=markup if isinstance(markup, InlineKeyboardMarkup) else None,
        )
    if method == "editMessageText":
        return EditMessageText(
            chat_id=chat_id,
            message_id=payload["message_id"],
            text=payload["text"],
            reply_markup=markup if isinstance(markup, InlineKeyboardMarkup) else None,
            parse_mode=payload.get("parse_mode"),
            link_preview_options=no_preview,
        )
    raise ValueError(f"unknown outbox method {method!r}")


class Replies:
    """The outbox as a handler sees it: say something to a chat, durably."""

    def __init__(self, repos: Repos, clock: Clock) -> None:
        self.repos = repos
        self.clock = clock
        self.queued = 0

    async def send(
        self,
        chat_id: int,
        text: str,
        *,
        reply_markup: Markup | None = None,
        kind: str = "reply",
        parse_mode: str | None = "HTML",
        due_at: datetime | None = None,
        not_before: datetime | None = None,
        reminder_id: int | None = None,
        reply_to: int | None = None,
        on_behalf_of: int | None = None,
        client_id: int | None = None,
    ) -> None:
        """Queue a new message to `chat_id` (optionally as a reply to one of its messages)."""
        payload: dict[str, Any] = {"text": text, "parse_mode": parse_mode}
        if reply_to is not None:
            payload["reply_to"] = reply_to
        # Sent on someone's behalf (a passed lead): that person hears if it cannot be delivered.
        if on_behalf_of is not None:
            payload[ON_BEHALF_OF] = on_behalf_of
        if client_id is not None:
            payload[ABOUT_CLIENT] = client_id
        if reply_markup is not None:
            payload["reply_markup"] = encode_markup(reply_markup)
        self.queued += 1
        await self.repos.outbox.add(
            chat_id,
            payload,
            kind=kind,
            now=self.clock.now(),
            due_at=due_at,
            not_before=not_before,
            reminder_id=reminder_id,
        )

    async def edit_markup(
        self, chat_id: int, message_id: int, reply_markup: InlineKeyboardMarkup | None
    ) -> None:
        """Queue a change of a message's buttons only."""
        payload: dict[str, Any] = {"message_id": message_id}
        if reply_markup is not None:
            payload["reply_markup"] = encode_markup(reply_markup)
        self.queued += 1
        await self.repos.outbox.add(
            chat_id, payload, kind="edit", now=self.clock.now(), method="editMessageReplyMarkup"
        )

    async def edit(
        self,
        chat_id: int,
        message_id: int,
        text: str,
        *,
        reply_markup: InlineKeyboardMarkup | None = None,
        parse_mode: str | None = "HTML",
    ) -> None:
        """Queue an edit of a message the bot sent earlier."""
        payload: dict[str, Any] = {"text": text, "message_id": message_id, "parse_mode": parse_mode}
        if reply_markup is not None:
            payload["reply_markup"] = encode_markup(reply_markup)
        self.queued += 1
        await self.repos.outbox.add(
            chat_id, payload, kind="edit", now=self.clock.now(), method="editMessageText"
        )
