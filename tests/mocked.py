"""A Bot whose session records requests and answers them like Telegram would, offline."""

from __future__ import annotations

import itertools
import time
from collections.abc import AsyncGenerator
from typing import Any

from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import (
    EditMessageReplyMarkup,
    EditMessageText,
    GetChatMember,
    GetMe,
    SendMessage,
    TelegramMethod,
)
from aiogram.methods.base import TelegramType
from aiogram.types import Chat, ChatMemberUnion, InlineKeyboardMarkup, Message, User
from pydantic import TypeAdapter

BOT_TOKEN = "123456:TEST-TOKEN-abcdefghijklmnopqrstu"
BOT_ID = 123456
# What getChatMember tells of an administrator besides its status and user.
ADMIN_RIGHTS: dict[str, Any] = {
    "can_be_edited": False,
    "is_anonymous": False,
    "can_manage_chat": True,
    "can_delete_messages": True,
    "can_manage_video_chats": True,
    "can_restrict_members": True,
    "can_promote_members": False,
    "can_change_info": True,
    "can_invite_users": True,
    "can_post_stories": False,
    "can_edit_stories": False,
    "can_delete_stories": False,
    "can_send_welcome_messages": False,
}


class RecordingSession(BaseSession):
    """Records every method call; answers sendMessage/editMessageText with a Message."""

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[TelegramMethod[Any]] = []
        self.errors: list[Exception] = []
        # getChatMember answers: (chat_id, user_id) -> status; the bot is an admin unless set.
        self.members: dict[tuple[int, int], str] = {}
        self._ids = itertools.count(1)

    async def make_request(
        self, bot: Bot, method: TelegramMethod[TelegramType], timeout: int | None = None
    ) -> TelegramType:
        """Record the call and fabricate Telegram's answer."""
        self.requests.append(method)
        if self.errors:
            raise self.errors.pop(0)
        problem = breach(method)
        if problem is not None:
            raise TelegramBadRequest(method, problem)
        if isinstance(method, SendMessage | EditMessageText):
            chat_id = int(method.chat_id)  # type: ignore[arg-type]
            return Message(  # type: ignore[return-value]
                message_id=getattr(method, "message_id", None) or next(self._ids),
                date=int(time.time()),
                chat=Chat(id=chat_id, type="private" if chat_id > 0 else "supergroup"),
                text=method.text,
                reply_markup=method.reply_markup
                if isinstance(method.reply_markup, InlineKeyboardMarkup)
                else None,
            )
        if isinstance(method, GetChatMember):
            chat_id, user_id = int(method.chat_id), method.user_id  # type: ignore[arg-type]
            default = "administrator" if user_id == BOT_ID else "member"
            status = self.members.get((chat_id, user_id), default)
            user = {"id": user_id, "is_bot": user_id == BOT_ID, "first_name": "U"}
            extra: dict[str, Any] = {}
            if status == "administrator":
                extra = ADMIN_RIGHTS
            elif status == "creator":
                extra = {"is_anonymous": False}
            return TypeAdapter(ChatMemberUnion).validate_python(  # type: ignore[return-value]
                {"status": status, "user": user, **extra}
            )
        if isinstance(method, GetMe):
            return User(  # type: ignore[return-value]
                id=BOT_ID, is_bot=True, first_name="Nudge", username="nudge_test_bot"
            )
        return True  # type: ignore[return-value]

    async def stream_content(self, *args: Any, **kwargs: Any) -> AsyncGenerator[bytes, None]:
        """Files are not used by the bot."""
        yield b""

    async def close(self) -> None:
        """Nothing to close."""

    def sent(self) -> list[SendMessage]:
        """The sendMessage calls so far."""
        return [r for r in self.requests if isinstance(r, SendMessage)]

    def edits(self) -> list[EditMessageText]:
        """The editMessageText calls so far."""
        return [r for r in self.requests if isinstance(r, EditMessageText)]


def breach(method: TelegramMethod[Any]) -> str | None:
    """What Telegram would refuse in a message the bot built (text, buttons, callback data)."""
    text = getattr(method, "text", None)
    if isinstance(method, SendMessage | EditMessageText):
        if not text or not text.strip():
            return "Bad Request: message text is empty"
        if len(text) > 4096:
            return "Bad Request: message is too long"
    markup = getattr(method, "reply_markup", None)
    if isinstance(method, SendMessage | EditMessageText | EditMessageReplyMarkup) and isinstance(
        markup, InlineKeyboardMarkup
    ):
        buttons = [b for row in markup.inline_keyboard for b in row]
        if len(buttons) > 100:
            return "Bad Request: reply markup is too long"
        for button in buttons:
            if button.callback_data is not None and len(button.callback_data.encode()) > 64:
                return "Bad Request: BUTTON_DATA_INVALID"
            if not button.text.strip():
                return "Bad Request: text buttons are unallowed"
    return None


def mocked_bot() -> tuple[Bot, RecordingSession]:
    """A Bot with a recording session."""
    session = RecordingSession()
    return Bot(BOT_TOKEN, session=session), session


def script_updates(bot: Bot, poller: Any, *answers: list[Any]) -> None:
    """Make `bot.get_updates` return these answers in turn, then stop `poller` (the real
    Poller, run on them with `await poller.run()`)."""
    queue = list(answers)

    async def get_updates(**_kwargs: Any) -> list[Any]:
        if queue:
            return queue.pop(0)
        poller.stop()
        return []

    bot.get_updates = get_updates  # type: ignore[method-assign]
    poller._stopping.clear()
