"""Tests for the fake Telegram Bot API server (tests.fakeapi)."""

from __future__ import annotations

import asyncio
import socket
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.types import (
    BotCommand,
    BufferedInputFile,
    ChatMemberAdministrator,
    ChatMemberMember,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from aiohttp import web

from tests.fakeapi import Call, FakeTelegram

TOKEN = "123456:TEST-TOKEN"
ROOT = Path(__file__).resolve().parents[2]
KB = InlineKeyboardMarkup(
    inline_keyboard=[[InlineKeyboardButton(text="Done", callback_data="d:1")]]
)


def make_bot(url: str, token: str = TOKEN) -> Bot:
    """An aiogram Bot pointed at the fake server."""
    return Bot(token, session=AiohttpSession(api=TelegramAPIServer.from_base(url)))


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    """A running fake server."""
    async with FakeTelegram(TOKEN) as server:
        yield server


@pytest.fixture
async def bot(fake: FakeTelegram) -> AsyncIterator[Bot]:
    """A Bot talking to the fake server."""
    bot = make_bot(fake.url)
    yield bot
    await bot.session.close()


async def test_get_me_and_unknown_token(fake: FakeTelegram, bot: Bot) -> None:
    """getMe returns the configured bot; a wrong token gets 401."""
    me = await bot.get_me()
    assert (me.id, me.username, me.is_bot, me.first_name) == (
        123456,
        "nudge_test_bot",
        True,
        "Nudge",
    )
    assert fake.url.startswith("http://127.0.0.1:") and fake.calls_of("getMe")
    other = make_bot(fake.url, "999:WRONG")
    with pytest.raises(TelegramUnauthorizedError):
        await other.get_me()
    await other.session.close()


async def test_send_message_recorded_with_decoded_params(fake: FakeTelegram, bot: Bot) -> None:
    """sendMessage returns a Message; params are decoded (ints, JSON) but text stays str."""
    first = await bot.send_message(1001, "[1, 2]", reply_markup=KB)
    second = await bot.send_message(1001, "42", disable_notification=True)
    other_chat = await bot.send_message(2002, "hi")
    assert (first.message_id, second.message_id, other_chat.message_id) == (1, 2, 1)
    assert first.chat.type == "private" and first.from_user and first.from_user.is_bot
    assert first.reply_markup and second.reply_markup is None
    assert first.reply_markup.inline_keyboard[0][0].callback_data == "d:1"
    (call,) = fake.calls_of("sendMessage", chat_id=1001, text="[1, 2]")
    assert isinstance(call, Call) and call.response["ok"] is True
    assert call.params["reply_markup"] == {
        "inline_keyboard": [[{"text": "Done", "callback_data": "d:1"}]]
    }
    assert fake.calls_of("sendMessage", text="42")[0].params["disable_notification"] is True
    assert len(fake.calls_of("sendMessage", chat_id=1001)) == 2
    assert fake.last_bot_message(1001)["message_id"] == 2


async def test_send_message_validation(bot: Bot) -> None:
    """Telegram's basic sendMessage checks are enforced."""
    with pytest.raises(TelegramBadRequest, match="too long"):
        await bot.send_message(1001, "x" * 4097)
    bad = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="x", callback_data="y" * 65)]]
    )
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(1001, "hi", reply_markup=bad)


async def test_get_updates_returns_queued_update_and_honours_offset(
    fake: FakeTelegram,
    bot: Bot,
) -> None:
    """A queued text message is returned and removed once confirmed by offset."""
    uid = fake.send_text("/start ref42", username="ivan")
    second = fake.send_text("hello", user_id=1002, language_code="en")
    assert second == uid + 1 == 2
    updates = await bot.get_updates(timeout=0)
    assert [u.update_id for u in updates] == [uid, second]
    msg = updates[0].message
    assert msg and msg.text == "/start ref42" and msg.chat.id == 1001 and msg.message_id == 1
    assert msg.from_user and msg.from_user.language_code == "ru"
    assert msg.entities and (msg.entities[0].type, msg.entities[0].length) == ("bot_command", 6)
    assert updates[1].message and not updates[1].message.entities
    assert [u.update_id for u in await bot.get_updates(timeout=0)] == [uid, second]  # unconfirmed
    assert [u.update_id for u in await bot.get_updates(offset=second, timeout=0)] == [second]
    assert await bot.get_updates(offset=second + 1, timeout=0) == []
    assert fake.confirmed_offset == second + 1 and fake.pending_updates == []
    assert fake.calls_of("getUpdates")[-1].params == {"offset": 3, "timeout": 0}


