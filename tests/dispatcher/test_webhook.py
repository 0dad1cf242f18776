"""Webhook mode: Telegram's POSTs on the real app's HTTP server, answered 200 only once the
update's transaction has committed; the secret header; redelivery; per-chat order."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from bot.app import build_app
from bot.clock import FakeClock
from bot.settings import Settings
from bot.storage.models import ClientRow
from bot.web import make_web_app
from tests.conftest import START, Harness, make_settings
from tests.dispatcher.test_intake import web_deps
from tests.mocked import mocked_bot

SECRET = "s3cret-token_for-tests"
PATH = "/tg/updates"


@pytest.fixture
def settings(tmp_path: Any, database_url: str) -> Settings:
    """Settings in webhook mode."""
    return make_settings(
        tmp_path,
        database_url,
        webhook_url=f"https://bot.example.com{PATH}",
        webhook_secret=SECRET,
        intake_port=8443,
    )


@pytest.fixture
async def http(harness: Harness) -> AsyncIterator[TestClient]:
    async with TestClient(TestServer(make_web_app(web_deps(harness)))) as client:
        yield client


def update(update_id: int, text: str, chat: int = 1001) -> dict[str, Any]:
    """A private text message as Telegram posts it."""
    message: dict[str, Any] = {
        "message_id": update_id,
        "date": int(time.time()),
        "chat": {"id": chat, "type": "private"},
        "from": {"id": chat, "is_bot": False, "first_name": "Ivan", "language_code": "ru"},
        "text": text,
    }
    if text.startswith("/"):
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    return {"update_id": update_id, "message": message}


async def post(http: TestClient, body: dict[str, Any], secret: str | None = SECRET) -> int:
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
    response = await http.post(PATH, json=body, headers=headers)
    return response.status


async def clients(h: Harness) -> int:
    async with h.app.db.session() as s:
        return int(await s.scalar(select(func.count()).select_from(ClientRow)) or 0)


async def test_an_update_is_applied_once_and_answered_200_after_its_commit(
    harness: Harness, http: TestClient
) -> None:
    assert await post(http, update(1, "/start")) == 200
    assert await post(http, update(2, "/lead Анна Смирнова, +7 999 000-00-01")) == 200
    assert await clients(harness) == 1
    # Telegram sending it again (our 200 was lost on the way): applied once all the same.
    assert await post(http, update(2, "/lead Анна Смирнова, +7 999 000-00-01")) == 200
    assert await clients(harness) == 1
    await harness.app.delivery.run_once()
    cards = [m for m in harness.session.sent() if "Анна Смирнова" in m.text]
    assert len(cards) == 1


@pytest.mark.parametrize("secret", [None, "", "wrong", SECRET + "x"])
async def test_a_post_without_the_secret_is_refused_and_stores_nothing(
    harness: Harness, http: TestClient, secret: str | None
) -> None:
    assert await post(http, update(1, "/start")) == 200
    assert await post(http, update(2, "/lead Анна, +7 999 000-00-01"), secret) == 401
    assert await clients(harness) == 0


async def test_a_large_update_is_taken_and_an_oversized_body_refused(
    harness: Harness, http: TestClient
) -> None:
    """The intake's 64 KB cap does not apply to Telegram's updates (a long message with its
    quote and escapes); a body over 1 MB is refused."""
    assert await post(http, update(1, "/start")) == 200
    big = update(2, "/help")
    big["message"]["quote_padding"] = "я" * 100_000  # Telegram escapes it: ~600 KB of JSON
    assert await post(http, big) == 200
    huge = update(3, "/help")
    huge["message"]["padding"] = "x" * 1_100_000
    assert await post(http, huge) == 413


async def test_a_malformed_body_is_400(http: TestClient) -> None:
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"}
    assert (await http.post(PATH, data=b"{nope", headers=headers)).status == 400
    assert (await http.post(PATH, json={"update_id": "x"}, headers=headers)).status == 400
    deep = b"[" * 100_000 + b"]" * 100_000
    assert (await http.post(PATH, data=deep, headers=headers)).status == 400


@pytest.mark.parametrize(
    "failure",
    [
        OperationalError("INSERT", {}, Exception("database is locked")),
        ConnectionRefusedError(111, "Connect call failed"),  # PostgreSQL restarting
        PoolTimeout("QueuePool limit reached"),
    ],
    ids=["locked", "refused", "pool"],
)
async def test_a_storage_failure_answers_503_so_telegram_sends_it_again(
    harness: Harness, http: TestClient, monkeypatch: pytest.MonkeyPatch, failure: Exception
) -> None:
    assert await post(http, update(1, "/start")) == 200
    real = harness.app.dispatcher.feed_update
    failing = True

    async def feed(bot: Any, event: Any, **kwargs: Any) -> Any:
        if failing:
            raise failure
        return await real(bot, event, **kwargs)

    monkeypatch.setattr(harness.app.dispatcher, "feed_update", feed)
    monkeypatch.setattr("bot.telegram.polling.asyncio.sleep", _no_sleep)
    body = update(2, "/lead Анна, +7 999 000-00-01")
    assert await post(http, body) == 503
    assert await clients(harness) == 0
    failing = False
    assert await post(http, body) == 200  # Telegram's retry
    assert await clients(harness) == 1


async def _no_sleep(_seconds: float) -> None:
    """The retry back-off, skipped."""


async def test_updates_of_one_chat_are_handled_in_arrival_order_others_side_by_side(
    harness: Harness, http: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two POSTs for one chat at once: the second waits for the first to finish; another
    chat's update does not wait."""
    events: list[str] = []
    real = harness.app.poller.handle
    release, started = asyncio.Event(), asyncio.Event()

    async def handle(event: Any, **kwargs: Any) -> bool:
        events.append(f"start {event.update_id}")
        if event.update_id == 10:
            started.set()
            await release.wait()
        result = await real(event, **kwargs)
        events.append(f"end {event.update_id}")
        return result

    monkeypatch.setattr(harness.app.poller, "handle", handle)
    first = asyncio.create_task(post(http, update(10, "/help")))
    await asyncio.wait_for(started.wait(), 10)
    same_chat = asyncio.create_task(post(http, update(11, "/help")))
    other_chat = asyncio.create_task(post(http, update(12, "/help", chat=2002)))
    assert await asyncio.wait_for(other_chat, 10) == 200
    assert "start 11" not in events  # still waiting behind update 10 of its chat
    release.set()
    assert await asyncio.wait_for(first, 10) == 200
    assert await asyncio.wait_for(same_chat, 10) == 200
    assert events.index("end 10") < events.index("start 11")


async def test_start_sets_the_webhook_with_its_secret_and_keeps_pending_updates(
    settings: Settings,
) -> None:
    """At start the webhook is set with the secret, explicit allowed_updates and without
    dropping what Telegram holds; getUpdates is never called and no webhook is deleted."""
    from bot.app import ALLOWED_UPDATES, _start

    bot, session = mocked_bot()
    settings = settings.model_copy(update={"intake_port": 0})
    app = build_app(settings, FakeClock(START), bot=bot)
    try:
        await _start(app)
        names = [type(r).__name__ for r in session.requests]
        assert "DeleteWebhook" not in names and "GetUpdates" not in names
        [hook] = [r for r in session.requests if type(r).__name__ == "SetWebhook"]
        assert hook.url == f"https://bot.example.com{PATH}"
        assert hook.secret_token == SECRET
        assert hook.drop_pending_updates is False
        assert list(hook.allowed_updates or []) == list(ALLOWED_UPDATES)
    finally:
        if app.web is not None:
            await app.web.cleanup()
        await app.alarm.shutdown()
        await app.delivery.stop()
        await app.coordination.stop()
        await app.db.close()
