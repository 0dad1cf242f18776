"""End to end: the 15-minute rule with a short SLA, restarts, and Telegram faults."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.e2e_support import BotProcess, bot_env, query
from tests.fakeapi import Call, FakeTelegram

pytestmark = pytest.mark.e2e
SLA = "3"
PROBE = 999  # a user whose /help tells that the bot is up


@pytest.fixture
async def bot(fake: FakeTelegram, tmp_path: Path, database_url: str) -> AsyncIterator[BotProcess]:
    env = bot_env(fake, tmp_path, DATABASE_URL=database_url, LEAD_RESPONSE_SLA=SLA)
    process = await BotProcess(env, tmp_path).start()
    try:
        # Up and delivering before the first lead, whose card the timings count from: a bot on
        # PostgreSQL sends nothing for its first seconds as the leader (TAKEOVER_GRACE).
        fake.send_text("/help", user_id=PROBE, language_code="ru")
        await fake.wait_for("sendMessage", to(PROBE, "Что я умею"), timeout=30)
        yield process
    finally:
        await process.ensure_dead()


def to(chat_id: int, text: str):  # type: ignore[no-untyped-def]
    return lambda c: c.params.get("chat_id") == chat_id and text in str(c.params.get("text", ""))


async def new_lead(fake: FakeTelegram, user_id: int, name: str) -> Call:
    """Onboard the user and record a lead; return the card."""
    fake.send_text("/start", user_id=user_id, language_code="ru")
    fake.send_text("Москва", user_id=user_id, language_code="ru")
    fake.send_text(f"/lead {name}, +7 999 123-45-67", user_id=user_id, language_code="ru")
    [card] = await fake.wait_for("sendMessage", to(user_id, "Новый лид"), timeout=30)
    return card


async def test_unanswered_lead_pings_once_and_escalates_once(
    fake: FakeTelegram, bot: BotProcess, tmp_path: Path, database_url: str
) -> None:
    card = await new_lead(fake, 1, "Иван Петров")
    [ping] = await fake.wait_for("sendMessage", to(1, "Лид «Иван Петров» ждёт ответа"), timeout=15)
    assert ping.at - card.at >= 2.5
    [escalation] = await fake.wait_for("sendMessage", to(1, "ждёт ответа уже"), timeout=15)
    assert escalation.at - card.at >= 5.5
    # Nothing else is pending for this lead, so no further ping can ever come.
    pending = "SELECT count(*) FROM reminders WHERE state='pending' AND kind != 'digest'"
    assert await query(database_url, pending) == [(0,)]
    pings = fake.calls_of("sendMessage", chat_id=1)
    assert sum("Лид «Иван Петров» ждёт ответа" in c.params["text"] for c in pings) == 2
    buttons = [b["text"] for row in ping.params["reply_markup"]["inline_keyboard"] for b in row]
    assert buttons == ["Ответил ✅", "Позвоню через…", "Передать коллеге"]


async def test_answered_lead_gets_no_ping(
    fake: FakeTelegram, bot: BotProcess, tmp_path: Path, database_url: str
) -> None:
    card = await new_lead(fake, 2, "Acme Corp")
    message = fake.last_bot_message(2)
    assert message is not None and "Acme Corp" in message["text"]
    data = card.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    fake.press(data, user_id=2, message=message)
    fake.press(data, user_id=2, message=message)  # a double tap
    [edit] = await fake.wait_for("editMessageText", lambda c: c.params["chat_id"] == 2)
    assert "Ответили за" in edit.params["text"]
    await fake.wait_for("answerCallbackQuery", count=2)
    lead_reminders = "SELECT state FROM reminders WHERE kind != 'digest'"
    assert await query(database_url, lead_reminders) == [("cancelled",), ("cancelled",)]
    assert await query(database_url, "SELECT count(*) FROM touches") == [(1,)]
    assert len(fake.calls_of("editMessageText")) == 1


async def test_ping_survives_sigkill_before_due(
    fake: FakeTelegram, bot: BotProcess, tmp_path: Path
) -> None:
    await new_lead(fake, 3, "Ольга")
    await bot.kill()
    again = await BotProcess(bot.env, tmp_path).start()
    try:
        await fake.wait_for("sendMessage", to(3, "Лид «Ольга» ждёт ответа"), timeout=30)
        await fake.wait_for("sendMessage", to(3, "ждёт ответа уже"), timeout=30)
        texts = [c.params["text"] for c in fake.calls_of("sendMessage", chat_id=3)]
        assert sum("Лид «Ольга» ждёт ответа" in t for t in texts) == 2
        assert await again.terminate() == 0
    finally:
        await again.ensure_dead()


@pytest.mark.sqlite_only  # time budget: test_delivery puts a ping through these on both
async def test_ping_arrives_once_through_429_and_500(
    fake: FakeTelegram, bot: BotProcess, tmp_path: Path
) -> None:
    await new_lead(fake, 4, "Пётр")
    fake.fail_next("sendMessage", status=429, retry_after=1, chat_id=4)
    fake.fail_next("sendMessage", status=500, chat_id=4)
    await fake.wait_for("sendMessage", to(4, "ждёт ответа уже"), timeout=30)
    accepted = [
        c
        for c in fake.calls_of("sendMessage", chat_id=4)
        if c.status == 200 and "⏰ Лид «Пётр» ждёт ответа" in c.params["text"]
    ]
    failed = [c for c in fake.calls_of("sendMessage", chat_id=4) if c.status != 200]
    assert len(accepted) == 1 and {c.status for c in failed} == {429, 500}


@pytest.mark.sqlite_only  # time budget: test_delivery meets a 403 on both backends
async def test_blocked_user_does_not_stop_others(
    fake: FakeTelegram, bot: BotProcess, tmp_path: Path, database_url: str
) -> None:
    await new_lead(fake, 5, "Блок")
    fake.blocked.add(5)
    await new_lead(fake, 6, "Живой")
    await fake.wait_for("sendMessage", to(6, "ждёт ответа уже"), timeout=30)
    assert await query(database_url, "SELECT blocked_at IS NOT NULL FROM users WHERE id=5") == [
        (1,)
    ]
    tried = [c for c in fake.calls_of("sendMessage", chat_id=5) if c.status == 403]
    assert len(tried) == 1  # given up at the first 403, not retried