async def test_get_updates_long_poll(fake: FakeTelegram, bot: Bot) -> None:
    """Long-poll waits for the timeout when idle and returns as soon as an update arrives."""
    started = time.monotonic()
    assert await bot.get_updates(timeout=1) == []
    assert time.monotonic() - started >= 0.9
    asyncio.get_running_loop().call_later(0.2, fake.send_text, "late")
    started = time.monotonic()
    updates = await bot.get_updates(timeout=5, limit=1)
    assert time.monotonic() - started < 3
    assert [u.message.text for u in updates if u.message] == ["late"]


async def test_limit_location_and_group(fake: FakeTelegram, bot: Bot) -> None:
    """limit is honoured; location and group messages are built realistically."""
    fake.send_text("", location=(55.75, 37.61))
    fake.send_text(
        "/help@nudge_test_bot",
        chat_id=-100500,
        chat_type="supergroup",
        chat_title="Team",
        reply_to_message_id=7,
    )
    (loc,) = await bot.get_updates(timeout=0, limit=1)
    assert loc.message and loc.message.location and loc.message.text is None
    assert loc.message.location.latitude == 55.75
    (grp,) = await bot.get_updates(offset=loc.update_id + 1, timeout=0)
    assert grp.message and grp.message.chat.type == "supergroup"
    assert grp.message.chat.title == "Team" and grp.message.reply_to_message
    assert grp.message.entities and grp.message.entities[0].length == len("/help@nudge_test_bot")


async def test_redeliver(fake: FakeTelegram, bot: Bot) -> None:
    """A confirmed update comes back once after redeliver()."""
    uid = fake.add_update(
        {
            "message": {
                "message_id": 1,
                "date": 0,
                "chat": {"id": 5, "type": "private"},
                "text": "raw",
            }
        }
    )
    assert [u.update_id for u in await bot.get_updates(timeout=0)] == [uid]
    assert await bot.get_updates(offset=uid + 1, timeout=0) == []
    fake.redeliver(uid)
    assert [u.update_id for u in await bot.get_updates(offset=uid + 1, timeout=0)] == [uid]
    assert await bot.get_updates(offset=uid + 1, timeout=0) == []


async def test_press_callback_and_edits(fake: FakeTelegram, bot: Bot) -> None:
    """press() builds a callback_query on a bot message; edits update the stored message."""
    sent = await bot.send_message(1001, "Task?", reply_markup=KB)
    uid = fake.press("d:1", message=fake.last_bot_message(1001))
    (update,) = await bot.get_updates(timeout=0)
    query = update.callback_query
    assert update.update_id == uid and query and query.data == "d:1"
    assert query.from_user.id == 1001 and query.chat_instance
    assert query.message and query.message.message_id == sent.message_id
    assert await bot.answer_callback_query(query.id, text="ok")
    assert fake.calls_of("answerCallbackQuery", callback_query_id=query.id)[0].params["text"]
    edited = await bot.edit_message_text("Done!", chat_id=1001, message_id=sent.message_id)
    assert not isinstance(edited, bool) and edited.text == "Done!" and edited.reply_markup is None
    with pytest.raises(TelegramBadRequest, match="not modified"):
        await bot.edit_message_text("Done!", chat_id=1001, message_id=sent.message_id)
    edited = await bot.edit_message_reply_markup(
        chat_id=1001, message_id=sent.message_id, reply_markup=KB
    )
    assert not isinstance(edited, bool) and edited.reply_markup
    assert edited.reply_markup.inline_keyboard[0][0].text == "Done"
    with pytest.raises(TelegramBadRequest, match="not found"):
        await bot.edit_message_text("x", chat_id=1001, message_id=99)
    fake.press("d:1")  # defaults to the latest bot message in the user's chat
    assert fake.pending_updates[-1]["callback_query"]["message"]["reply_markup"]
    assert await bot.delete_message(1001, sent.message_id) is True


