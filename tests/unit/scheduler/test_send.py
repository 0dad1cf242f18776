"""Outbox rows sent as JSON straight through aiohttp reach Telegram as aiogram sends them."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import (
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)

from bot.scheduler.send import Sender
from bot.telegram.outbox import Markup, build_method, encode_markup
from tests.fakeapi import FakeTelegram
from tests.mocked import mocked_bot

TOKEN = "123456:TEST-TOKEN-abcdefghijklmnopqrstu"
INLINE = InlineKeyboardMarkup(
    inline_keyboard=[
        [
            InlineKeyboardButton(text="✅ Ответил", callback_data="lead:ans:1"),
            InlineKeyboardButton(text="Open", url="https://example.com/a?b=1"),
        ]
    ]
)
OTHER = InlineKeyboardMarkup(
    inline_keyboard=[[InlineKeyboardButton(text="⏰ +15", callback_data="lead:snz:1")]]
)
KEYBOARDS: list[Markup | None] = [
    None,
    INLINE,
    ReplyKeyboardMarkup(keyboard=[[KeyboardButton(text="Да")]], resize_keyboard=True),
    ReplyKeyboardRemove(),
    ForceReply(input_field_placeholder="Имя"),
]


@pytest.fixture
async def telegram() -> AsyncIterator[tuple[FakeTelegram, Bot]]:
    """The fake Bot API server and a bot talking to it over real HTTP."""
    async with FakeTelegram(token=TOKEN) as fake:
        bot = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(fake.url)))
        try:
            yield fake, bot
        finally:
            await bot.session.close()


def text_payload(markup: Markup | None, **extra: Any) -> dict[str, Any]:
    """A stored sendMessage/editMessageText payload, as Replies writes it."""
    payload: dict[str, Any] = {"text": "Лид «Анна» ждёт <b>ответа</b>", "parse_mode": "HTML"}
    if markup is not None:
        payload["reply_markup"] = encode_markup(markup)
    return {**payload, **extra}


async def both_ways(
    fake: FakeTelegram, bot: Bot, method: str, payload: dict[str, Any], chats: tuple[int, int]
) -> tuple[dict[str, Any], dict[str, Any], int | None, int | None]:
    """The server's params (without the chat) and the message id, via aiogram and directly."""
    # aiogram sends to chats[0], the direct path to chats[1].
    sender = Sender(bot)
    assert sender.direct() is not None
    before = len(fake.calls)
    via_aiogram = await bot(build_method(chats[0], method, payload))
    direct = await sender(chats[1], method, payload)
    first, second = (
        {k: v for k, v in c.params.items() if k != "chat_id"} for c in fake.calls[before:]
    )
    ours = getattr(via_aiogram, "message_id", None)
    return first, second, ours, direct


@pytest.mark.parametrize("markup", KEYBOARDS)
async def test_a_message_reaches_telegram_as_aiogram_sends_it(
    telegram: tuple[FakeTelegram, Bot], markup: Markup | None
) -> None:
    fake, bot = telegram
    for extra in ({}, {"reply_to": 7, "on_behalf_of": 5, "client_id": 9}, {"parse_mode": None}):
        got, sent, aiogram_id, direct_id = await both_ways(
            fake, bot, "sendMessage", text_payload(markup, **extra), (1, 2)
        )
        assert sent == got and "on_behalf_of" not in sent and "client_id" not in sent
        assert direct_id == aiogram_id  # each chat's first, second, third message


@pytest.mark.parametrize("markup", [None, INLINE, ReplyKeyboardRemove()])
async def test_edits_reach_telegram_as_aiogram_sends_them(
    telegram: tuple[FakeTelegram, Bot], markup: Markup | None
) -> None:
    fake, bot = telegram
    for chat in (3, 4):
        await bot(build_method(chat, "sendMessage", text_payload(OTHER)))
    edit = text_payload(markup, message_id=1, text="Ответили")
    got, sent, _a, direct_id = await both_ways(fake, bot, "editMessageText", edit, (3, 4))
    assert sent == got and direct_id == 1
    buttons = {"message_id": 1, **({"reply_markup": encode_markup(OTHER)})}
    got, sent, _a, _d = await both_ways(fake, bot, "editMessageReplyMarkup", buttons, (3, 4))
    assert sent == got
    bare = {"message_id": 1}
    got, sent, _a, direct_id = await both_ways(fake, bot, "editMessageReplyMarkup", bare, (3, 4))
    assert sent == got == {"message_id": 1} and direct_id == 1


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (429, TelegramRetryAfter),
        (403, TelegramForbiddenError),
        (400, TelegramBadRequest),
        (500, TelegramServerError),
    ],
)
async def test_a_refusal_raises_what_aiogram_raises(
    telegram: tuple[FakeTelegram, Bot], status: int, expected: type[Exception]
) -> None:
    fake, bot = telegram
    fake.fail_next("sendMessage", status=status, retry_after=7 if status == 429 else None)
    with pytest.raises(expected) as caught:
        await Sender(bot)(1, "sendMessage", text_payload(None))
    if isinstance(caught.value, TelegramRetryAfter):
        assert caught.value.retry_after == 7


async def test_an_unreachable_server_is_a_network_error() -> None:
    with socket.socket() as spare:  # a port nobody listens on
        spare.bind(("127.0.0.1", 0))
        port = spare.getsockname()[1]
    api = TelegramAPIServer.from_base(f"http://127.0.0.1:{port}")
    bot = Bot(TOKEN, session=AiohttpSession(api=api))
    try:
        with pytest.raises(TelegramNetworkError):
            await Sender(bot)(1, "sendMessage", text_payload(None))
    finally:
        await bot.session.close()


async def test_bots_aiogram_must_fill_in_go_through_aiogram() -> None:
    """Another session, a request middleware or default properties keep aiogram's path."""
    recording, session = mocked_bot()
    sender = Sender(recording)
    assert sender.direct() is None
    assert await sender(5, "sendMessage", text_payload(INLINE)) is not None
    assert [type(r).__name__ for r in session.requests] == ["SendMessage"]

    plain = Bot(TOKEN, session=AiohttpSession())
    assert Sender(plain).direct() is plain.session
    defaults = Bot(TOKEN, default=DefaultBotProperties(parse_mode="HTML"))
    assert Sender(defaults).direct() is None
    plain.session.middleware(lambda make_request, bot, method: make_request(bot, method))
    assert Sender(plain).direct() is None