async def test_faults(fake: FakeTelegram, bot: Bot) -> None:
    """Injected faults surface as aiogram's exceptions."""
    fake.fail_next("sendMessage", status=429, retry_after=3)
    with pytest.raises(TelegramRetryAfter) as info:
        await bot.send_message(1001, "a")
    assert info.value.retry_after == 3
    await bot.send_message(1001, "b")
    fake.blocked.add(1001)
    with pytest.raises(TelegramForbiddenError, match="blocked"):
        await bot.send_message(1001, "c")
    await bot.send_message(1002, "d")
    fake.fail_next(
        "sendMessage", status=400, description="Bad Request: chat not found", chat_id=7, times=2
    )
    await bot.send_message(8, "unaffected")
    for _ in range(2):
        with pytest.raises(TelegramBadRequest, match="chat not found"):
            await bot.send_message(7, "e")
    await bot.send_message(7, "f")
    fake.get_updates_fail = 1
    with pytest.raises(TelegramServerError):
        await bot.get_updates(timeout=0)
    assert await bot.get_updates(timeout=0) == []
    assert [c.status for c in fake.calls_of("sendMessage")] == [
        429,
        200,
        403,
        200,
        200,
        400,
        400,
        200,
    ]


async def test_rate_limit(fake: FakeTelegram, bot: Bot) -> None:
    """Above rate_limit_per_second, sends get 429 retry_after=1."""
    fake.rate_limit_per_second = 2
    await bot.send_message(1, "1")
    await bot.send_message(1, "2")
    with pytest.raises(TelegramRetryAfter) as info:
        await bot.send_message(1, "3")
    assert info.value.retry_after == 1


async def test_wait_for(fake: FakeTelegram, bot: Bot) -> None:
    """wait_for resolves on matching calls after `since` and raises with a dump on timeout."""
    await bot.send_message(1001, "before")
    since = fake.mark()
    tasks = [asyncio.create_task(bot.send_message(1001, f"m{i}")) for i in range(3)]
    calls = await fake.wait_for(
        "sendMessage", lambda c: c.params["chat_id"] == 1001, count=3, since=since, timeout=5
    )
    assert sorted(c.params["text"] for c in calls) == ["m0", "m1", "m2"]
    await asyncio.gather(*tasks)
    with pytest.raises(AssertionError, match=r"sendMessage(.|\n)*m2"):
        await fake.wait_for("sendMessage", lambda c: c.params["text"] == "never", timeout=0.2)


async def test_other_methods(fake: FakeTelegram, bot: Bot) -> None:
    """Settings, chat info, members, documents and unknown methods answer realistically."""
    assert await bot.set_my_commands([BotCommand(command="start", description="Start")])
    assert [c.command for c in await bot.get_my_commands()] == ["start"]
    assert await bot.delete_my_commands() and await bot.get_my_commands() == []
    assert await bot.set_my_description("d") and await bot.set_my_short_description("s")
    assert await bot.set_chat_menu_button() and await bot.send_chat_action(1001, "typing")
    assert await bot.delete_webhook(drop_pending_updates=True) and await bot.close()
    fake.send_text("hi", first_name="Olga")
    chat = await bot.get_chat(1001)
    assert chat.type == "private" and chat.first_name == "Olga"
    assert isinstance(await bot.get_chat_member(-5, 123456), ChatMemberAdministrator)
    member = await bot.get_chat_member(-5, 1001)
    assert isinstance(member, ChatMemberMember) and member.user.first_name == "Olga"
    doc = await bot.send_document(1001, BufferedInputFile(b"a,b\n", "export.csv"), caption="x")
    assert doc.document and doc.document.file_name == "export.csv" and doc.message_id == 2
    assert fake.calls_of("sendDocument")[0].params["document"] == "export.csv"
    assert await bot.log_out() is True


async def test_control_api(fake: FakeTelegram, bot: Bot) -> None:
    """The HTTP control API drives the fake from another process."""
    async with aiohttp.ClientSession(base_url=fake.url) as http:

        async def post(path: str, body: dict) -> dict:
            async with http.post(f"/_control/{path}", json=body) as resp:
                assert resp.status == 200
                return await resp.json()

        uid = await post("update", {"text": "hi", "user_id": 7, "language_code": "en"})
        raw = await post(
            "update",
            {
                "callback_query": {
                    "id": "1",
                    "chat_instance": "1",
                    "from": {"id": 7, "is_bot": False, "first_name": "A"},
                }
            },
        )
        assert raw["result"] == uid["result"] + 1
        updates = await bot.get_updates(timeout=0)
        assert updates[0].message and updates[0].message.from_user
        assert updates[0].message.from_user.language_code == "en"
        sent = await bot.send_message(7, "menu", reply_markup=KB)
        await post("press", {"data": "d:1", "user_id": 7, "message_id": sent.message_id})
        assert fake.pending_updates[-1]["callback_query"]["message"]["text"] == "menu"
        await post("block", {"chat_id": 7})
        await post("fail", {"method": "sendMessage", "status": 429, "retry_after": 2, "chat_id": 8})
        await post("rate", {"per_second": None})
        await post("redeliver", {"update_id": uid["result"]})
        with pytest.raises(TelegramForbiddenError):
            await bot.send_message(7, "x")
        with pytest.raises(TelegramRetryAfter):
            await bot.send_message(8, "x")
        async with http.get(
            "/_control/calls", params={"method": "sendMessage", "since": "1"}
        ) as resp:
            calls = await resp.json()
        assert [c["status"] for c in calls] == [200, 403, 429]
        assert calls[0]["params"]["text"] == "menu" and calls[0]["index"] >= 1
        webhook = await post("webhook", {"backends": ["http://127.0.0.1:1"], "retry_max": 0.5})
        assert webhook["result"] == {"posts": [], "in_flight": []}
        assert (fake.webhook_backends, fake.webhook_retry_max) == (["http://127.0.0.1:1"], 0.5)


async def test_dispatcher_polling_end_to_end(fake: FakeTelegram, bot: Bot) -> None:
    """A real aiogram Dispatcher polls the fake, handles a message and confirms the update."""
    dp = Dispatcher()

    @dp.message()
    async def echo(message: Message) -> None:
        """Answer with the upper-cased text."""
        await message.answer((message.text or "").upper())

    polling = asyncio.create_task(
        dp.start_polling(bot, handle_signals=False, polling_timeout=1, close_bot_session=False)
    )
    uid = fake.send_text("ping", user_id=55)
    (call,) = await fake.wait_for("sendMessage", timeout=5)
    assert call.params == {"chat_id": 55, "text": "PING"}
    await fake.wait_for("getUpdates", lambda c: c.params.get("offset") == uid + 1, timeout=5)
    assert fake.confirmed_offset == uid + 1 and not fake.pending_updates
    await dp.stop_polling()
    await polling


async def test_standalone_process() -> None:
    """`python -m tests.fakeapi` prints its URL first and exits cleanly on SIGTERM."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.fakeapi",
        "--port",
        "0",
        "--token",
        "1:AB",
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert proc.stdout
        url = (await asyncio.wait_for(proc.stdout.readline(), 10)).decode().strip()
        assert url.startswith("http://127.0.0.1:")
        bot = make_bot(url, "1:AB")
        assert (await bot.get_me()).username == "nudge_test_bot"
        await bot.session.close()
    finally:
        proc.terminate()
        assert await asyncio.wait_for(proc.wait(), 10) == 0


# ----------------------------------------------------------------- webhook delivery
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class Receiver:
    """A webhook endpoint on 127.0.0.1 that records what the fake posts and answers with
    whatever `answer` returns (200 by default)."""

    def __init__(self) -> None:
        """Not listening until start()."""
        self.url = ""
        self.received: list[dict[str, Any]] = []
        self.requests: list[tuple[str, dict[str, str]]] = []  # (path with query, headers)
        # ("in", update_id) when a POST arrives, ("out", update_id, status) when answered.
        self.log: list[tuple[Any, ...]] = []
        self.active = self.peak = 0
        self.answer: Callable[[dict[str, Any]], Awaitable[int]] = self._ok
        self._changed = asyncio.Event()
        self._runner: web.AppRunner | None = None

    @staticmethod
    async def _ok(update: dict[str, Any]) -> int:
        """The default answer."""
        return 200

    async def start(self) -> None:
        """Listen on a free port."""
        app = web.Application()
        app.router.add_post("/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"

    async def stop(self) -> None:
        """Stop listening."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Receiver:
        """Start and return self."""
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        """Stop."""
        await self.stop()

    def ids(self) -> list[int]:
        """update_ids in arrival order (retries included)."""
        return [u["update_id"] for u in self.received]

    async def until(self, condition: Callable[[], bool], timeout: float = 5.0) -> None:
        """Wait for a condition on what arrived, with a deadline."""
        async with asyncio.timeout(timeout):
            while not condition():
                changed = self._changed
                await changed.wait()

    def _bump(self) -> None:
        """Wake until()."""
        self._changed.set()
        self._changed = asyncio.Event()

    async def _handle(self, request: web.Request) -> web.Response:
        """Record the update, then answer."""
        update = await request.json()
        self.received.append(update)
        self.requests.append((request.path_qs, dict(request.headers)))
        self.log.append(("in", update["update_id"]))
        self.active += 1
        self.peak = max(self.peak, self.active)
        self._bump()
        try:
            status = await self.answer(update)
        finally:
            self.active -= 1
        self.log.append(("out", update["update_id"], status))
        self._bump()
        return web.Response(status=status)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    """A running webhook receiver."""
    async with Receiver() as server:
        yield server


def closed_port_url() -> str:
    """A base URL nobody listens on (connections are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


async def until(fake: FakeTelegram, condition: Callable[[], bool], timeout: float = 5.0) -> None:
    """Wait for a condition on the fake's state; it changes only when the fake bumps."""
    async with asyncio.timeout(timeout):
        while not condition():
            await fake._changed.wait()


def posts_of(fake: FakeTelegram, update_id: int) -> list[tuple[int | str, float]]:
    """(status, answered at) of every POST of one update."""
    return [(status, at) for uid, status, at in fake.webhook_posts if uid == update_id]


async def test_webhook_posts_with_secret_and_reports_info(
    fake: FakeTelegram, bot: Bot, receiver: Receiver
) -> None:
    """Queued and new updates are posted as JSON with the secret header; getWebhookInfo and
    the recorded calls reflect the webhook; redeliver() posts again."""
    first = fake.send_text("hi", user_id=7)
    assert await bot.set_webhook(
        f"{receiver.url}/tg?k=v", secret_token="0012", allowed_updates=["message"]
    )
    second = fake.press("d:1", user_id=7)
    await fake.wait_webhook_idle(5)
    assert receiver.ids() == [first, second]
    assert receiver.received[0]["message"]["text"] == "hi"
    assert receiver.received[1]["callback_query"]["data"] == "d:1"
    path, headers = receiver.requests[0]
    assert path == "/tg?k=v" and headers[SECRET_HEADER] == "0012"
    assert headers["Content-Type"] == "application/json"
    assert [(uid, status) for uid, status, _ in fake.webhook_posts] == [(first, 200), (second, 200)]
    info = await bot.get_webhook_info()
    assert (info.url, info.has_custom_certificate, info.pending_update_count) == (
        f"{receiver.url}/tg?k=v",
        False,
        0,
    )
    assert (info.max_connections, info.allowed_updates) == (40, ["message"])
    assert info.last_error_date is None

    fake.redeliver(first)
    await fake.wait_webhook_idle(5)
    assert receiver.ids() == [first, second, first]

    assert await bot.set_webhook(f"{receiver.url}/tg")  # no secret now: no header
    third = fake.send_text("again", user_id=8)
    await fake.wait_webhook_idle(5)
    assert receiver.ids()[-1] == third and SECRET_HEADER not in receiver.requests[-1][1]
    assert await bot.delete_webhook()
    info = await bot.get_webhook_info()
    assert (info.url, info.pending_update_count, info.max_connections) == ("", 0, None)
    assert [c.method for c in fake.calls if "Webhook" in c.method] == [
        "setWebhook",
        "getWebhookInfo",
        "setWebhook",
        "deleteWebhook",
        "getWebhookInfo",
    ]
    assert fake.calls_of("setWebhook")[0].params["secret_token"] == "0012"
    with pytest.raises(TelegramBadRequest, match="secret token"):
        await bot.set_webhook(f"{receiver.url}/tg", secret_token="no spaces")


async def test_webhook_one_chat_in_order_chats_in_parallel(
    fake: FakeTelegram, bot: Bot, receiver: Receiver
) -> None:
    """A chat's next update waits until its previous one was answered, even when that is
    slow; another chat's update arrives meanwhile."""
    first = fake.send_text("first", user_id=1)
    other = fake.send_text("other", user_id=2)
    second = fake.send_text("second", user_id=1)
    pressed = fake.press("d:1", user_id=1)  # a callback_query belongs to its message's chat
    chatless = fake.add_update({"poll": {"id": "p", "question": "?", "options": []}})

    async def answer(update: dict[str, Any]) -> int:
        """Hold the chat's first update until the other chat's update has arrived."""
        if update["update_id"] == first:
            await receiver.until(lambda: other in receiver.ids())
        return 200

    receiver.answer = answer
    await bot.set_webhook(f"{receiver.url}/tg")
    await fake.wait_webhook_idle(5)
    log = receiver.log
    assert sorted(receiver.ids()) == [first, other, second, pressed, chatless]
    assert log.index(("in", other)) < log.index(("out", first, 200))  # in parallel
    assert log.index(("out", first, 200)) < log.index(("in", second))  # in order
    assert log.index(("out", second, 200)) < log.index(("in", pressed))
    assert receiver.peak >= 2


async def test_webhook_retry_holds_back_the_chat(
    fake: FakeTelegram, bot: Bot, receiver: Receiver
) -> None:
    """A 500 leaves the update queued and retried after a doubling back-off; the chat's next
    update waits for the retried one's 200, another chat's does not."""
    fake.webhook_retry_min = 0.05
    first = fake.send_text("a", user_id=1)
    second = fake.send_text("b", user_id=1)
    other = fake.send_text("c", user_id=2)
    attempts: dict[int, int] = {}

    async def answer(update: dict[str, Any]) -> int:
        """Refuse the first update twice; its retry succeeds only after the other chat's
        update arrived (which therefore must not wait behind it)."""
        uid = update["update_id"]
        attempts[uid] = attempts.get(uid, 0) + 1
        if uid == first and attempts[uid] <= 2:
            return 500
        if uid == first:
            await receiver.until(lambda: other in receiver.ids())
        return 200

    receiver.answer = answer
    await bot.set_webhook(f"{receiver.url}/tg")
    await until(fake, lambda: len(posts_of(fake, first)) >= 1)
    info = await bot.get_webhook_info()
    assert info.last_error_message and "500" in info.last_error_message
    await fake.wait_webhook_idle(5)
    assert [i for i in receiver.ids() if i != other] == [first, first, first, second]
    statuses = [status for status, _ in posts_of(fake, first)]
    assert statuses == [500, 500, 200]
    (_, refused), (_, refused_again), (_, confirmed) = posts_of(fake, first)
    assert refused_again - refused >= 0.05 and confirmed - refused_again >= 0.1  # doubling
    assert receiver.log.index(("out", first, 200)) < receiver.log.index(("in", second))
    assert [status for status, _ in posts_of(fake, second)] == [200]


async def test_webhook_timeout_is_a_failed_delivery(
    fake: FakeTelegram, bot: Bot, receiver: Receiver
) -> None:
    """A POST unanswered within webhook_timeout is recorded as a timeout and retried."""
    fake.webhook_timeout, fake.webhook_retry_min = 0.2, 0.01
    release = asyncio.Event()
    uid = fake.send_text("slow")

    async def answer(update: dict[str, Any]) -> int:
        """Hang on the first attempt."""
        if len(receiver.received) == 1:
            await release.wait()
        return 200

    receiver.answer = answer
    try:
        await bot.set_webhook(f"{receiver.url}/tg")
        await fake.wait_webhook_idle(5)
    finally:
        release.set()
    (timed_out, _), (ok, _) = posts_of(fake, uid)
    assert isinstance(timed_out, str) and "Timeout" in timed_out and ok == 200


async def test_get_updates_refused_while_webhook_set(fake: FakeTelegram, bot: Bot) -> None:
    """getUpdates (even one already long-polling) gets 409 while a webhook is set; after
    deleteWebhook undelivered updates come through getUpdates."""
    fake.webhook_retry_min = 0.01
    polls = fake._poll_gen
    poll = asyncio.create_task(bot.get_updates(timeout=30))
    await until(fake, lambda: fake._poll_gen > polls)
    assert await bot.set_webhook(f"{closed_port_url()}/tg")
    with pytest.raises(TelegramConflictError, match="webhook is active"):
        await poll
    uid = fake.send_text("kept")
    await until(fake, lambda: len(posts_of(fake, uid)) >= 2)  # refused connection, retried
    assert all(isinstance(status, str) for status, _ in posts_of(fake, uid))
    with pytest.raises(TelegramConflictError, match="webhook"):
        await bot.get_updates(timeout=0)
    info = await bot.get_webhook_info()
    assert info.pending_update_count == 1 and info.last_error_message
    assert await bot.delete_webhook()
    assert fake.webhook is None and fake._delivery is None and not fake._in_flight
    assert [u.update_id for u in await bot.get_updates(timeout=0)] == [uid]


async def test_set_webhook_drop_pending_updates(
    fake: FakeTelegram, bot: Bot, receiver: Receiver
) -> None:
    """drop_pending_updates=True on setWebhook drops the queue; without it the queue stays."""
    fake.send_text("dropped")
    assert await bot.set_webhook(f"{receiver.url}/tg", drop_pending_updates=True)
    assert fake.pending_updates == []
    new = fake.send_text("new")
    await fake.wait_webhook_idle(5)
    assert receiver.ids() == [new]
    assert await bot.delete_webhook()
    kept = fake.send_text("kept")
    assert await bot.set_webhook(f"{receiver.url}/tg")
    await fake.wait_webhook_idle(5)
    assert receiver.ids() == [new, kept]


async def test_webhook_backends_round_robin(fake: FakeTelegram, bot: Bot) -> None:
    """With webhook_backends, POSTs go round-robin to them on the webhook URL's path; a
    backend that is down only delays delivery, each update is confirmed exactly once."""
    fake.webhook_retry_min = 0.01
    async with Receiver() as one, Receiver() as two:
        fake.webhook_backends = [one.url, two.url]
        assert await bot.set_webhook("https://bot.example.com/tg?k=v")
        serial = [fake.send_text(f"m{i}", user_id=1) for i in range(4)]  # one at a time
        await fake.wait_webhook_idle(5)
        assert (one.ids(), two.ids()) == (serial[0::2], serial[1::2])
        assert {path for path, _ in one.requests + two.requests} == {"/tg?k=v"}

        fake.webhook_backends = [one.url, closed_port_url()]
        spread = [fake.send_text(f"s{i}", user_id=10 + i % 3) for i in range(9)]
        await fake.wait_webhook_idle(10)
    assert sorted(one.ids()[2:]) == spread  # each exactly once, all on the live backend
    failed = [p for p in fake.webhook_posts if p[0] in spread and p[1] != 200]
    assert failed and all(isinstance(status, str) for _, status, _ in failed)
    for uid in spread:
        assert [status for status, _ in posts_of(fake, uid)].count(200) == 1


@pytest.mark.parametrize("limit", [1, 3])
async def test_webhook_max_connections(
    fake: FakeTelegram, bot: Bot, receiver: Receiver, limit: int
) -> None:
    """No more than max_connections POSTs are in flight at once (and that many are used)."""
    ids = [fake.send_text(f"c{i}", user_id=100 + i) for i in range(6)]

    async def answer(update: dict[str, Any]) -> int:
        """Hold the first POSTs until `limit` of them are in flight at once."""
        await receiver.until(lambda: receiver.peak >= limit)
        return 200

    receiver.answer = answer
    assert await bot.set_webhook(f"{receiver.url}/tg", max_connections=limit)
    await fake.wait_webhook_idle(5)
    assert sorted(receiver.ids()) == ids and receiver.peak == limit


async def test_wait_webhook_idle_times_out_and_stop_cancels_delivery(receiver: Receiver) -> None:
    """wait_webhook_idle raises with the state on a deadline; stop() cancels the POST in
    flight and closes the HTTP client."""
    release = asyncio.Event()

    async def answer(update: dict[str, Any]) -> int:
        """Hang until the test ends."""
        await release.wait()
        return 200

    receiver.answer = answer
    fake = FakeTelegram(TOKEN)
    await fake.start()
    try:
        bot = make_bot(fake.url)
        await bot.set_webhook(f"{receiver.url}/tg")
        await bot.session.close()
        uid = fake.send_text("stuck")
        await receiver.until(lambda: receiver.ids() == [uid])
        with pytest.raises(AssertionError, match=rf"in flight \[{uid}\]"):
            await fake.wait_webhook_idle(0.2)
        session = fake._http
        await fake.stop()
        assert session is not None and session.closed and fake._delivery is None
        assert fake.webhook_posts == [(uid, "CancelledError", fake.webhook_posts[0][2])]
    finally:
        release.set()
        await fake.stop()
